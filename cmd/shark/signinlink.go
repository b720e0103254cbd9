package main

import (
	"context"
	"fmt"
	"os"

	"github.com/sharkauth/serverless/shared/app"
	"github.com/sharkauth/serverless/shared/tenant"
)

// printSignInLink prints a one-time dashboard sign-in link for tenant id
// (a path tenant's link names it after the secret). The link, not an admin
// key, goes in the URL, in its fragment, which browsers never send to a
// server. A link that cannot be made is said, not fatal: the admin key
// printed beside it signs in too.
func printSignInLink(ctx context.Context, env *app.Env, id tenant.ID, url, by string) bool {
	secret, exp, err := env.MintSignInLink(ctx, id, by)
	if err != nil {
		fmt.Fprintf(os.Stderr, "sign-in link: %v (sign in with the admin key instead)\n", err)
		return false
	}
	fmt.Printf("sign-in link (one use, expires %s): %s\n", exp.UTC().Format("15:04 MST"), app.SignInURL(url, pathTenant(env, id), secret))
	return true
}

// pathTenant is "" for the root tenant (the dashboard's default), else id.
func pathTenant(env *app.Env, id tenant.ID) string {
	if id == env.Config.RootTenant {
		return ""
	}
	return id.String()
}
