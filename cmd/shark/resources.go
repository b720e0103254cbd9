package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
)

// withAdmin runs fn with a client of the tenant's admin API.
func (c *cli) withAdmin(fn func(ctx context.Context, a *api, args []string) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		a, err := c.admin()
		if err != nil {
			return err
		}
		return fn(cmd.Context(), a, args)
	}
}

func (c *cli) withPlatform(fn func(ctx context.Context, a *api, args []string) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		a, err := c.platform()
		if err != nil {
			return err
		}
		return fn(cmd.Context(), a, args)
	}
}

func group(use, short string, children ...*cobra.Command) *cobra.Command {
	cmd := &cobra.Command{Use: use, Short: short, Args: cobra.ArbitraryArgs, RunE: func(cmd *cobra.Command, args []string) error {
		if len(args) > 0 {
			return usageError{fmt.Errorf("unknown command %q for %q", args[0], cmd.CommandPath())}
		}
		return usageError{fmt.Errorf("a subcommand is required")}
	}}
	cmd.AddCommand(children...)
	return cmd
}

// pageQuery is the limit (and offset) of a list command.
func pageQuery(limit, offset int) url.Values {
	q := url.Values{}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	if offset > 0 {
		q.Set("offset", strconv.Itoa(offset))
	}
	return q
}

// splitList accepts repeated flags and comma lists: --scopes a,b --scopes c.
func splitList(vs []string) []string {
	out := []string{}
	for _, v := range vs {
		for _, p := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' }) {
			out = append(out, p)
		}
	}
	return out
}

// ---- applications ----

func (c *cli) appCommand() *cobra.Command {
	var name, description, mode string
	var redirects []string
	create := &cobra.Command{
		Use: "create --name NAME", Short: "Create an application (its app_ id scopes the agents your backend creates)", Args: noArgs,
		Example: `  shark app create --name "my-saas-backend"`,
		RunE: c.withAdmin(func(ctx context.Context, a *api, _ []string) error {
			body := obj{"name": name}
			if description != "" {
				body["description"] = description
			}
			if mode != "" {
				body["integration_mode"] = mode
			}
			if len(redirects) > 0 {
				body["redirect_uris"] = redirects
			}
			var app obj
			raw, err := a.call(ctx, "POST", "/api/v1/admin/apps", nil, body, &app)
			if err != nil || c.asJSON {
				return c.out(raw, err)
			}
			c.secret("client secret", str(app["client_secret"]), "application", str(app["id"]), "name", str(app["name"]), "client id", str(app["client_id"]))
			return nil
		}),
	}
	create.Flags().StringVar(&name, "name", "", "the application's name (required)")
	create.Flags().StringVar(&description, "description", "", "a description")
	create.Flags().StringVar(&mode, "integration-mode", "", "integration mode")
	create.Flags().StringSliceVar(&redirects, "redirect-uri", nil, "a redirect URI (repeatable)")
	create.MarkFlagRequired("name")

	var limit, offset int
	list := &cobra.Command{
		Use: "list", Short: "List applications", Args: noArgs,
		RunE: c.withAdmin(func(ctx context.Context, a *api, _ []string) error {
			var l listResp
			raw, err := a.call(ctx, "GET", "/api/v1/admin/apps", pageQuery(limit, offset), nil, &l)
			if err != nil || c.asJSON {
				return c.out(raw, err)
			}
			rows := [][]string{}
			for _, x := range l.Data {
				rows = append(rows, []string{str(x["id"]), str(x["name"]), str(x["client_id"]), when(x["created_at"])})
			}
			return c.table([]string{"ID", "NAME", "CLIENT ID", "CREATED"}, rows)
		}),
	}
	list.Flags().IntVar(&limit, "limit", 0, "page size (1-200)")
	list.Flags().IntVar(&offset, "offset", 0, "skip this many")

	get := &cobra.Command{
		Use: "get APP_ID", Short: "Show an application", Args: exactArgs("APP_ID"),
		RunE: c.withAdmin(func(ctx context.Context, a *api, args []string) error {
			var x obj
			raw, err := a.call(ctx, "GET", "/api/v1/admin/apps/"+url.PathEscape(args[0]), nil, nil, &x)
			if err != nil || c.asJSON {
				return c.out(raw, err)
			}
			return c.fields("id", str(x["id"]), "name", str(x["name"]), "slug", str(x["slug"]), "client id", str(x["client_id"]),
				"description", str(x["description"]), "redirect uris", str(x["redirect_uris"]), "created", when(x["created_at"]))
		}),
	}
	del := &cobra.Command{
		Use: "delete APP_ID", Short: "Delete an application", Args: exactArgs("APP_ID"),
		RunE: c.withAdmin(func(ctx context.Context, a *api, args []string) error {
			if _, err := a.do(ctx, "DELETE", "/api/v1/admin/apps/"+url.PathEscape(args[0]), nil, nil); err != nil {
				return err
			}
			return c.done(obj{"deleted": args[0]}, "deleted application "+args[0])
		}),
	}
	rotate := &cobra.Command{
		Use: "rotate-secret APP_ID", Short: "Issue a new client secret for an application (the old one stops working)", Args: exactArgs("APP_ID"),
		RunE: c.withAdmin(func(ctx context.Context, a *api, args []string) error {
			var x obj
			raw, err := a.call(ctx, "POST", "/api/v1/admin/apps/"+url.PathEscape(args[0])+"/rotate-secret", nil, obj{}, &x)
			if err != nil || c.asJSON {
				return c.out(raw, err)
			}
			c.secret("client secret", str(x["client_secret"]), "application", first(str(x["id"]), args[0]))
			return nil
		}),
	}
	return group("app", "Applications: create, list, get, delete, rotate-secret", create, list, get, del, rotate)
}

