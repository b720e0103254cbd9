package main

import (
	"context"
	"fmt"
	"net/url"

	"github.com/spf13/cobra"
)

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
