// Package token owns the token function's endpoints (WIRE §5): POST
// /oauth/token with its grant dispatcher (client authentication, DPoP,
// scope and audience are shared phases no grant can skip; one file per
// grant), POST /oauth/revoke (RFC 7009) and POST /oauth/introspect
// (RFC 7662, deciding activity only through the store's TokenActivity).
package token
