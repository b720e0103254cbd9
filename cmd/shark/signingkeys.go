package main

import (
	"context"

	"github.com/spf13/cobra"
)

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
