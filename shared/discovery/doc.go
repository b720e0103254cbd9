// Package discovery owns what the jwks function publishes under /.well-known:
// a tenant's JWKS (RFC 7517) and its authorization server metadata (RFC 8414),
// also served as openid-configuration where the authorize function is
// deployed.
package discovery
