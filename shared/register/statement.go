package register

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/sharkauth/serverless/shared/fetch"
	"github.com/sharkauth/serverless/shared/oauth"
	"github.com/sharkauth/serverless/shared/store"
)

// statementSkew is the clock tolerance on a software statement's exp and iat.
const statementSkew = 60 * time.Second

// reservedClaims are JWT claims of a software statement that are not
// client metadata and never override the request's.
var reservedClaims = []string{"iss", "sub", "aud", "exp", "iat", "nbf", "jti", "software_statement", "client_id", "client_secret"}

// VerifyStatement verifies a software statement (RFC 7591 §2.3) against the
// tenant's trusted publishers and returns its metadata claims, which
// override the request's. A statement from an issuer the tenant does not
// trust is unapproved_software_statement; a malformed, unsigned, wrongly
// signed or expired one is invalid_software_statement.
func VerifyStatement(raw string, publishers []store.SoftwarePublisher, now time.Time) (map[string]json.RawMessage, error) {
	invalid := func(desc string) error { return oauth.New(InvalidSoftwareStatement, desc) }
	if len(raw) > maxStatement {
		return nil, invalid("the software statement is too large")
	}
	tok, err := jwt.ParseSigned(raw, oauth.AssertionAlgs)
	if err != nil || len(tok.Headers) != 1 {
		return nil, invalid("the software statement is not a signed JWT with an allowed algorithm")
	}
	var unverified struct {
		Issuer string `json:"iss"`
	}
	if err := tok.UnsafeClaimsWithoutVerification(&unverified); err != nil || unverified.Issuer == "" {
		return nil, invalid("the software statement has no issuer")
	}
	var pub *store.SoftwarePublisher
	for i := range publishers {
		if publishers[i].Issuer == unverified.Issuer {
			pub = &publishers[i]
			break
		}
	}
	if pub == nil {
		return nil, oauth.New(UnapprovedSoftwareStatement, "the software statement's issuer is not trusted by this tenant")
	}
	set, err := oauth.PublicKeySet(pub.JWKS)
	if err != nil || len(set.Keys) == 0 {
		return nil, invalid("the software statement's issuer has no usable keys")
	}
	keys := set.Keys
	if kid := tok.Headers[0].KeyID; kid != "" {
		keys = set.Key(kid)
	}
	var claims map[string]json.RawMessage
	var std jwt.Claims
	verified := false
	for _, k := range keys {
		if tok.Claims(k.Key, &claims, &std) == nil {
			verified = true
			break
		}
	}
	if !verified {
		return nil, invalid("the software statement's signature is invalid")
	}
	switch {
	case std.Expiry != nil && now.After(std.Expiry.Time().Add(statementSkew)):
		return nil, invalid("the software statement has expired")
	case std.NotBefore != nil && std.NotBefore.Time().After(now.Add(statementSkew)):
		return nil, invalid("the software statement is not yet valid")
	case std.IssuedAt != nil && std.IssuedAt.Time().After(now.Add(statementSkew)):
		return nil, invalid("the software statement was issued in the future")
	}
	for _, c := range reservedClaims {
		delete(claims, c)
	}
	return claims, nil
}

// RemoteKeySet fetches a client's jwks_uri through the SSRF-safe fetcher
// and checks it holds public asymmetric keys only. Every failure is
// invalid_client_metadata (the cause is kept for the log).
func RemoteKeySet(ctx context.Context, f *fetch.Fetcher, uri string) (json.RawMessage, error) {
	if f == nil {
		return nil, metaErr("jwks_uri is not supported here; register jwks")
	}
	body, err := f.Get(ctx, uri)
	switch {
	case errors.Is(err, fetch.ErrBlocked):
		return nil, metaErr("jwks_uri resolves to an address that is not allowed").WithCause(err)
	case errors.Is(err, fetch.ErrURL):
		return nil, metaErr("jwks_uri must be an https URL").WithCause(err)
	case err != nil:
		return nil, metaErr("jwks_uri could not be fetched").WithCause(err)
	}
	keys, err := parseJWKS(body)
	if err != nil {
		f.Forget(uri)
		return nil, metaErr("jwks_uri does not hold a valid public JSON Web Key Set")
	}
	return keys, nil
}

// KeySource gives the token endpoint the keys of private_key_jwt clients
// registered with a jwks_uri (oauth.Authenticator.RemoteKeys).
type KeySource struct{ Fetcher *fetch.Fetcher }

// Keys returns the client's key set, from the fetcher's cache while fresh.
// When the set lacks kid (the client rotated its keys), it is fetched again,
// at most once per fetch.MinRefresh.
func (k KeySource) Keys(ctx context.Context, uri, kid string) (json.RawMessage, error) {
	raw, err := RemoteKeySet(ctx, k.Fetcher, uri)
	if err != nil || kid == "" || hasKID(raw, kid) || !k.Fetcher.Refresh(uri) {
		return raw, err
	}
	return RemoteKeySet(ctx, k.Fetcher, uri)
}

func hasKID(raw json.RawMessage, kid string) bool {
	var set struct {
		Keys []struct {
			KID string `json:"kid"`
		} `json:"keys"`
	}
	if json.Unmarshal(raw, &set) != nil {
		return false
	}
	for _, k := range set.Keys {
		if k.KID == kid {
			return true
		}
	}
	return false
}
