package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"

	"github.com/spf13/cobra"
)

// agentCommand: the admin API's agents (shared/admin/agents.go).
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
				// The API takes any metadata.app_id: a typo would file the
				// agent under no application.
				ok, _, err := exists(ctx, a, "/api/v1/admin/apps/"+url.PathEscape(appID))
				if err != nil {
					return err
				}
				if !ok {
					if err := c.warn("application %s does not exist (shark app list): the agent is filed under an unknown app_id", appID); err != nil {
						return err
					}
				}
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
			if len(l.Data) == 0 {
				return c.empty("agents")
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
		Use: "revoke AGENT", Short: "Deactivate an agent and revoke all its tokens (asks first; --yes for scripts)", Args: exactArgs("AGENT"),
		RunE: c.withAdmin(func(ctx context.Context, a *api, args []string) error {
			var x obj
			if _, err := a.call(ctx, "GET", "/api/v1/agents/"+url.PathEscape(args[0]), nil, nil, &x); err != nil {
				return err
			}
			if err := c.confirm("Revoke " + named("agent", args[0], x) + ": it is deactivated and every token it holds introspects inactive."); err != nil {
				return err
			}
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
			if len(l.Data) == 0 {
				return c.empty("tokens")
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
	return group("agent", "Agents: create, list, get, update, revoke, rotate-secret, rotate-dpop-key, tokens, revoke-tokens, audit",
		create, list, get, c.agentUpdateCommand(), revoke, rotate, c.agentRotateDPoPCommand(), tokens, revokeTokens, c.agentAuditCommand())
}

func (c *cli) agentUpdateCommand() *cobra.Command {
	var name, description string
	var scopes, audiences, redirects []string
	var lifetime int
	cmd := &cobra.Command{
		Use: "update AGENT [--name N] [--scopes a,b] [--audience URL]... [--redirect-uri URI]...", Short: "Change an agent (only the flags given)", Args: exactArgs("AGENT"),
		Example: `  shark agent update agent_... --scopes mcp:read --audience https://mcp.example.com`,
		RunE: c.withAdmin(func(ctx context.Context, a *api, args []string) error {
			body := obj{}
			if c.changed("name") {
				body["name"] = name
			}
			if c.changed("description") {
				body["description"] = description
			}
			if c.changed("scopes") {
				body["scopes"] = splitList(scopes)
			}
			if c.changed("audience") {
				body["audiences"] = splitList(audiences)
			}
			if c.changed("redirect-uri") {
				body["redirect_uris"] = splitList(redirects)
			}
			if c.changed("token-lifetime") {
				body["token_lifetime"] = lifetime
			}
			if len(body) == 0 {
				return usageError{errors.New("nothing to update: pass at least one of --name, --description, --scopes, --audience, --redirect-uri, --token-lifetime")}
			}
			var x obj
			raw, err := a.call(ctx, "PATCH", "/api/v1/agents/"+url.PathEscape(args[0]), nil, body, &x)
			if err != nil || c.asJSON {
				return c.out(raw, err)
			}
			return c.fields("id", str(x["id"]), "client id", str(x["client_id"]), "name", str(x["name"]), "scopes", str(x["scopes"]),
				"audiences", str(x["audiences"]), "redirect uris", str(x["redirect_uris"]), "token lifetime", str(x["token_lifetime"]), "updated", when(x["updated_at"]))
		}),
	}
	fl := cmd.Flags()
	fl.StringVar(&name, "name", "", "new name")
	fl.StringVar(&description, "description", "", "new description")
	fl.StringSliceVar(&scopes, "scopes", nil, "the scopes (comma separated or repeated; replaces the list)")
	fl.StringSliceVar(&audiences, "audience", nil, "the audiences (resources) its tokens may be for (repeatable; replaces the list)")
	fl.StringSliceVar(&redirects, "redirect-uri", nil, "the redirect URIs (repeatable; replaces the list)")
	fl.IntVar(&lifetime, "token-lifetime", 0, "access token lifetime in seconds")
	return cmd
}

// agentRotateDPoPCommand registers a new DPoP key for an agent.
func (c *cli) agentRotateDPoPCommand() *cobra.Command {
	var jwkFile, reason string
	cmd := &cobra.Command{
		Use: "rotate-dpop-key AGENT --jwk FILE", Short: "Bind an agent to a new DPoP public key (asks first; --yes for scripts)", Args: exactArgs("AGENT"),
		Long: `Register a new DPoP public key (a JWK file, "-" for stdin) for an agent. Every token
issued so far is revoked. Afterwards the agent is pinned to this one key: its
token requests must carry proofs from it, so running several instances each
with a fresh keypair stops working for this agent (give each instance its own
agent instead).`,
		RunE: c.withAdmin(func(ctx context.Context, a *api, args []string) error {
			var raw []byte
			var err error
			if jwkFile == "-" {
				raw, err = io.ReadAll(io.LimitReader(c.stdin, 1<<16))
			} else {
				raw, err = os.ReadFile(jwkFile)
			}
			if err != nil {
				return fmt.Errorf("--jwk: %w", err)
			}
			var jwk obj
			if err := json.Unmarshal(raw, &jwk); err != nil {
				return usageError{fmt.Errorf("--jwk: not a JWK (JSON object): %v", err)}
			}
			var x obj
			if _, err := a.call(ctx, "GET", "/api/v1/agents/"+url.PathEscape(args[0]), nil, nil, &x); err != nil {
				return err
			}
			if err := c.confirm("Rotate the DPoP key of " + named("agent", args[0], x) + ": its tokens are revoked and it is pinned to this one key;\nevery instance must then sign its proofs with it (a fresh keypair per instance fails)."); err != nil {
				return err
			}
			body := obj{"new_public_jwk": jwk}
			if reason != "" {
				body["reason"] = reason
			}
			var out obj
			resp, err := a.call(ctx, "POST", "/api/v1/agents/"+url.PathEscape(args[0])+"/rotate-dpop-key", nil, body, &out)
			if err != nil || c.asJSON {
				return c.out(resp, err)
			}
			pairs := []string{"agent", args[0]}
			for _, k := range []string{"new_jkt", "old_jkt", "revoked_token_count", "audit_event_id"} {
				if v, ok := out[k]; ok {
					pairs = append(pairs, strings.ReplaceAll(k, "_", " "), str(v))
				}
			}
			return c.fields(pairs...)
		}),
	}
	cmd.Flags().StringVar(&jwkFile, "jwk", "", "file holding the new public JWK (\"-\": stdin)")
	cmd.Flags().StringVar(&reason, "reason", "", "why (recorded in the audit log)")
	cmd.MarkFlagRequired("jwk")
	return cmd
}
