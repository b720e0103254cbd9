package cimd

import (
	"context"
	"strings"

	"github.com/sharkauth/serverless/shared/store"
)

// Policy is a tenant's rule for metadata document clients.
type Policy struct {
	// Disabled refuses every metadata document client.
	Disabled bool
	// Allow, when not empty, are the only hosts accepted; Deny are hosts
	// never accepted (Deny wins). An entry is a host name, matched
	// exactly, or "*." and a domain, matching its subdomains.
	Allow, Deny []string
}

// PolicyOf is the policy a tenant record sets.
func PolicyOf(t store.Tenant) Policy {
	return Policy{Disabled: !t.CIMDEnabled(), Allow: t.CIMDHosts, Deny: t.CIMDDenyHosts}
}

// TenantPolicy is the policy of the request's tenant (the record the
// tenant resolver put in ctx). Without one, it refuses: a request outside
// a resolved tenant accepts no metadata document client.
func TenantPolicy(ctx context.Context) Policy {
	rec, ok := store.TenantOf(ctx)
	if !ok {
		return Policy{Disabled: true}
	}
	return PolicyOf(rec)
}

// Check returns nil when the policy accepts a document on host (a lower
// case host name without port), else a refusal.
func (p Policy) Check(host string) error {
	// One spelling per host: "App.Example.com." is app.example.com.
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	switch {
	case p.Disabled:
		return refuse(ErrRefused, "this tenant does not accept client metadata document client ids")
	case matchAny(p.Deny, host):
		return refuse(ErrRefused, "this tenant does not accept client metadata documents from this host")
	case len(p.Allow) > 0 && !matchAny(p.Allow, host):
		return refuse(ErrRefused, "this tenant accepts client metadata documents only from its listed hosts")
	}
	return nil
}

// MatchHost reports whether host matches a policy entry.
func MatchHost(entry, host string) bool {
	entry = strings.ToLower(entry)
	if domain, ok := strings.CutPrefix(entry, "*."); ok {
		return strings.HasSuffix(host, "."+domain) && len(host) > len(domain)+1
	}
	return entry == host
}

func matchAny(entries []string, host string) bool {
	for _, e := range entries {
		if MatchHost(e, host) {
			return true
		}
	}
	return false
}
