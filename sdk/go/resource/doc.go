// Package resource owns the resource-server side of SharkAuth: net/http
// middleware that verifies SharkAuth access tokens (RFC 9068 JWTs) and their
// DPoP proofs (RFC 9449), answers failures with RFC 6750 / RFC 9449
// WWW-Authenticate challenges carrying the RFC 9728 resource_metadata URL, puts
// the verified claims (with the RFC 8693 act chain) in the request context,
// and serves the RFC 9728 protected-resource metadata.
//
// It is its own Go module (github.com/sharkauth/serverless/sdk/go) depending
// only on the standard library and go-jose, so MCP server and API authors do
// not inherit the authorization server's AWS dependencies. The example in
// ../examples/mcp-server lives inside the same module, so it always builds
// against this exact version of the package.
//
// Verification is offline by default: keys come from the issuer's JWKS
// (cached per its Cache-Control max-age, bounded, with a rate-limited refetch
// when a token names an unknown kid). Offline verification cannot see
// revocation; SharkAuth tokens are short-lived for that reason. Set
// Config.Introspection to also ask the authorization server (RFC 7662) about
// every token, with a short cache, when revocation must take effect at once.
//
// Checks on the access token: compact JWS, typ at+jwt, alg in the allow-list
// (ES256 by default; none and HMAC can never be configured), signature by a
// JWKS key with that kid, iss exactly the configured issuer, aud containing a
// configured audience, exp/nbf/iat with a small leeway, the required claims
// of RFC 9068, required scopes (403 insufficient_scope otherwise).
//
// Checks on DPoP (RFC 9449 §4.3 and §7): a token bound with cnf.jkt must come
// with the DPoP scheme (a bound token sent as Bearer is refused, §7.2) and
// exactly one DPoP header holding a proof with typ dpop+jwt, an allow-listed
// asymmetric alg, a public jwk, a valid signature, htm equal to the method,
// htu equal to the configured public URL of the request (scheme and host
// case-insensitive, default ports dropped, percent-encoding normalised, query
// and fragment ignored), iat within the window, ath equal to
// base64url(SHA-256(token)), a jti never seen within the window, and a key
// whose RFC 7638 thumbprint equals cnf.jkt. Nonces are not used.
//
// Secrets, tokens and proofs are never logged.
package resource
