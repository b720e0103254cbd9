package resource

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Claims are the verified claims of an access token (RFC 9068, with the
// SharkAuth members agent_id and act).
type Claims struct {
	Issuer    string
	Subject   string
	Audience  []string
	Expiry    time.Time
	IssuedAt  time.Time
	NotBefore time.Time // zero when the token has no nbf
	ID        string    // jti
	ClientID  string
	Scope     string // space-separated
	AgentID   string
	// JKT is the RFC 7638 thumbprint of the DPoP key the token is bound to
	// (cnf.jkt), empty for bearer tokens.
	JKT string
	// KeyID is the kid of the key that signed the token; Family is the
	// SharkAuth grant family (fam) of a token of a user's grant.
	KeyID, Family string
	// Actor is the delegation chain (RFC 8693 act), nil when none.
	Actor *Actor
	// Scheme is how the token was presented: SchemeBearer or SchemeDPoP.
	Scheme string
	// Raw is the JSON claims set, for members not modelled here.
	Raw json.RawMessage
}

// Actor is one link of an RFC 8693 act chain: the party acting, and the
// party it acts for (Actor), outermost (most recent) first.
type Actor struct {
	Subject string `json:"sub"`
	// JKT is the actor's cnf.jkt when the authorization server recorded it.
	JKT   string `json:"jkt,omitempty"`
	Actor *Actor `json:"act,omitempty"`
}

// Scopes returns the granted scopes.
func (c *Claims) Scopes() []string { return strings.Fields(c.Scope) }

// HasScope reports whether s was granted.
func (c *Claims) HasScope(s string) bool { return slices.Contains(c.Scopes(), s) }

// Bound reports whether the token is DPoP-bound.
func (c *Claims) Bound() bool { return c.JKT != "" }

// ActorChain returns the act chain as a list, the current actor first.
func (c *Claims) ActorChain() []Actor {
	var out []Actor
	for a := c.Actor; a != nil; a = a.Actor {
		out = append(out, Actor{Subject: a.Subject, JKT: a.JKT})
	}
	return out
}

type ctxKey struct{}

// NewContext returns ctx carrying c (what the middleware does; useful to
// test handlers).
func NewContext(ctx context.Context, c *Claims) context.Context {
	return context.WithValue(ctx, ctxKey{}, c)
}

// ClaimsFrom returns the verified claims the middleware put in ctx.
func ClaimsFrom(ctx context.Context) (*Claims, bool) {
	c, ok := ctx.Value(ctxKey{}).(*Claims)
	return c, ok && c != nil
}

// wire forms -----------------------------------------------------------

type cnf struct {
	JKT string `json:"jkt"`
}

type wireActor struct {
	Sub string     `json:"sub"`
	Cnf *cnf       `json:"cnf"`
	Act *wireActor `json:"act"`
}

type wireClaims struct {
	Iss      string       `json:"iss"`
	Sub      string       `json:"sub"`
	Aud      audience     `json:"aud"`
	Exp      *numericDate `json:"exp"`
	Iat      *numericDate `json:"iat"`
	Nbf      *numericDate `json:"nbf"`
	Jti      string       `json:"jti"`
	ClientID string       `json:"client_id"`
	Scope    string       `json:"scope"`
	AgentID  string       `json:"agent_id"`
	Cnf      *cnf         `json:"cnf"`
	Act      *wireActor   `json:"act"`
	Fam      string       `json:"fam"`
}

// audience is a JWT aud: a string or an array of strings.
type audience []string

func (a *audience) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*a = audience{s}
		return nil
	}
	var l []string
	if err := json.Unmarshal(b, &l); err != nil {
		return errors.New("aud is neither a string nor an array of strings")
	}
	*a = l
	return nil
}

// numericDate is an RFC 7519 NumericDate (seconds, possibly fractional).
type numericDate struct{ t time.Time }

func (d *numericDate) UnmarshalJSON(b []byte) error {
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || f < 0 || f > 1e11 {
		return errors.New("not a NumericDate")
	}
	sec, frac := math.Modf(f)
	d.t = time.Unix(int64(sec), int64(frac*1e9))
	return nil
}

func (d *numericDate) time() time.Time {
	if d == nil {
		return time.Time{}
	}
	return d.t
}

func (w *wireActor) toActor(depth int) (*Actor, error) {
	if w == nil {
		return nil, nil
	}
	if depth > MaxActDepth {
		return nil, errors.New("act chain too deep")
	}
	if w.Sub == "" {
		return nil, errors.New("act without sub")
	}
	a := &Actor{Subject: w.Sub}
	if w.Cnf != nil {
		a.JKT = w.Cnf.JKT
	}
	next, err := w.Act.toActor(depth + 1)
	if err != nil {
		return nil, err
	}
	a.Actor = next
	return a, nil
}
