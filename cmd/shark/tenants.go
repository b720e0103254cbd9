package main

import (
	"context"
	"errors"
	"net/url"

	"github.com/spf13/cobra"
)

// tenantCommand: tenants, through the platform API (shared/admin/platform.go).
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
			if len(l.Data) == 0 {
				return c.empty("tenants")
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
		return c.showTenant(x)
	}
	get := &cobra.Command{
		Use: "get TENANT_ID", Short: "Show a tenant", Args: exactArgs("TENANT_ID"),
		RunE: c.withPlatform(func(ctx context.Context, a *api, args []string) error {
			return show(ctx, a, "GET", "/platform/v1/tenants/"+url.PathEscape(args[0]))
		}),
	}
	disable := &cobra.Command{
		Use: "disable TENANT_ID", Short: "Disable a tenant (every route answers 404 unknown tenant; asks first, --yes for scripts)", Args: exactArgs("TENANT_ID"),
		RunE: c.withPlatform(func(ctx context.Context, a *api, args []string) error {
			var x obj
			if _, err := a.call(ctx, "GET", "/platform/v1/tenants/"+url.PathEscape(args[0]), nil, nil, &x); err != nil {
				return err
			}
			if err := c.confirm(disablePrompt(args[0], x)); err != nil {
				return err
			}
			return show(ctx, a, "POST", "/platform/v1/tenants/"+url.PathEscape(args[0])+"/disable")
		}),
	}
	return group("tenant", "Tenants (platform key): create, list, get, update, disable", create, list, get, c.tenantUpdateCommand(), disable)
}

func disablePrompt(id string, x obj) string {
	return "Disable " + named("tenant", id, x) + ": every route of the tenant answers 404 unknown tenant, its tokens stop working (shark tenant update " + id + " --enable undoes it)."
}

// showTenant prints every setting of a tenant.
func (c *cli) showTenant(x obj) error {
	return c.fields("id", str(x["id"]), "name", str(x["name"]), "issuer", str(x["issuer"]), "issuers", str(x["issuers"]), "hosts", str(x["hosts"]),
		"default audience", str(x["default_audience"]), "audiences", str(x["audiences"]), "scopes", str(x["scopes"]),
		"dcr policy", str(x["dcr_policy"]), "dcr scopes", str(x["dcr_scopes"]), "cimd", str(x["cimd"]), "cimd hosts", str(x["cimd_hosts"]),
		"cimd deny hosts", str(x["cimd_deny_hosts"]), "dpop nonce", str(x["dpop_nonce"]), "audit shards", str(x["audit_shards"]),
		"audit retention days", str(x["audit_retention_days"]), "disabled", str(x["disabled"]), "disabled at", when(x["disabled_at"]),
		"created", when(x["created_at"]), "updated", when(x["updated_at"]))
}

func (c *cli) tenantUpdateCommand() *cobra.Command {
	var name, audience, policy string
	var scopes, dcrScopes, audiences, hosts []string
	var enable, disable bool
	cmd := &cobra.Command{
		Use:   "update TENANT_ID [--default-audience URL] [--scopes a,b] [--dcr-policy P] [--dcr-scopes a,b] [--enable|--disable]",
		Short: "Change a tenant's settings (only the flags given)",
		Long: `Change a tenant's settings; only the flags given change.

--default-audience is the aud of tokens that ask for no resource: set it to
your MCP server's URL so its tokens are for it (without it they carry
aud=[client_id]). --scopes is the tenant's scope list, --dcr-policy who may
register clients (open, initial_access_token, software_statement, closed) and
--dcr-scopes the scopes a registrant may give itself. --disable asks first
(--yes for scripts); --enable undoes it.`,
		Example: `  shark tenant update default --default-audience https://mcp.example.com/mcp
  shark tenant update acme --dcr-policy closed --dcr-scopes mcp:read`,
		Args: exactArgs("TENANT_ID"),
		RunE: c.withPlatform(func(ctx context.Context, a *api, args []string) error {
			if enable && disable {
				return usageError{errors.New("--enable and --disable together")}
			}
			body := obj{}
			if c.changed("name") {
				body["name"] = name
			}
			if c.changed("default-audience") {
				body["default_audience"] = audience
			}
			if c.changed("audiences") {
				body["audiences"] = splitList(audiences)
			}
			if c.changed("scopes") {
				body["scopes"] = splitList(scopes)
			}
			if c.changed("dcr-policy") {
				body["dcr_policy"] = policy
			}
			if c.changed("dcr-scopes") {
				body["dcr_scopes"] = splitList(dcrScopes)
			}
			if c.changed("host") {
				body["hosts"] = splitList(hosts)
			}
			if enable || disable {
				body["disabled"] = disable
			}
			if len(body) == 0 {
				return usageError{errors.New("nothing to update: pass at least one of --name, --default-audience, --audiences, --scopes, --dcr-policy, --dcr-scopes, --host, --enable, --disable")}
			}
			path := "/platform/v1/tenants/" + url.PathEscape(args[0])
			if disable {
				var x obj
				if _, err := a.call(ctx, "GET", path, nil, nil, &x); err != nil {
					return err
				}
				if err := c.confirm(disablePrompt(args[0], x)); err != nil {
					return err
				}
			}
			var x obj
			raw, err := a.call(ctx, "PATCH", path, nil, body, &x)
			if err != nil || c.asJSON {
				return c.out(raw, err)
			}
			return c.showTenant(x)
		}),
	}
	fl := cmd.Flags()
	fl.StringVar(&name, "name", "", "display name")
	fl.StringVar(&audience, "default-audience", "", "aud of tokens that request no resource (\"\" clears it: aud is then the client_id)")
	fl.StringSliceVar(&audiences, "audiences", nil, "the audiences tokens may be requested for (replaces the list; \"\" allows any)")
	fl.StringSliceVar(&scopes, "scopes", nil, "the tenant's scopes (comma separated or repeated; replaces the list)")
	fl.StringVar(&policy, "dcr-policy", "", "open, initial_access_token, software_statement or closed")
	fl.StringSliceVar(&dcrScopes, "dcr-scopes", nil, "scopes a registrant may assign itself (replaces the list; \"\" for none)")
	fl.StringSliceVar(&hosts, "host", nil, "custom hosts (repeatable; replaces the list)")
	fl.BoolVar(&enable, "enable", false, "re-enable a disabled tenant")
	fl.BoolVar(&disable, "disable", false, "disable the tenant (asks first)")
	return cmd
}
