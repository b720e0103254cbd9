package oauth

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/sharkauth/serverless/shared/store"
	"github.com/sharkauth/serverless/shared/tenant"
)

// countingClients counts the client reads (and so any key lookup, which
// follows the read).
type countingClients struct {
	Clients
	reads int
}

func (c *countingClients) GetClient(ctx context.Context, t tenant.ID, id string) (store.Client, error) {
	c.reads++
	return c.Clients.GetClient(ctx, t, id)
}

// The rules of RFC 7523 §3 on a client assertion, each at its boundary.
func TestAssertionRules(t *testing.T) {
	a, priv := fixture(t)
	cc := &countingClients{Clients: a.Clients}
	a.Clients = cc
	good := assertionOpts{iss: "jwtc", sub: "jwtc", jti: "j1", aud: []string{issuer + "/oauth/token"}, exp: now.Add(time.Hour), key: priv}
	mod := func(f func(*assertionOpts)) assertionOpts { o := good; f(&o); return o }
	run := func(t *testing.T, o assertionOpts) (Authenticated, error) {
		form := url.Values{"client_assertion_type": {AssertionType}, "client_assertion": {sign(t, o)}}
		f, err := ParseFormBody(form.Encode())
		if err != nil {
			t.Fatal(err)
		}
		r := httptest.NewRequest(http.MethodPost, "/oauth/token", strings.NewReader(form.Encode()))
		return a.Authenticate(t.Context(), r, f, testTenant, Options{Assertions: true})
	}

	t.Run("iss other than sub is refused before any client or key lookup", func(t *testing.T) {
		cc.reads = 0
		for _, o := range []assertionOpts{mod(func(o *assertionOpts) { o.iss = "agent" }), mod(func(o *assertionOpts) { o.sub = "agent" }), mod(func(o *assertionOpts) { o.iss = "" })} {
			if _, err := run(t, o); err == nil {
				t.Fatalf("iss %q sub %q accepted", o.iss, o.sub)
			}
		}
		if cc.reads != 0 {
			t.Fatalf("%d client reads for assertions whose iss and sub differ", cc.reads)
		}
	})
	for _, c := range []struct {
		name string
		o    assertionOpts
		ok   bool
	}{
		{"nbf now", mod(func(o *assertionOpts) { o.nbf = now }), true},
		{"nbf within the skew", mod(func(o *assertionOpts) { o.nbf = now.Add(60 * time.Second) }), true},
		{"nbf past the skew", mod(func(o *assertionOpts) { o.nbf = now.Add(61 * time.Second) }), false},
		{"iat past the skew", mod(func(o *assertionOpts) { o.iat = now.Add(61 * time.Second) }), false},
		{"exp just past, within the skew", mod(func(o *assertionOpts) { o.exp = now.Add(-60 * time.Second) }), true},
		{"exp past the skew", mod(func(o *assertionOpts) { o.exp = now.Add(-61 * time.Second) }), false},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := run(t, c.o)
			if c.ok != (err == nil) {
				t.Fatalf("ok=%v, err %v", c.ok, err)
			}
		})
	}
	// An assertion is single-use until it expires: its mark lives at least
	// until exp (plus the skew), not for a fixed minute, so the same
	// assertion replayed an hour later (before its exp) is still refused
	// by the mark.
	t.Run("the mark lives until exp", func(t *testing.T) {
		got, err := run(t, good)
		if err != nil {
			t.Fatal(err)
		}
		if len(got.Marks) != 1 || got.Marks[0].Until.Before(good.exp) {
			t.Fatalf("marks %+v: the assertion could be replayed before its exp %v", got.Marks, good.exp)
		}
		// A refused assertion (not yet valid) whose signature verified is spent too.
		got, err = run(t, mod(func(o *assertionOpts) { o.nbf = now.Add(5 * time.Minute) }))
		if err == nil || len(got.Marks) != 1 || got.Marks[0].Until.Before(good.exp) {
			t.Fatalf("refused assertion: err %v, marks %+v", err, got.Marks)
		}
	})
}

// A client without a secret authenticates with no secret at all: not an
// empty one, and not the constant-time path's dummy secret either (its
// preimage is in the source code).
func TestClientWithoutSecretNeverAuthenticates(t *testing.T) {
	a, _ := fixture(t)
	a.Clients.(clients)["emptysecret"] = store.Client{ClientID: "emptysecret", Active: true, SecretHash: []byte{}}
	for _, id := range []string{"nosecret", "emptysecret"} {
		for _, s := range []string{"", "shark-dummy-client-secret-for-constant-time-paths", "x"} {
			for _, basicAuth := range []bool{false, true} {
				form := url.Values{"client_id": {id}, "client_secret": {s}}
				r := httptest.NewRequest(http.MethodPost, "/oauth/token", nil)
				if basicAuth {
					form = url.Values{}
					r.Header.Set("Authorization", basic(id, s))
				}
				f, err := ParseFormBody(form.Encode())
				if err != nil {
					t.Fatal(err)
				}
				if _, err := a.Authenticate(t.Context(), r, f, testTenant, Options{}); err == nil {
					t.Fatalf("client %s authenticated with secret %q (basic %v)", id, s, basicAuth)
				}
			}
		}
	}
}
