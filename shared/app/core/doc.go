// Package core is what every function's wiring shares: the environment built
// from the configuration (Env, NewEnv), the Lambda entry point, and the
// middleware every function stacks (tenant resolution, JSON 404/405, CORS,
// the SSRF-safe fetcher). It imports no function's handlers: each function's
// constructor lives in its own package under shared/app (jwksfn, adminfn,
// tokenfn, registerfn, auditfn, authorizefn), so a Lambda bootstrap links
// only the handlers it serves. Package app assembles them all for the local
// runner and the tests.
package core
