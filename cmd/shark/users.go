package main

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/spf13/cobra"
)

// userCommand: the admin API's users (shared/admin/users.go, consents.go).
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
			if len(l.Data) == 0 {
				return c.empty("users")
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
		Use: "revoke-agents USER_ID", Short: "Deactivate every agent a user created and revoke all their tokens at once (asks first; --yes for scripts)", Args: exactArgs("USER_ID"),
		RunE: c.withAdmin(func(ctx context.Context, a *api, args []string) error {
			// The API answers 200 for any id (a deleted user's agents can
			// still be revoked): a typo revokes nothing, so say so.
			ok, u, err := exists(ctx, a, "/api/v1/users/"+url.PathEscape(args[0]))
			if err != nil {
				return err
			}
			if !ok {
				if err := c.warn("user %s does not exist (shark user list): revoking whatever agents it left", args[0]); err != nil {
					return err
				}
			}
			what := "every agent of " + named("user", args[0], u)
			if len(agents) > 0 {
				what = "agents " + strings.Join(splitList(agents), ", ") + " of " + named("user", args[0], u)
			}
			if err := c.confirm("Revoke " + what + ": they are deactivated, their tokens introspect inactive and the user's consents are revoked."); err != nil {
				return err
			}
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
			pairs := []string{"revoked agents", fmt.Sprintf("%d %s", len(ids), str(x["revoked_agent_ids"]))}
			if v, ok := x["revoked_consent_count"]; ok {
				pairs = append(pairs, "revoked consents", str(v))
			}
			if v, _ := x["ignored_agent_ids"].([]any); len(v) > 0 {
				pairs = append(pairs, "ignored (not this user's)", str(v))
			}
			return c.fields(append(pairs, "audit event", str(x["audit_event_id"]))...)
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
	return group("user", "Users: create, list, get, update, delete, revoke-agents, set-password, consents, revoke-consent",
		create, list, c.userGetCommand(), c.userUpdateCommand(), c.userDeleteCommand(), revoke, setPassword, c.userConsentsCommand(), c.userRevokeConsentCommand())
}

func (c *cli) showUser(x obj) error {
	return c.fields("id", str(x["id"]), "email", str(x["email"]), "name", str(x["name"]), "email verified", str(x["email_verified"]),
		"has password", str(x["has_password"]), "created", when(x["created_at"]), "updated", when(x["updated_at"]))
}

func (c *cli) userGetCommand() *cobra.Command {
	return &cobra.Command{
		Use: "get USER_ID", Short: "Show a user", Args: exactArgs("USER_ID"),
		RunE: c.withAdmin(func(ctx context.Context, a *api, args []string) error {
			var x obj
			raw, err := a.call(ctx, "GET", "/api/v1/users/"+url.PathEscape(args[0]), nil, nil, &x)
			if err != nil || c.asJSON {
				return c.out(raw, err)
			}
			return c.showUser(x)
		}),
	}
}

func (c *cli) userUpdateCommand() *cobra.Command {
	var email, name string
	var verified bool
	cmd := &cobra.Command{
		Use: "update USER_ID [--email E] [--name N] [--email-verified]", Short: "Change a user (only the flags given; a password: set-password)", Args: exactArgs("USER_ID"),
		RunE: c.withAdmin(func(ctx context.Context, a *api, args []string) error {
			body := obj{}
			if c.changed("email") {
				body["email"] = email
			}
			if c.changed("name") {
				body["name"] = name
			}
			if c.changed("email-verified") {
				body["email_verified"] = verified
			}
			if len(body) == 0 {
				return usageError{errors.New("nothing to update: pass at least one of --email, --name, --email-verified")}
			}
			var x obj
			raw, err := a.call(ctx, "PATCH", "/api/v1/users/"+url.PathEscape(args[0]), nil, body, &x)
			if err != nil || c.asJSON {
				return c.out(raw, err)
			}
			return c.showUser(x)
		}),
	}
	cmd.Flags().StringVar(&email, "email", "", "new email (unique in the tenant)")
	cmd.Flags().StringVar(&name, "name", "", "new display name")
	cmd.Flags().BoolVar(&verified, "email-verified", false, "mark the email verified (--email-verified=false to clear)")
	return cmd
}

func (c *cli) userDeleteCommand() *cobra.Command {
	return &cobra.Command{
		Use: "delete USER_ID", Short: "Delete a user and revoke every agent it created (asks first; --yes for scripts)", Args: exactArgs("USER_ID"),
		RunE: c.withAdmin(func(ctx context.Context, a *api, args []string) error {
			path := "/api/v1/users/" + url.PathEscape(args[0])
			var x obj
			if _, err := a.call(ctx, "GET", path, nil, nil, &x); err != nil {
				return err
			}
			if err := c.confirm("Delete " + named("user", args[0], x) + ": every agent it created is deactivated and their tokens introspect inactive."); err != nil {
				return err
			}
			if _, err := a.do(ctx, "DELETE", path, nil, nil); err != nil {
				return err
			}
			return c.done(obj{"deleted": args[0]}, "deleted user "+args[0]+" and revoked its agents")
		}),
	}
}

func (c *cli) userConsentsCommand() *cobra.Command {
	return &cobra.Command{
		Use: "consents USER_ID", Short: "List the clients a user consented to (sign-in through /oauth/authorize)", Args: exactArgs("USER_ID"),
		RunE: c.withAdmin(func(ctx context.Context, a *api, args []string) error {
			var l listResp
			raw, err := a.call(ctx, "GET", "/api/v1/users/"+url.PathEscape(args[0])+"/consents", nil, nil, &l)
			if err != nil || c.asJSON {
				return c.out(raw, err)
			}
			if len(l.Data) == 0 {
				return c.empty("consents")
			}
			rows := [][]string{}
			for _, x := range l.Data {
				rows = append(rows, []string{str(x["id"]), str(x["client_id"]), str(x["redirect_uri"]), str(x["scopes"]), str(x["resources"]), when(x["updated_at"])})
			}
			return c.table([]string{"ID", "CLIENT", "REDIRECT URI", "SCOPES", "RESOURCES", "GRANTED"}, rows)
		}),
	}
}

func (c *cli) userRevokeConsentCommand() *cobra.Command {
	return &cobra.Command{
		Use: "revoke-consent USER_ID CONSENT_ID", Short: "Revoke one consent of a user and every token issued under it (asks first; --yes for scripts)",
		Args: exactArgs("USER_ID", "CONSENT_ID"),
		RunE: c.withAdmin(func(ctx context.Context, a *api, args []string) error {
			var l listResp
			if _, err := a.call(ctx, "GET", "/api/v1/users/"+url.PathEscape(args[0])+"/consents", nil, nil, &l); err != nil {
				return err
			}
			var found obj
			for _, x := range l.Data {
				if x["id"] == args[1] {
					found = x
				}
			}
			if found == nil {
				return fmt.Errorf("user %s has no consent %s (shark user consents %s)", args[0], args[1], args[0])
			}
			if err := c.confirm(fmt.Sprintf("Revoke consent %s of user %s to %s (%s): its access and refresh tokens stop working; the user is asked again at the next sign-in.",
				args[1], args[0], cell(str(found["client_id"])), cell(str(found["redirect_uri"])))); err != nil {
				return err
			}
			if _, err := a.do(ctx, "DELETE", "/api/v1/users/"+url.PathEscape(args[0])+"/consents/"+url.PathEscape(args[1]), nil, nil); err != nil {
				return err
			}
			return c.done(obj{"revoked": args[1]}, "revoked consent "+args[1])
		}),
	}
}
