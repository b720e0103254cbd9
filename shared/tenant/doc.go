// Package tenant owns the tenant identity: the validated tenant id, the resolved
// per-request tenant value carried in the context, its resolution from a
// request's host and path, and Handle, the one adapter that hands a request's
// tenant to its handler.
package tenant
