package app

import (
	"context"
	"fmt"
	"time"

	"github.com/sharkauth/serverless/shared/admin"
	"github.com/sharkauth/serverless/shared/audit"
	"github.com/sharkauth/serverless/shared/tenant"
)

// MintSignInLink makes a one-time dashboard sign-in link for tenant id and
// returns its secret (for the URL's fragment: <dashboard>/#signin=<secret>)
// and its expiry. Only the secret's hash is stored, with the audit event
// signin_link.created; redeeming it (POST /api/v1/admin/sign-in-links/redeem)
// gives the browser a short-lived admin key.
func (e *Env) MintSignInLink(ctx context.Context, id tenant.ID, by string) (string, time.Time, error) {
	if _, err := e.Store.GetTenant(ctx, id); err != nil {
		return "", time.Time{}, fmt.Errorf("app: tenant %s: %w", id, err)
	}
	now := e.Store.Now()
	l, secret := admin.NewSignInLink(now)
	ev := audit.New(nil, now, audit.SignInLinkCreated, audit.Actor{Type: "system", ID: by},
		audit.Target{Type: "signin_link", ID: l.ID}, map[string]any{"expires_at": l.ExpiresAt.UTC().Format(time.RFC3339)})
	if err := e.Store.CreateSignInLink(ctx, id, l, ev); err != nil {
		return "", time.Time{}, fmt.Errorf("app: sign-in link for %s: %w", id, err)
	}
	return secret, l.ExpiresAt, nil
}

// SignInURL is the dashboard URL carrying a sign-in link's secret in its
// fragment: a browser never sends the fragment to a server, so the secret
// stays out of access logs; the dashboard removes it from the address bar.
// pathTenant is "" for the root tenant, else the path tenant the link is of.
func SignInURL(dashboard, pathTenant, secret string) string {
	u := dashboard + "/#signin=" + secret
	if pathTenant != "" {
		u += "&tenant=" + pathTenant
	}
	return u
}
