package main

import (
	"context"
	"errors"
	"fmt"
	"net/url"

	"github.com/spf13/cobra"
)

// ---- users ----

func (c *cli) userCommand() *cobra.Command {
	var email, name string
	create := &cobra.Command{
		Use: "create --email EMAIL", Short: "Create a user (a customer whose agents you can revoke at once)", Args: noArgs,
		RunE: c.withAdmin(func(ctx context.Context, a *api, _ []string) error {
			body := obj{"email": email}
			if name != "" {
				body["name"] = name
			}
			var x obj
			raw, err := a.call(ctx, "POST", "/api/v1/admin/users", nil, body, &x)
			if err != nil || c.asJSON {
				return c.out(raw, err)
			}
			return c.fields("user", str(x["id"]), "email", str(x["email"]), "name", str(x["name"]))
		}),
	}
	create.Flags().StringVar(&email, "email", "", "email (required, unique in the tenant)")
	create.Flags().StringVar(&name, "name", "", "display name")
	create.MarkFlagRequired("email")

	var byEmail, cursor string
	var limit int
	list := &cobra.Command{
		Use: "list", Short: "List users", Args: noArgs,
		RunE: c.withAdmin(func(ctx context.Context, a *api, _ []string) error {
			q := pageQuery(limit, 0)
			if byEmail != "" {
				q.Set("email", byEmail)
			}
			if cursor != "" {
				q.Set("cursor", cursor)
			}
			var l listResp
			raw, err := a.call(ctx, "GET", "/api/v1/users", q, nil, &l)
			if err != nil || c.asJSON {
				return c.out(raw, err)
			}
			rows := [][]string{}
			for _, x := range l.Data {
				rows = append(rows, []string{str(x["id"]), str(x["email"]), str(x["name"]), when(x["created_at"])})
			}
			if err := c.table([]string{"ID", "EMAIL", "NAME", "CREATED"}, rows); err != nil {
				return err
			}
			c.more(l)
			return nil
		}),
	}
	list.Flags().StringVar(&byEmail, "email", "", "only the user with this email")
	list.Flags().IntVar(&limit, "limit", 0, "page size (1-200)")
	list.Flags().StringVar(&cursor, "cursor", "", "the next_cursor of the previous page")

	var agents []string
	var reason string
	revoke := &cobra.Command{
		Use: "revoke-agents USER_ID", Short: "Deactivate every agent a user created and revoke all their tokens at once", Args: exactArgs("USER_ID"),
		RunE: c.withAdmin(func(ctx context.Context, a *api, args []string) error {
			body := obj{}
			if len(agents) > 0 {
				body["agent_ids"] = splitList(agents)
			}
			if reason != "" {
				body["reason"] = reason
			}
			var x obj
			raw, err := a.call(ctx, "POST", "/api/v1/users/"+url.PathEscape(args[0])+"/revoke-agents", nil, body, &x)
			if err != nil || c.asJSON {
				return c.out(raw, err)
			}
			ids, _ := x["revoked_agent_ids"].([]any)
			return c.fields("revoked agents", fmt.Sprintf("%d %s", len(ids), str(x["revoked_agent_ids"])), "audit event", str(x["audit_event_id"]))
		}),
	}
	revoke.Flags().StringSliceVar(&agents, "agent", nil, "only these agents of the user (repeatable)")
	revoke.Flags().StringVar(&reason, "reason", "", "why (recorded in the audit log)")
	setPassword := &cobra.Command{
		Use:   "set-password USER_ID",
		Short: "Set the password a user signs in with (read from SHARK_USER_PASSWORD, never an argument)",
		Args:  exactArgs("USER_ID"),
		RunE: c.withAdmin(func(ctx context.Context, a *api, args []string) error {
			pw := c.getenv("SHARK_USER_PASSWORD")
			if pw == "" {
				return errors.New("set SHARK_USER_PASSWORD to the new password")
			}
			var x obj
			raw, err := a.call(ctx, "POST", "/api/v1/users/"+url.PathEscape(args[0])+"/password", nil, obj{"password": pw}, &x)
			if err != nil || c.asJSON {
				return c.out(raw, err)
			}
			return c.fields("user", str(x["id"]), "email", str(x["email"]), "has password", fmt.Sprint(x["has_password"]))
		}),
	}
	return group("user", "Users: create, list, revoke-agents, set-password", create, list, revoke, setPassword)
}
