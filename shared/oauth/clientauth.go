package oauth

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/sharkauth/serverless/shared/ids"
	"github.com/sharkauth/serverless/shared/store"
	"github.com/sharkauth/serverless/shared/tenant"
)

// AssertionAlgs are the client assertion algorithms we accept: asymmetric
// only, never "none" or HMAC (a client's registered keys are public).
var AssertionAlgs = []jose.SignatureAlgorithm{jose.ES256, jose.ES384, jose.EdDSA, jose.RS256, jose.PS256}

// Clients is what client authentication reads from the store.
type Clients interface {
	GetClient(ctx context.Context, t tenant.ID, clientID string) (store.Client, error)
}

// Authenticator authenticates OAuth clients of a tenant.
type Authenticator struct {
	Clients Clients
	Now     func() time.Time
	// MaxAssertionLifetime bounds how far in the future a client assertion's
	// exp may be (default 1 hour, RFC 7523 §3 "unreasonably far in the
	// future"; authlib's and other clients' default assertion lifetime is one
	// hour). An assertion is single-use: its jti is remembered until exp.
	MaxAssertionLifetime time.Duration
	// Skew is the clock tolerance on exp, nbf and iat (default 60 s).
	Skew time.Duration
	// RemoteKeys fetches the key set of a client registered with a jwks_uri
	// (through the SSRF-safe fetcher), given the kid the assertion names so
	// a rotated set can be fetched again; nil: such clients cannot use
	// private_key_jwt.
	RemoteKeys func(ctx context.Context, uri, kid string) (json.RawMessage, error)
	// Described resolves a client that is not registered but described by
	// a metadata document (CIMD: its client_id is the document's URL).
	// ok false: clientID is not such a client. A described client is
	// identified as a public client like a registered one (auth method
	// none); err refuses it. nil: no described clients.
	Described func(ctx context.Context, clientID string) (c store.Client, ok bool, err error)
}

// Authenticated is a client that proved who it is.
type Authenticated struct {
	Client store.Client
	Method AuthMethod
	// Marks are single-use values the caller must record in the transaction
	// that uses this authentication (a private_key_jwt assertion's jti), or
	// spend if the request is refused (then they are set even with an error).
	Marks []store.ReplayMark
}

// Options say which methods an endpoint accepts.
type Options struct {
	// Assertions enables private_key_jwt. An endpoint that cannot record the
	// assertion's jti (it writes no ReplayMark) must leave it off.
	Assertions bool
	// Public lets a public client (registered with auth method "none")
	// identify itself by client_id alone (RFC 6749 §2.1). The caller must
	// refuse it every grant that needs a confidential client: the result's
	// Method is AuthNone.
	Public bool
}

// dummyHash is compared against when the client is unknown or has no secret,
// so those paths cost what a wrong secret costs.
var dummyHash = ids.Hash("shark-dummy-client-secret-for-constant-time-paths")

// Authenticate authenticates the client of request r whose form is f, on
// tenant t. When it fails after a client assertion's signature verified,
// the result still carries the assertion's Marks (and nothing else): the
// caller spends them, as it would on success. Exactly one method must be used: Basic, client_secret in the
// body, or a client assertion; two at once is invalid_request. An
// Authorization header that is not Basic (the SDK's Bearer admin key) is not
// client authentication and is ignored. Every failure to authenticate is the
// same 401 invalid_client, with a Basic challenge when Basic was tried.
func (a *Authenticator) Authenticate(ctx context.Context, r *http.Request, f Form, t tenant.Tenant, opts Options) (Authenticated, error) {
	basicID, basicSecret, isBasic, err := ParseBasic(r.Header.Get("Authorization"))
	fail := func(desc string) *Error {
		e := New(InvalidClient, desc)
		if isBasic {
			e = BasicChallenge(e, t.Issuer)
		}
		return e
	}
	if err != nil {
		return Authenticated{}, fail("malformed Basic credentials")
	}
	if len(r.Header.Values("Authorization")) > 1 {
		return Authenticated{}, New(InvalidRequest, "more than one Authorization header")
	}
	postSecret := f.Has("client_secret")
	assertion := f.Has("client_assertion") || f.Has("client_assertion_type")
	n := 0
	for _, used := range []bool{isBasic, postSecret, assertion} {
		if used {
			n++
		}
	}
	switch {
	case n > 1:
		return Authenticated{}, New(InvalidRequest, "more than one client authentication method")
	case n == 0 && opts.Public && f.Has("client_id"):
		return a.public(ctx, t, f.Get("client_id"))
	case n == 0:
		return Authenticated{}, fail("client authentication is required")
	}
	formID := f.Get("client_id")
	switch {
	case isBasic:
		if formID != "" && formID != basicID {
			return Authenticated{}, New(InvalidRequest, "client_id does not match the Basic credentials")
		}
		c, ok, err := a.secret(ctx, t.ID, basicID, basicSecret)
		if err != nil {
			return Authenticated{}, Internal(err)
		}
		if !ok {
			return Authenticated{}, fail("client authentication failed")
		}
		return Authenticated{Client: c, Method: SecretBasic}, nil
	case postSecret:
		if formID == "" {
			return Authenticated{}, fail("client_id is required with client_secret")
		}
		c, ok, err := a.secret(ctx, t.ID, formID, f.Get("client_secret"))
		if err != nil {
			return Authenticated{}, Internal(err)
		}
		if !ok {
			return Authenticated{}, fail("client authentication failed")
		}
		return Authenticated{Client: c, Method: SecretPost}, nil
	default:
		if !opts.Assertions {
			return Authenticated{}, fail("private_key_jwt is not accepted at this endpoint")
		}
		if f.Get("client_assertion_type") != AssertionType {
			return Authenticated{}, New(InvalidRequest, "client_assertion_type must be "+AssertionType)
		}
		if !f.Has("client_assertion") {
			return Authenticated{}, New(InvalidRequest, "client_assertion is required")
		}
		return a.assertion(ctx, t, f.Get("client_assertion"), formID)
	}
}