// ---- agents ----

func (c *cli) agentCommand() *cobra.Command {
	var name, appID, description, createdBy string
	var scopes []string
	var lifetime int
	create := &cobra.Command{
		Use: "create --name NAME [--app APP_ID] [--scopes a,b]", Short: "Create an agent (an OAuth client); prints its client id and secret once", Args: noArgs,
		Example: `  shark agent create --app app_... --name a1 --scopes mcp:read,mcp:write`,
		RunE: c.withAdmin(func(ctx context.Context, a *api, _ []string) error {
			body := obj{"name": name, "scopes": splitList(scopes)}
			if appID != "" {
				body["metadata"] = obj{"app_id": appID}
			}
			if description != "" {
				body["description"] = description
			}
			if createdBy != "" {
				body["created_by"] = createdBy
			}
			if lifetime > 0 {
				body["token_lifetime"] = lifetime
			}
			var x obj
			raw, err := a.call(ctx, "POST", "/api/v1/agents", nil, body, &x)
			if err != nil || c.asJSON {
				return c.out(raw, err)
			}
			c.secret("client secret", str(x["client_secret"]), "agent", str(x["id"]), "name", str(x["name"]), "scopes", str(x["scopes"]), "client id", str(x["client_id"]))
			return nil
		}),
	}
	create.Flags().StringVar(&name, "name", "", "the agent's name (required)")
	create.Flags().StringVar(&appID, "app", "", "the application (app_...) the agent belongs to (metadata.app_id)")
	create.Flags().StringSliceVar(&scopes, "scopes", nil, "scopes, comma separated or repeated")
	create.Flags().StringVar(&description, "description", "", "a description")
	create.Flags().StringVar(&createdBy, "created-by", "", "the user (usr_...) the agent acts for; revoking the user's agents revokes it")
	create.Flags().IntVar(&lifetime, "token-lifetime", 0, "access token lifetime in seconds")
	create.MarkFlagRequired("name")

	var search, lApp, lUser, active string
	var limit, offset int
	list := &cobra.Command{
		Use: "list", Short: "List agents (search by name, filter by application, user, state)", Args: noArgs,
		RunE: c.withAdmin(func(ctx context.Context, a *api, _ []string) error {
			q := pageQuery(limit, offset)
			for k, v := range map[string]string{"search": search, "app_id": lApp, "created_by_user_id": lUser, "active": active} {
				if v != "" {
					q.Set(k, v)
				}
			}
			var l listResp
			raw, err := a.call(ctx, "GET", "/api/v1/agents", q, nil, &l)
			if err != nil || c.asJSON {
				return c.out(raw, err)
			}
			rows := [][]string{}
			for _, x := range l.Data {
				meta, _ := x["metadata"].(obj)
				rows = append(rows, []string{str(x["id"]), str(x["name"]), str(x["client_id"]), str(x["active"]), str(x["scopes"]), str(meta["app_id"]), when(x["created_at"])})
			}
			if err := c.table([]string{"ID", "NAME", "CLIENT ID", "ACTIVE", "SCOPES", "APP", "CREATED"}, rows); err != nil {
				return err
			}
			if l.Total != nil && *l.Total > offset+len(l.Data) {
				fmt.Fprintf(c.stderr, "%d of %d shown; next page: --offset %d\n", len(l.Data), *l.Total, offset+len(l.Data))
			}
			return nil
		}),
	}
	list.Flags().StringVar(&search, "search", "", "name contains")
	list.Flags().StringVar(&lApp, "app", "", "only this application's agents")
	list.Flags().StringVar(&lUser, "user", "", "only agents created by this user")
	list.Flags().StringVar(&active, "active", "", "true or false")
	list.Flags().IntVar(&limit, "limit", 0, "page size (1-200)")
	list.Flags().IntVar(&offset, "offset", 0, "skip this many")

	get := &cobra.Command{
		Use: "get AGENT", Short: "Show an agent (by id or client_id)", Args: exactArgs("AGENT"),
		RunE: c.withAdmin(func(ctx context.Context, a *api, args []string) error {
			var x obj
			raw, err := a.call(ctx, "GET", "/api/v1/agents/"+url.PathEscape(args[0]), nil, nil, &x)
			if err != nil || c.asJSON {
				return c.out(raw, err)
			}
			meta, _ := x["metadata"].(obj)
			return c.fields("id", str(x["id"]), "client id", str(x["client_id"]), "name", str(x["name"]), "description", str(x["description"]),
				"active", str(x["active"]), "scopes", str(x["scopes"]), "grant types", str(x["grant_types"]), "application", str(meta["app_id"]),
				"created by", str(x["created_by"]), "dpop key", str(x["dpop_jkt"]), "token lifetime", str(x["token_lifetime"]),
				"created", when(x["created_at"]), "updated", when(x["updated_at"]))
		}),
	}
	revoke := &cobra.Command{
		Use: "revoke AGENT", Short: "Deactivate an agent and revoke all its tokens", Args: exactArgs("AGENT"),
		RunE: c.withAdmin(func(ctx context.Context, a *api, args []string) error {
			if _, err := a.do(ctx, "DELETE", "/api/v1/agents/"+url.PathEscape(args[0]), nil, nil); err != nil {
				return err
			}
			return c.done(obj{"revoked": args[0]}, "revoked agent "+args[0]+": it is inactive and its tokens introspect inactive")
		}),
	}
	rotate := &cobra.Command{
		Use: "rotate-secret AGENT", Short: "Issue a new client secret for an agent (the old one stops working)", Args: exactArgs("AGENT"),
		RunE: c.withAdmin(func(ctx context.Context, a *api, args []string) error {
			var x obj
			raw, err := a.call(ctx, "POST", "/api/v1/agents/"+url.PathEscape(args[0])+"/rotate-secret", nil, obj{}, &x)
			if err != nil || c.asJSON {
				return c.out(raw, err)
			}
			c.secret("client secret", str(x["client_secret"]), "agent", str(x["agent_id"]), "client id", str(x["client_id"]))
			return nil
		}),
	}
	tokens := &cobra.Command{
		Use: "tokens AGENT", Short: "List an agent's tokens", Args: exactArgs("AGENT"),
		RunE: c.withAdmin(func(ctx context.Context, a *api, args []string) error {
			var l listResp
			raw, err := a.call(ctx, "GET", "/api/v1/agents/"+url.PathEscape(args[0])+"/tokens", nil, nil, &l)
			if err != nil || c.asJSON {
				return c.out(raw, err)
			}
			rows := [][]string{}
			for _, x := range l.Data {
				rows = append(rows, []string{str(x["jti"]), str(x["scope"]), str(x["audience"]), str(x["jkt"]), when(x["created_at"]), when(x["expires_at"]), tokenState(x)})
			}
			return c.table([]string{"JTI", "SCOPE", "AUDIENCE", "JKT", "ISSUED", "EXPIRES", "STATE"}, rows)
		}),
	}
	revokeTokens := &cobra.Command{
		Use: "revoke-tokens AGENT", Short: "Revoke every token of an agent (the agent stays active)", Args: exactArgs("AGENT"),
		RunE: c.withAdmin(func(ctx context.Context, a *api, args []string) error {
			var x obj
			raw, err := a.call(ctx, "POST", "/api/v1/agents/"+url.PathEscape(args[0])+"/tokens/revoke-all", nil, obj{}, &x)
			if err != nil || c.asJSON {
				return c.out(raw, err)
			}
			return c.fields("revoked tokens", str(x["revoked_count"]), "audit event", str(x["audit_event_id"]))
		}),
	}
	return group("agent", "Agents: create, list, get, revoke, rotate-secret, tokens, revoke-tokens, audit",
		create, list, get, revoke, rotate, tokens, revokeTokens, c.agentAuditCommand())
}

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

