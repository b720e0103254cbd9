// Package app is the wiring: the only place dependencies are built. The
// shared environment and middleware are in shared/app/core; each function's
// constructor is in its own package (shared/app/jwksfn, adminfn, tokenfn,
// registerfn, auditfn, authorizefn), which its Lambda main imports alone, so
// a bootstrap links only the handlers it serves. This package assembles them
// all (Functions) for the local runner and the tests, and adds what only
// operators do (first boot, tenant creation, key recovery). Lambda mains and
// the local runner call the same constructors, so they cannot drift apart.
package app
