// Package app is the wiring: the only place dependencies are built. NewEnv
// builds what the functions share from the configuration; Jwks and Admin each
// build one function's http.Handler. Lambda mains and the local runner call the
// same constructors, so they cannot drift apart.
package app
