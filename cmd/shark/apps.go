package main

import (
	"context"
	"errors"
	"net/url"

	"github.com/spf13/cobra"
)

// appCommand: the admin API's applications (shared/admin/apps.go).
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
			if len(l.Data) == 0 {
				return c.empty("applications")
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
		Use: "delete APP_ID", Short: "Delete an application (asks first; --yes for scripts)", Args: exactArgs("APP_ID"),
		RunE: c.withAdmin(func(ctx context.Context, a *api, args []string) error {
			path := "/api/v1/admin/apps/" + url.PathEscape(args[0])
			var x obj
			if _, err := a.call(ctx, "GET", path, nil, nil, &x); err != nil {
				return err
			}
			if err := c.confirm("Delete " + named("application", args[0], x) + ". Its client secret stops working."); err != nil {
				return err
			}
			if _, err := a.do(ctx, "DELETE", path, nil, nil); err != nil {
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
	return group("app", "Applications: create, list, get, update, delete, rotate-secret", create, list, get, c.appUpdateCommand(), del, rotate)
}

func (c *cli) appUpdateCommand() *cobra.Command {
	var name, description, mode string
	var redirects, scopes []string
	cmd := &cobra.Command{
		Use: "update APP_ID [--name N] [--description D] [--redirect-uri URI]... [--scopes a,b]", Short: "Change an application (only the flags given)", Args: exactArgs("APP_ID"),
		Example: `  shark app update app_... --name "billing backend" --redirect-uri https://app.example.com/cb`,
		RunE: c.withAdmin(func(ctx context.Context, a *api, args []string) error {
			body := obj{}
			f := func(n string) bool { return c.changed(n) }
			if f("name") {
				body["name"] = name
			}
			if f("description") {
				body["description"] = description
			}
			if f("integration-mode") {
				body["integration_mode"] = mode
			}
			if f("redirect-uri") {
				body["redirect_uris"] = splitList(redirects)
			}
			if f("scopes") {
				body["scopes"] = splitList(scopes)
			}
			if len(body) == 0 {
				return usageError{errors.New("nothing to update: pass at least one of --name, --description, --integration-mode, --redirect-uri, --scopes")}
			}
			var x obj
			raw, err := a.call(ctx, "PATCH", "/api/v1/admin/apps/"+url.PathEscape(args[0]), nil, body, &x)
			if err != nil || c.asJSON {
				return c.out(raw, err)
			}
			return c.fields("id", str(x["id"]), "name", str(x["name"]), "client id", str(x["client_id"]), "description", str(x["description"]),
				"redirect uris", str(x["redirect_uris"]), "scopes", str(x["scopes"]), "updated", when(x["updated_at"]))
		}),
	}
	fl := cmd.Flags()
	fl.StringVar(&name, "name", "", "new name")
	fl.StringVar(&description, "description", "", "new description")
	fl.StringVar(&mode, "integration-mode", "", "integration mode")
	fl.StringSliceVar(&redirects, "redirect-uri", nil, "the redirect URIs (repeatable; replaces the list; \"\" for none)")
	fl.StringSliceVar(&scopes, "scopes", nil, "the scopes (comma separated or repeated; replaces the list)")
	return cmd
}
