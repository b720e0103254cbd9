// Package httpx owns the HTTP plumbing every function shares: middleware
// (request id, panic recovery, body limit, security headers, access log), JSON
// responses, and the flat API error shape of WIRE.md §3.
package httpx
