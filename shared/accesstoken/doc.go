// Package accesstoken owns our JWT access tokens (RFC 9068, WIRE §5.2): their
// claims, issuing them with a tenant's current signing key, and verifying
// them against the tenant's published keys (token exchange subject tokens,
// introspection, revocation). Keyring caches each tenant's key records for a
// few seconds so that neither issuing nor verifying reads the table per token.
package accesstoken