// ---- admin keys ----

func (c *cli) keyCommand() *cobra.Command {
	list := &cobra.Command{
		Use: "list", Short: "List the tenant's admin keys (never the keys themselves)", Args: noArgs,
		RunE: c.withAdmin(func(ctx context.Context, a *api, _ []string) error {
			var l listResp
			raw, err := a.call(ctx, "GET", "/api/v1/api-keys", nil, nil, &l)
			if err != nil || c.asJSON {
				return c.out(raw, err)
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
				body["expires_at"] = expires
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
	create.Flags().StringVar(&expires, "expires-at", "", "expiry, RFC 3339")
	create.MarkFlagRequired("name")
	revoke := &cobra.Command{
		Use: "revoke KEY_ID", Short: "Revoke an admin key (the last * key cannot be revoked)", Args: exactArgs("KEY_ID"),
		RunE: c.withAdmin(func(ctx context.Context, a *api, args []string) error {
			var x obj
			raw, err := a.call(ctx, "DELETE", "/api/v1/api-keys/"+url.PathEscape(args[0]), nil, nil, &x)
			if err != nil || c.asJSON {
				return c.out(raw, err)
			}
			return c.fields("revoked key", str(x["id"]), "revoked at", when(x["revoked_at"]))
		}),
	}
	return group("key", "Admin keys of the tenant: list, create, revoke", list, create, revoke)
}

// ---- signing keys ----

func (c *cli) signingKeyCommand() *cobra.Command {
	list := &cobra.Command{
		Use: "list", Short: "List the tenant's signing keys and their states", Args: noArgs,
		RunE: c.withAdmin(func(ctx context.Context, a *api, _ []string) error {
			var l listResp
			raw, err := a.call(ctx, "GET", "/api/v1/admin/signing-keys", nil, nil, &l)
			if err != nil || c.asJSON {
				return c.out(raw, err)
			}
			rows := [][]string{}
			for _, x := range l.Data {
				rows = append(rows, []string{str(x["kid"]), str(x["state"]), str(x["alg"]), str(x["published"]), when(x["created_at"]), when(x["activated_at"]), when(x["retired_at"])})
			}
			return c.table([]string{"KID", "STATE", "ALG", "PUBLISHED", "CREATED", "ACTIVATED", "RETIRED"}, rows)
		}),
	}
	var emergency bool
	rotate := &cobra.Command{
		Use: "rotate [--emergency]", Short: "Rotate the tenant's signing key", Args: noArgs,
		Long: `Rotate the tenant's signing key. A scheduled rotation (the default) publishes the
new key as "next" and makes it current once it has been in the JWKS for the
cache lifetime. --emergency makes it current at once, drops the old key from
the JWKS and makes its tokens introspect inactive.`,
		RunE: c.withAdmin(func(ctx context.Context, a *api, _ []string) error {
			mode := "scheduled"
			if emergency {
				mode = "emergency"
			}
			var x obj
			raw, err := a.call(ctx, "POST", "/api/v1/admin/signing-keys/rotate", nil, obj{"mode": mode}, &x)
			if err != nil || c.asJSON {
				return c.out(raw, err)
			}
			return c.fields("new key", str(x["kid"]), "state", str(x["state"]), "mode", mode, "current after", when(x["current_after"]))
		}),
	}
	rotate.Flags().BoolVar(&emergency, "emergency", false, "the old key is compromised: retire it and its tokens at once")
	return group("signing-key", "Signing keys of the tenant: list, rotate", list, rotate)
}

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

// ---- shared output ----

type listResp = list

// out prints a server answer as JSON (after an error, returns it).
func (c *cli) out(raw []byte, err error) error {
	if err != nil {
		return err
	}
	return c.printJSON(raw)
}

// done reports an action that returns no body.
func (c *cli) done(v obj, text string) error {
	if c.asJSON {
		b, _ := json.Marshal(v)
		return c.printJSON(b)
	}
	_, err := fmt.Fprintln(c.stdout, text)
	return err
}

// more tells how to get the next page of a cursor-paged list.
func (c *cli) more(l list) {
	if l.HasMore && l.NextCursor != nil {
		fmt.Fprintf(c.stderr, "more: --cursor %s\n", *l.NextCursor)
	}
}

// tokenState is a listed token's state as the server decided it (active,
// revoked_reason: the five revocation layers), not revoked_at alone.
func tokenState(x obj) string {
	switch {
	case x["active"] == true:
		return "active"
	case x["revoked_reason"] != nil:
		return "revoked (" + str(x["revoked_reason"]) + ")"
	}
	return "expired"
}
