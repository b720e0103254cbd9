package main

import (
	"context"
	"net/url"

	"github.com/spf13/cobra"
)

// keyCommand: the tenant's admin API keys (shared/admin/apikeys.go).
func (c *cli) keyCommand() *cobra.Command {
	list := &cobra.Command{
		Use: "list", Short: "List the tenant's admin keys (never the keys themselves)", Args: noArgs,
		RunE: c.withAdmin(func(ctx context.Context, a *api, _ []string) error {
			var l listResp
			raw, err := a.call(ctx, "GET", "/api/v1/api-keys", nil, nil, &l)
			if err != nil || c.asJSON {
				return c.out(raw, err)
			}
			if len(l.Data) == 0 {
				return c.empty("admin keys")
			}
			rows := [][]string{}
			for _, x := range l.Data {
				rows = append(rows, []string{str(x["id"]), str(x["name"]), str(x["key_prefix"]) + "…" + str(x["key_suffix"]), str(x["scopes"]), str(x["active"]), when(x["created_at"]), when(x["expires_at"])})
			}
			return c.table([]string{"ID", "NAME", "KEY", "SCOPES", "ACTIVE", "CREATED", "EXPIRES"}, rows)
		}),
	}
	var name, expires string
	var scopes []string
	create := &cobra.Command{
		Use: "create --name NAME", Short: "Create an admin key; prints it once", Args: noArgs,
		RunE: c.withAdmin(func(ctx context.Context, a *api, _ []string) error {
			body := obj{"name": name}
			if len(scopes) > 0 {
				body["scopes"] = splitList(scopes)
			}
			if expires != "" {
				body["expires_at"] = dateTime(expires)
			}
			var x obj
			raw, err := a.call(ctx, "POST", "/api/v1/api-keys", nil, body, &x)
			if err != nil || c.asJSON {
				return c.out(raw, err)
			}
			c.secret("admin key", str(x["key"]), "key id", str(x["id"]), "name", str(x["name"]), "scopes", str(x["scopes"]))
			return nil
		}),
	}
	create.Flags().StringVar(&name, "name", "", "a name for the key (required)")
	create.Flags().StringSliceVar(&scopes, "scopes", nil, `scopes (default "*", what the admin API needs)`)
	create.Flags().StringVar(&expires, "expires-at", "", "expiry, RFC 3339 or a date (2026-01-01 is 00:00Z)")
	create.MarkFlagRequired("name")
	revoke := &cobra.Command{
		Use: "revoke KEY_ID", Short: "Revoke an admin key (the last * key cannot be revoked; asks first, --yes for scripts)", Args: exactArgs("KEY_ID"),
		RunE: c.withAdmin(func(ctx context.Context, a *api, args []string) error {
			var k obj
			if _, err := a.call(ctx, "GET", "/api/v1/api-keys/"+url.PathEscape(args[0]), nil, nil, &k); err != nil {
				return err
			}
			if err := c.confirm("Revoke " + named("admin key", args[0], k) + ": whatever uses it gets 401 from now on."); err != nil {
				return err
			}
			var x obj
			raw, err := a.call(ctx, "DELETE", "/api/v1/api-keys/"+url.PathEscape(args[0]), nil, nil, &x)
			if err != nil || c.asJSON {
				return c.out(raw, err)
			}
			return c.fields("revoked key", str(x["id"]), "revoked at", when(x["revoked_at"]))
		}),
	}
	rotate := &cobra.Command{
		Use: "rotate KEY_ID", Short: "Replace an admin key with a new one (same name, scopes, expiry); prints it once", Args: exactArgs("KEY_ID"),
		RunE: c.withAdmin(func(ctx context.Context, a *api, args []string) error {
			var x obj
			raw, err := a.call(ctx, "POST", "/api/v1/api-keys/"+url.PathEscape(args[0])+"/rotate", nil, nil, &x)
			if err != nil || c.asJSON {
				return c.out(raw, err)
			}
			c.secret("admin key", str(x["key"]), "replaces", args[0], "key id", str(x["id"]), "name", str(x["name"]), "scopes", str(x["scopes"]))
			return nil
		}),
	}
	return group("key", "Admin keys of the tenant: list, create, rotate, revoke", list, create, rotate, revoke)
}
