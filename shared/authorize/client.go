package authorize

import (
	"context"
	"net"
	"net/url"
	"slices"
	"strings"

	"github.com/sharkauth/serverless/shared/cimd"
	"github.com/sharkauth/serverless/shared/oauth"
	"github.com/sharkauth/serverless/shared/store"
)

// AuthCode is the authorization code the handler issues, as the store keeps
// it (the token function's authorization_code grant consumes it).
type AuthCode = store.AuthCode

// CIMDClient is a client described by a Client ID Metadata Document, as the
// resolver (shared/cimd) returns it.
type CIMDClient = cimd.Client

// CIMD resolves a client_id that is an https URL with a path
// (cimd.IsCIMD) to its fetched and checked metadata document:
// *cimd.Resolver, or a test's fake.
type CIMD interface {
	Resolve(ctx context.Context, clientID string) (CIMDClient, error)
}

// client is what the authorization endpoint needs of a client, registered
// or described by a metadata document.
type client struct {
	ID           string
	Name         string
	RedirectURIs []string
	Scopes       []string // nil (a metadata document without scope): the tenant's registrable scopes; a registered client's own, even none
	Audiences    []string
	CodeGrant    bool
}

func registered(c store.Client) client {
	return client{ID: c.ClientID, Name: c.Name, RedirectURIs: c.RedirectURIs, Scopes: append([]string{}, c.Scopes...), Audiences: c.Audiences,
		CodeGrant: slices.Contains(c.GrantTypes, string(oauth.GrantAuthorizationCode))}
}

func described(c CIMDClient) client {
	out := client{ID: c.ClientID, Name: c.Name, RedirectURIs: c.RedirectURIs, CodeGrant: true}
	if c.Scope != "" {
		out.Scopes = strings.Fields(c.Scope)
	}
	return out
}

// matchRedirect reports whether uri is one of the registered redirect URIs:
// byte for byte, except that a loopback URI (http://127.0.0.1 or
// http://[::1]) may use any port (RFC 8252 §7.3).
func matchRedirect(registered []string, uri string) bool {
	if slices.Contains(registered, uri) {
		return true
	}
	u, err := url.Parse(uri)
	if err != nil || !isLoopback(u) {
		return false
	}
	for _, reg := range registered {
		ru, err := url.Parse(reg)
		if err != nil || !isLoopback(ru) {
			continue
		}
		if ru.Hostname() == u.Hostname() && ru.EscapedPath() == u.EscapedPath() && ru.RawQuery == u.RawQuery &&
			ru.User == nil && u.User == nil && !u.ForceQuery && u.Fragment == "" {
			return true
		}
	}
	return false
}

func isLoopback(u *url.URL) bool {
	if u.Scheme != "http" || u.Opaque != "" {
		return false
	}
	ip := net.ParseIP(u.Hostname())
	return ip != nil && (ip.Equal(net.IPv4(127, 0, 0, 1)) || ip.Equal(net.IPv6loopback)) && ip.String() == u.Hostname()
}
