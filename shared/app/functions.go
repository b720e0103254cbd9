package app

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/sharkauth/serverless/shared/config"

	"github.com/sharkauth/serverless/shared/app/adminfn"
	"github.com/sharkauth/serverless/shared/app/auditfn"
	"github.com/sharkauth/serverless/shared/app/authorizefn"
	"github.com/sharkauth/serverless/shared/app/core"
	"github.com/sharkauth/serverless/shared/app/jwksfn"
	"github.com/sharkauth/serverless/shared/app/registerfn"
	"github.com/sharkauth/serverless/shared/app/tokenfn"
)

// Env is the environment of every function of one process (core.Env) with
// what only operators and the local runner do with it: first boot, tenant
// creation, key recovery (firstboot.go). The Lambda bootstraps use core.Env.
type Env struct{ *core.Env }

// Options lets tests and the local runner replace parts of the environment.
type Options = core.Options

// NewEnv builds the environment (core.NewEnv), with the AWS SDK's whole
// default configuration chain unless opts says otherwise.
func NewEnv(ctx context.Context, cfg config.Config, opts Options) (*Env, error) {
	if opts.LoadAWS == nil {
		opts.LoadAWS = loadAWS
	}
	e, err := core.NewEnv(ctx, cfg, opts)
	if err != nil {
		return nil, err
	}
	return &Env{e}, nil
}

// Functions maps each function name to its constructor; the local runner
// serves exactly these, on the routes template.yaml gives them.
var Functions = map[string]func(*Env) http.Handler{
	"jwks":      Jwks,
	"admin":     Admin,
	"token":     Token,
	"register":  Register,
	"audit":     Audit,
	"authorize": Authorize,
}

// Jwks builds the jwks function (jwksfn.New).
func Jwks(e *Env) http.Handler { return jwksfn.New(e.Env) }

// Token builds the token function (tokenfn.New).
func Token(e *Env) http.Handler { return tokenfn.New(e.Env) }

// Register builds the register function (registerfn.New).
func Register(e *Env) http.Handler { return registerfn.New(e.Env) }

// Admin builds the admin function (adminfn.New).
func Admin(e *Env) http.Handler { return adminfn.New(e.Env) }

// Audit builds the audit function (auditfn.New).
func Audit(e *Env) http.Handler { return auditfn.New(e.Env) }

// Authorize builds the authorize function (authorizefn.New).
func Authorize(e *Env) http.Handler { return authorizefn.New(e.Env) }

// RemoteKeys is the key source of private_key_jwt clients registered with
// a jwks_uri (tokenfn.RemoteKeys).
func RemoteKeys(e *Env) func(context.Context, string, string) (json.RawMessage, error) {
	return tokenfn.RemoteKeys(e.Env)
}
