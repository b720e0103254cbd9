// Package register owns dynamic client registration: RFC 7591 metadata
// parsing and validation, POST /oauth/register with the tenant's policy
// (open, initial access token, software statement, closed) and rate
// limits, the RFC 7592 management routes with the registration access
// token, and the admin handler that mints initial access tokens.
package register
