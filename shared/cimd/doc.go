// Package cimd resolves clients identified by a Client ID Metadata Document
// (draft-ietf-oauth-client-id-metadata-document; the MCP authorization
// spec's recommended registration): a client_id that is an https URL with a
// path names the JSON document that describes the client. The Resolver
// fetches it through the SSRF-safe fetcher (shared/fetch), checks it, and
// caches the checked client in a bounded LRU for the lifetime its HTTP
// cache headers give it, within bounds. Such a client is never stored as a
// registered client: every install of an app shares its client_id.
//
// Each tenant decides whether it accepts these clients and from which hosts
// (Policy, from store.Tenant's CIMD fields).
package cimd
