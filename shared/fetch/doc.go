// Package fetch owns outbound HTTP fetches of URLs that clients control
// (a registered client's jwks_uri, later client id metadata documents): an
// SSRF-safe fetcher that speaks https only, refuses private, loopback,
// link-local and unspecified addresses after DNS resolution (re-checked on
// every redirect and at dial time), bounds size and time, and caches per
// the response's HTTP cache headers.
package fetch
