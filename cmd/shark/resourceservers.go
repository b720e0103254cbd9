package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"strings"

	"github.com/spf13/cobra"
)

// ---- resource servers ----

// resourceServerCommand is `shark resource`: the resource servers (MCP
// servers, APIs) of the tenant and their least-privilege credentials, which
// may introspect the tokens meant for their resources and nothing else.
func (c *cli) resourceServerCommand() *cobra.Command {
	var name, description, jwksURI, jwksFile string
	var resources []string
	create := &cobra.Command{
		Use:   "create --name NAME --resource URL [--resource URL2] [--jwks-uri U | --jwks-file F]",
		Short: "Register a resource server; prints its client secret once (none with --jwks-uri or --jwks-file: private_key_jwt)",
		Args:  noArgs,
		Example: `  shark resource create --name "notes MCP server" --resource https://mcp.example.com/mcp
  shark resource create --name api --resource https://api.example.com --jwks-uri https://api.example.com/.well-known/jwks.json`,
		RunE: c.withAdmin(func(ctx context.Context, a *api, _ []string) error {
			body := obj{"name": name, "resources": splitList(resources)}
			if description != "" {
				body["description"] = description
			}
			if jwksURI != "" && jwksFile != "" {
				return fmt.Errorf("--jwks-uri and --jwks-file are exclusive")
			}
			if jwksURI != "" {
				body["jwks_uri"] = jwksURI
			}
			if jwksFile != "" {
				raw, err := os.ReadFile(jwksFile)
				if err != nil {
					return fmt.Errorf("--jwks-file: %w", err)
				}
				if !json.Valid(raw) {
					return fmt.Errorf("--jwks-file: %s is not JSON", jwksFile)
				}
				body["jwks"] = json.RawMessage(raw)
			}
			var x obj
			raw, err := a.call(ctx, "POST", "/api/v1/resource-servers", nil, body, &x)
			if err != nil || c.asJSON {
				return c.out(raw, err)
			}
			if s := str(x["client_secret"]); s != "" {
				c.secret("client secret", s, "resource server", str(x["id"]), "name", str(x["name"]), "client id", str(x["client_id"]),
					"resources", strings.Join(strList(x["resources"]), " "))
				return nil
			}
			return c.fields("resource server", str(x["id"]), "name", str(x["name"]), "client id", str(x["client_id"]),
				"resources", strings.Join(strList(x["resources"]), " "), "auth method", str(x["token_endpoint_auth_method"]))
		}),
	}
	create.Flags().StringVar(&name, "name", "", "the resource server's name (required)")
	create.Flags().StringSliceVar(&resources, "resource", nil, "a resource URL it accepts as token audience (repeatable, required)")
	create.Flags().StringVar(&description, "description", "", "a description")
	create.Flags().StringVar(&jwksURI, "jwks-uri", "", "authenticate with private_key_jwt, keys published at this https URL")
	create.Flags().StringVar(&jwksFile, "jwks-file", "", "authenticate with private_key_jwt, public keys in this JWK set file")
	create.MarkFlagRequired("name")
	create.MarkFlagRequired("resource")

	var limit, offset int
	list := &cobra.Command{
		Use: "list", Short: "List resource servers", Args: noArgs,
		RunE: c.withAdmin(func(ctx context.Context, a *api, _ []string) error {
			var l listResp
			raw, err := a.call(ctx, "GET", "/api/v1/resource-servers", pageQuery(limit, offset), nil, &l)
			if err != nil || c.asJSON {
				return c.out(raw, err)
			}
			rows := [][]string{}
			for _, x := range l.Data {
				rows = append(rows, []string{str(x["id"]), str(x["name"]), str(x["client_id"]), strings.Join(strList(x["resources"]), " "),
					str(x["token_endpoint_auth_method"]), str(x["active"]), when(x["created_at"])})
			}
			return c.table([]string{"ID", "NAME", "CLIENT ID", "RESOURCES", "AUTH", "ACTIVE", "CREATED"}, rows)
		}),
	}
	list.Flags().IntVar(&limit, "limit", 0, "page size (1-200)")
	list.Flags().IntVar(&offset, "offset", 0, "skip this many")

	get := &cobra.Command{
		Use: "get RS_ID", Short: "Show a resource server (by id or client id)", Args: exactArgs("RS_ID"),
		RunE: c.withAdmin(func(ctx context.Context, a *api, args []string) error {
			var x obj
			raw, err := a.call(ctx, "GET", "/api/v1/resource-servers/"+url.PathEscape(args[0]), nil, nil, &x)
			if err != nil || c.asJSON {
				return c.out(raw, err)
			}
			return c.fields("id", str(x["id"]), "name", str(x["name"]), "client id", str(x["client_id"]),
				"resources", strings.Join(strList(x["resources"]), " "), "auth method", str(x["token_endpoint_auth_method"]),
				"jwks uri", str(x["jwks_uri"]), "active", str(x["active"]), "created", when(x["created_at"]))
		}),
	}
	del := &cobra.Command{
		Use: "delete RS_ID", Short: "Delete a resource server (its credential stops working)", Args: exactArgs("RS_ID"),
		RunE: c.withAdmin(func(ctx context.Context, a *api, args []string) error {
			if _, err := a.do(ctx, "DELETE", "/api/v1/resource-servers/"+url.PathEscape(args[0]), nil, nil); err != nil {
				return err
			}
			return c.done(obj{"deleted": args[0]}, "deleted resource server "+args[0])
		}),
	}
	rotate := &cobra.Command{
		Use: "rotate-secret RS_ID", Short: "Issue a new client secret for a resource server (the old one stops working)", Args: exactArgs("RS_ID"),
		RunE: c.withAdmin(func(ctx context.Context, a *api, args []string) error {
			var x obj
			raw, err := a.call(ctx, "POST", "/api/v1/resource-servers/"+url.PathEscape(args[0])+"/rotate-secret", nil, obj{}, &x)
			if err != nil || c.asJSON {
				return c.out(raw, err)
			}
			c.secret("client secret", str(x["client_secret"]), "resource server", first(str(x["id"]), args[0]), "client id", str(x["client_id"]))
			return nil
		}),
	}
	return group("resource", "Resource servers: create, list, get, delete, rotate-secret", create, list, get, del, rotate)
}

// strList reads a JSON array of strings.
func strList(v any) []string {
	xs, _ := v.([]any)
	out := make([]string, 0, len(xs))
	for _, x := range xs {
		out = append(out, fmt.Sprint(x))
	}
	return out
}
