package main

import (
	"context"
	"net/url"

	"github.com/spf13/cobra"
)

// ---- tenants (platform key) ----

func (c *cli) tenantCommand() *cobra.Command {
	var name, policy string
	var hosts, dcrScopes []string
	create := &cobra.Command{
		Use: "create TENANT_ID", Short: "Create a tenant; prints its first admin key once", Args: exactArgs("TENANT_ID"),
		RunE: c.withPlatform(func(ctx context.Context, a *api, args []string) error {
			body := obj{"id": args[0]}
			if name != "" {
				body["name"] = name
			}
			if policy != "" {
				body["dcr_policy"] = policy
			}
			if len(hosts) > 0 {
				body["hosts"] = splitList(hosts)
			}
			if dcrScopes != nil { // --dcr-scope "" sets none
				body["dcr_scopes"] = splitList(dcrScopes)
			}
			var x struct {
				Tenant   obj    `json:"tenant"`
				Issuer   string `json:"issuer"`
				AdminKey string `json:"admin_key"`
			}
			raw, err := a.call(ctx, "POST", "/platform/v1/tenants", nil, body, &x)
			if err != nil || c.asJSON {
				return c.out(raw, err)
			}
			c.secret("admin key", x.AdminKey, "tenant", str(x.Tenant["id"]), "issuer", x.Issuer)
			return nil
		}),
	}
	create.Flags().StringVar(&name, "name", "", "display name")
	create.Flags().StringVar(&policy, "dcr-policy", "", "open, initial_access_token, software_statement or closed")
	create.Flags().StringSliceVar(&hosts, "host", nil, "a custom host (repeatable)")
	create.Flags().StringSliceVar(&dcrScopes, "dcr-scope", nil, "a scope a registrant may assign itself (repeatable; default mcp:read,mcp:write; \"\" for none)")
	var limit int
	var cursor string
	list := &cobra.Command{
		Use: "list", Short: "List tenants", Args: noArgs,
		RunE: c.withPlatform(func(ctx context.Context, a *api, _ []string) error {
			q := pageQuery(limit, 0)
			if cursor != "" {
				q.Set("cursor", cursor)
			}
			var l listResp
			raw, err := a.call(ctx, "GET", "/platform/v1/tenants", q, nil, &l)
			if err != nil || c.asJSON {
				return c.out(raw, err)
			}
			rows := [][]string{}
			for _, x := range l.Data {
				rows = append(rows, []string{str(x["id"]), str(x["name"]), str(x["issuer"]), str(x["disabled"]), when(x["created_at"])})
			}
			if err := c.table([]string{"ID", "NAME", "ISSUER", "DISABLED", "CREATED"}, rows); err != nil {
				return err
			}
			c.more(l)
			return nil
		}),
	}
	list.Flags().IntVar(&limit, "limit", 0, "page size (1-200)")
	list.Flags().StringVar(&cursor, "cursor", "", "the next_cursor of the previous page")
	show := func(ctx context.Context, a *api, method, path string) error {
		var x obj
		raw, err := a.call(ctx, method, path, nil, nil, &x)
		if err != nil || c.asJSON {
			return c.out(raw, err)
		}
		return c.fields("id", str(x["id"]), "name", str(x["name"]), "issuer", str(x["issuer"]), "hosts", str(x["hosts"]),
			"dcr policy", str(x["dcr_policy"]), "dcr scopes", str(x["dcr_scopes"]), "disabled", str(x["disabled"]), "created", when(x["created_at"]))
	}
	get := &cobra.Command{
		Use: "get TENANT_ID", Short: "Show a tenant", Args: exactArgs("TENANT_ID"),
		RunE: c.withPlatform(func(ctx context.Context, a *api, args []string) error {
			return show(ctx, a, "GET", "/platform/v1/tenants/"+url.PathEscape(args[0]))
		}),
	}
	disable := &cobra.Command{
		Use: "disable TENANT_ID", Short: "Disable a tenant (every route answers 404 unknown tenant)", Args: exactArgs("TENANT_ID"),
		RunE: c.withPlatform(func(ctx context.Context, a *api, args []string) error {
			return show(ctx, a, "POST", "/platform/v1/tenants/"+url.PathEscape(args[0])+"/disable")
		}),
	}
	return group("tenant", "Tenants (platform key): create, list, get, disable", create, list, get, disable)
}