// secret checks a client secret on one constant-time path: an unknown
// client, a client without a secret and a wrong secret all hash and compare.
func (a *Authenticator) secret(ctx context.Context, t tenant.ID, clientID, secret string) (store.Client, bool, error) {
	c, err := a.Clients.GetClient(ctx, t, clientID)
	found := err == nil
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return store.Client{}, false, err
	}
	want := dummyHash
	if found && len(c.SecretHash) > 0 {
		want = c.SecretHash
	}
	match := ids.Matches(secret, want)
	if !found || len(c.SecretHash) == 0 || !match || !c.Active {
		return store.Client{}, false, nil
	}
	return c, true, nil
}

// public identifies a public client by its client_id: only an active
// client registered with auth method none, holding no secret and no keys,
// is public; any other client must authenticate.
func (a *Authenticator) public(ctx context.Context, t tenant.Tenant, clientID string) (Authenticated, error) {
	if a.Described != nil {
		c, ok, err := a.Described(ctx, clientID)
		switch {
		case err != nil:
			return Authenticated{}, err
		case ok && (AuthMethod(c.AuthMethod) != AuthNone || !c.Active):
			return Authenticated{}, New(InvalidClient, "client authentication is required")
		case ok:
			return Authenticated{Client: c, Method: AuthNone}, nil
		}
	}
	c, err := a.Clients.GetClient(ctx, t.ID, clientID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return Authenticated{}, New(InvalidClient, "client authentication is required")
	case err != nil:
		return Authenticated{}, Internal(err)
	case AuthMethod(c.AuthMethod) != AuthNone || len(c.SecretHash) > 0 || len(c.JWKS) > 0 || c.JWKSURI != "" || !c.Active:
		return Authenticated{}, New(InvalidClient, "client authentication is required")
	}
	return Authenticated{Client: c, Method: AuthNone}, nil
}

// assertionClaims are the claims of an RFC 7523 client assertion.
type assertionClaims struct {
	jwt.Claims
}

func (a *Authenticator) now() time.Time {
	if a.Now == nil {
		return time.Now()
	}
	return a.Now()
}

func (a *Authenticator) skew() time.Duration {
	if a.Skew <= 0 {
		return 60 * time.Second
	}
	return a.Skew
}

func (a *Authenticator) maxLifetime() time.Duration {
	if a.MaxAssertionLifetime <= 0 {
		return time.Hour
	}
	return a.MaxAssertionLifetime
}

