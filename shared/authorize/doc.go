// Package authorize is the authorize function: the authorization endpoint
// of OAuth 2.1 (RFC 6749 §4.1 with PKCE, RFC 7636) for the people of a
// tenant. GET /oauth/authorize validates the request, signs the person in
// with the tenant's users (a login page), asks their consent (a consent
// page, remembered per user × client × redirect URI) and redirects to the
// client with a single-use code bound to the client, redirect URI, PKCE
// challenge, scopes, resources (RFC 8707), user and DPoP key (RFC 9449 §10),
// plus the issuer (RFC 9207). POST /oauth/authorize receives the pages'
// forms; POST /oauth/logout ends the session.
//
// Errors found before the client and its redirect URI are known are an
// HTML page (never a redirect: RFC 6749 §4.1.2.1); after, they redirect to
// the client with error, error_description, state and iss.
//
// Pages are server-rendered (every value HTML-escaped), plain CSS, no script,
// under a strict Content-Security-Policy with frame-ancestors 'none'; every
// form carries a CSRF token derived from a cookie the page set (the
// session's, or a pre-session cookie before sign-in), checked in constant
// time.
package authorize
