// Package admin owns the admin function's HTTP API: the platform operators' API
// (/platform/v1: tenants), caller authentication by platform and admin keys,
// and the health check.
package admin