// assertion verifies a private_key_jwt client assertion (RFC 7523 §3).
func (a *Authenticator) assertion(ctx context.Context, t tenant.Tenant, raw, formID string) (Authenticated, error) {
	bad := func(desc string) (Authenticated, error) { return Authenticated{}, New(InvalidClient, desc) }
	claims, tok, err := ParseAssertion(raw)
	if err != nil {
		return bad("malformed client assertion")
	}
	clientID := claims.Subject
	if clientID == "" || claims.Issuer != clientID {
		return bad("client assertion iss and sub must both be the client_id")
	}
	if formID != "" && formID != clientID {
		return Authenticated{}, New(InvalidRequest, "client_id does not match the client assertion")
	}
	c, err := a.Clients.GetClient(ctx, t.ID, clientID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return bad("client authentication failed")
	case err != nil:
		return Authenticated{}, Internal(err)
	case !c.Active:
		return bad("client authentication failed")
	}
	rawKeys := c.JWKS
	if len(rawKeys) == 0 && c.JWKSURI != "" && a.RemoteKeys != nil {
		if rawKeys, err = a.RemoteKeys(ctx, c.JWKSURI, tok.Headers[0].KeyID); err != nil {
			return bad("client keys could not be fetched from its jwks_uri")
		}
	}
	set, err := PublicKeySet(rawKeys)
	if err != nil || len(set.Keys) == 0 {
		return bad("client has no usable registered keys")
	}
	verified := false
	for _, k := range candidates(set, tok.Headers[0].KeyID) {
		var out assertionClaims
		if tok.Claims(k.Key, &out) == nil {
			claims, verified = out, true
			break
		}
	}
	if !verified {
		return bad("client assertion signature is invalid")
	}
	// From here the assertion is the client's own: refused or not, it is
	// spent (RFC 7523 §3), so a refusal carries its mark too.
	var marks []store.ReplayMark
	if claims.ID != "" && len(claims.ID) <= 256 && claims.Expiry != nil {
		marks = []store.ReplayMark{{Kind: "assertion", Value: clientID + "|" + claims.ID, Until: claims.Expiry.Time().Add(a.skew())}}
	}
	if desc := a.checkAssertionClaims(claims, clientID, t.Issuer); desc != "" {
		return Authenticated{Marks: marks}, New(InvalidClient, desc)
	}
	return Authenticated{Client: c, Method: PrivateKeyJWT, Marks: marks}, nil
}

// checkAssertionClaims returns why verified claims are unacceptable, or "".
func (a *Authenticator) checkAssertionClaims(c assertionClaims, clientID, issuer string) string {
	now, skew := a.now(), a.skew()
	switch {
	case c.Issuer != clientID || c.Subject != clientID:
		return "client assertion iss and sub must both be the client_id"
	case !slices.Contains(c.Audience, issuer) && !slices.Contains(c.Audience, issuer+"/oauth/token"):
		return "client assertion aud must be the issuer or the token endpoint"
	case c.Expiry == nil:
		return "client assertion exp is required"
	case now.After(c.Expiry.Time().Add(skew)):
		return "client assertion has expired"
	case c.Expiry.Time().After(now.Add(a.maxLifetime())):
		return "client assertion exp is too far in the future"
	case c.NotBefore != nil && c.NotBefore.Time().After(now.Add(skew)):
		return "client assertion is not yet valid"
	case c.IssuedAt != nil && c.IssuedAt.Time().After(now.Add(skew)):
		return "client assertion iat is in the future"
	case c.ID == "" || len(c.ID) > 256:
		return "client assertion jti is required"
	}
	return ""
}

// ParseAssertion parses a compact client assertion with an allowed
// algorithm and one signature, and returns its claims unverified (to find
// the client) with the parsed token to verify.
func ParseAssertion(raw string) (assertionClaims, *jwt.JSONWebToken, error) {
	var c assertionClaims
	if len(raw) > 16<<10 {
		return c, nil, errors.New("assertion too large")
	}
	tok, err := jwt.ParseSigned(raw, AssertionAlgs)
	if err != nil {
		return c, nil, err
	}
	if len(tok.Headers) != 1 {
		return c, nil, errors.New("assertion must have one signature")
	}
	if err := tok.UnsafeClaimsWithoutVerification(&c); err != nil {
		return c, nil, err
	}
	return c, tok, nil
}

func candidates(set jose.JSONWebKeySet, kid string) []jose.JSONWebKey {
	if kid != "" {
		return set.Key(kid)
	}
	return set.Keys
}

// TokenAuthMethods are the client authentication methods of the token
// endpoint ("none": a public client, for the grants that admit one, the
// authorization_code and refresh_token grants); RevocationAuthMethods those
// of revocation and introspection, which record an assertion's jti as used
// (store.UseMarks) so that a resource server may authenticate with
// private_key_jwt (an admin key of the tenant is accepted there too, as a
// Bearer header).
var (
	TokenAuthMethods      = []AuthMethod{SecretBasic, SecretPost, PrivateKeyJWT, AuthNone}
	RevocationAuthMethods = []AuthMethod{SecretBasic, SecretPost, PrivateKeyJWT}
)
