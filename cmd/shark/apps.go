package main

import (
	"context"
	"net/url"

	"github.com/spf13/cobra"
)

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
