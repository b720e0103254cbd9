// Package tenant owns the tenant identity: the validated tenant id, the resolved
// per-request tenant value carried in the context, and its resolution from a
// request's host and path.
package tenant
