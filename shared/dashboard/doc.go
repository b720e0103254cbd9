// Package dashboard owns the operator dashboard: static HTML, CSS and
// JavaScript embedded in the binary and served by the admin function at /
// and /dashboard/*, under a strict Content-Security-Policy. The pages talk
// to the tenant's admin API (/api/v1) with an admin key the operator types
// in, kept in sessionStorage only.
package dashboard
