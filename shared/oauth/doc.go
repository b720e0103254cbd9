// Package oauth owns what every OAuth endpoint shares: the one OAuth error
// type and its writer (RFC 6749 §5.2 shape, WIRE §3), strict form parsing,
// the Basic header, and client authentication (client_secret_basic,
// client_secret_post, private_key_jwt per RFC 7523).
package oauth
