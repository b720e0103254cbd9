package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
)

// signingKeyCommand: the tenant's signing keys (shared/admin/signingkeys.go).
func (c *cli) signingKeyCommand() *cobra.Command {
	list := &cobra.Command{
		Use: "list", Short: "List the tenant's signing keys and their states", Args: noArgs,
		RunE: c.withAdmin(func(ctx context.Context, a *api, _ []string) error {
			var l listResp
			raw, err := a.call(ctx, "GET", "/api/v1/admin/signing-keys", nil, nil, &l)
			if err != nil || c.asJSON {
				return c.out(raw, err)
			}
			if len(l.Data) == 0 {
				return c.empty("signing keys")
			}
			rows := [][]string{}
			for _, x := range l.Data {
				// A retired key stays in the JWKS (PUBLISHED yes) until no token
				// it signed can still be valid (PUBLISHED UNTIL).
				rows = append(rows, []string{str(x["kid"]), str(x["state"]), str(x["alg"]), str(x["published"]), when(x["created_at"]), when(x["activated_at"]),
					when(x["current_after"]), when(x["retired_at"]), when(x["publish_until"])})
			}
			return c.table([]string{"KID", "STATE", "ALG", "PUBLISHED", "CREATED", "ACTIVATED", "CURRENT AFTER", "RETIRED", "PUBLISHED UNTIL"}, rows)
		}),
	}
	var emergency, replace bool
	var alg string
	rotate := &cobra.Command{
		Use: "rotate [--emergency] [--replace] [--alg ES256|RS256]", Short: "Rotate the tenant's signing key", Args: noArgs,
		Long: `Rotate the tenant's signing key. A scheduled rotation (the default) publishes the
new key as "next" and makes it current once it has been in the JWKS for the
cache lifetime (current after). While a next key is pending, another
scheduled rotation would discard it: that needs --replace. --emergency makes
the new key current at once, drops the old key from the JWKS and makes every
token it signed introspect inactive (asks first; --yes for scripts).`,
		RunE: c.withAdmin(func(ctx context.Context, a *api, _ []string) error {
			mode := "scheduled"
			if emergency {
				mode = "emergency"
			}
			var l listResp
			if _, err := a.call(ctx, "GET", "/api/v1/admin/signing-keys", nil, nil, &l); err != nil {
				return err
			}
			var pending, current []string
			for _, k := range l.Data {
				if str(k["alg"]) != alg {
					continue
				}
				switch str(k["state"]) {
				case "next":
					pending = append(pending, str(k["kid"]))
				case "current":
					current = append(current, str(k["kid"]))
				}
			}
			if mode == "scheduled" && len(pending) > 0 && !replace {
				return fmt.Errorf("key %s is already pending (state next) and becomes current by itself: a new scheduled rotation would discard it; pass --replace to do so, or wait (shark signing-key list)", strings.Join(pending, ", "))
			}
			if emergency {
				if err := c.confirm(fmt.Sprintf("Emergency rotation of the %s signing key %s: it leaves the JWKS now and every token it signed introspects inactive.", alg, first(strings.Join(current, ", "), "(none)"))); err != nil {
					return err
				}
			}
			var x obj
			raw, err := a.call(ctx, "POST", "/api/v1/admin/signing-keys/rotate", nil, obj{"mode": mode, "alg": alg}, &x)
			if err != nil || c.asJSON {
				return c.out(raw, err)
			}
			k, _ := x["signing_key"].(obj)
			pairs := []string{"new key", str(x["kid"]), "state", str(x["state"]), "alg", alg, "mode", mode}
			if mode == "scheduled" {
				pairs = append(pairs, "current after", when(k["current_after"]))
			}
			if len(pending) > 0 && mode == "scheduled" {
				pairs = append(pairs, "replaced pending key", strings.Join(pending, ", "))
			}
			return c.fields(pairs...)
		}),
	}
	rotate.Flags().BoolVar(&emergency, "emergency", false, "the old key is compromised: retire it and its tokens at once")
	rotate.Flags().BoolVar(&replace, "replace", false, "discard a pending next key (it never signed) for a new one")
	rotate.Flags().StringVar(&alg, "alg", "ES256", "which key: ES256 or RS256")
	return group("signing-key", "Signing keys of the tenant: list, rotate", list, rotate)
}
