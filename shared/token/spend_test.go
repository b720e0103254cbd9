package token

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/sharkauth/serverless/shared/oauth"
	"github.com/sharkauth/serverless/shared/store"
)

// TestRefusedRequestSpendsProofAndAssertion (issue 20 P9, RFC 9449 §11.1,
// RFC 7523 §3): a DPoP proof or client assertion whose signature verified
// is spent whatever the request's outcome: replaying it after a refusal, in
// a request that would succeed, is refused as a replay.
func TestRefusedRequestSpendsProofAndAssertion(t *testing.T) {
	f := newFixtures(t)
	hs := f.hs
	ok := f.secretF("shark_agent_1")
	subject := f.issueFor(t, "acme", "shark_agent_1")
	assertionForm := func(a string, kv ...string) []string {
		return append([]string{"client_assertion_type", oauth.AssertionType, "client_assertion", a}, kv...)
	}
	proofCases := []struct {
		name    string
		refused []string
		code    string
	}{
		{name: "invalid_scope", refused: []string{"grant_type", "client_credentials", "client_id", "shark_agent_1", "client_secret", secret, "scope", "admin"}, code: "invalid_scope"},
		{name: "invalid_target", refused: []string{"grant_type", "client_credentials", "client_id", "narrow", "client_secret", secret, "audience", "https://elsewhere.example"}, code: "invalid_target"},
		{name: "unauthorized_client (authorization_code not registered)", refused: []string{"grant_type", "authorization_code", "client_id", "shark_agent_1", "client_secret", secret, "code", "x"}, code: "unauthorized_client"},
		{name: "unauthorized_client (exchange not registered)", refused: []string{"grant_type", GrantTokenExchange, "client_id", "cconly", "client_secret", secret, "subject_token", subject, "subject_token_type", AccessTokenType}, code: "unauthorized_client"},
		{name: "unsupported_grant_type", refused: []string{"grant_type", "password", "client_id", "shark_agent_1", "client_secret", secret}, code: "unsupported_grant_type"},
		{name: "access_denied", refused: []string{"grant_type", GrantTokenExchange, "client_id", "shark_agent_2", "client_secret", secret, "subject_token", subject, "subject_token_type", AccessTokenType}, code: "access_denied"},
		{name: "invalid_grant", refused: []string{"grant_type", GrantTokenExchange, "client_id", "shark_agent_1", "client_secret", secret, "subject_token", "x", "subject_token_type", AccessTokenType}, code: "invalid_grant"},
		{name: "invalid_request", refused: []string{"grant_type", GrantTokenExchange, "client_id", "shark_agent_1", "client_secret", secret}, code: "invalid_request"},
	}
	for _, tc := range proofCases {
		t.Run("proof after "+tc.name, func(t *testing.T) {
			p := f.proof()
			w := hs.do(call{form: form(tc.refused...), dpop: []string{p}})
			if b := decode(t, w); b["error"] != tc.code {
				t.Fatalf("refusal: %d %v, want %s", w.Code, b, tc.code)
			}
			again := hs.do(call{form: form(tc.refused...), dpop: []string{p}})
			if b := decode(t, again); b["error"] != tc.code {
				t.Fatalf("the same refusal again: %d %v, want %s", again.Code, b, tc.code)
			}
			replay := hs.do(call{form: ok, dpop: []string{p}})
			if b := decode(t, replay); replay.Code != 400 || b["error"] != "invalid_dpop_proof" {
				t.Fatalf("replay after %s: %d %v", tc.name, replay.Code, b)
			}
			if w := hs.do(call{form: ok, dpop: []string{f.proof()}}); w.Code != 200 {
				t.Fatalf("a fresh proof: %d %s", w.Code, w.Body)
			}
		})
	}
	assertionCases := []struct {
		name  string
		extra []string
		code  string
	}{
		{name: "invalid_scope", extra: []string{"grant_type", "client_credentials", "scope", "admin"}, code: "invalid_scope"},
		{name: "invalid_target (tenant)", extra: []string{"grant_type", "client_credentials", "resource", "/relative"}, code: "invalid_target"},
		{name: "unsupported_grant_type", extra: []string{"grant_type", "password"}, code: "unsupported_grant_type"},
		{name: "access_denied", extra: []string{"grant_type", GrantTokenExchange, "subject_token", subject, "subject_token_type", AccessTokenType}, code: "access_denied"},
	}
	for i, tc := range assertionCases {
		t.Run("assertion after "+tc.name, func(t *testing.T) {
			a := f.assertion(t, "jwtc", "spent-"+string(rune('a'+i)))
			w := hs.do(call{form: form(assertionForm(a, tc.extra...)...)})
			if b := decode(t, w); b["error"] != tc.code {
				t.Fatalf("refusal: %d %v, want %s", w.Code, b, tc.code)
			}
			replay := hs.do(call{form: form(assertionForm(a, "grant_type", "client_credentials")...)})
			if b := decode(t, replay); replay.Code != 401 || b["error"] != "invalid_client" {
				t.Fatalf("replay after %s: %d %v", tc.name, replay.Code, b)
			}
		})
	}
	t.Run("assertion refused as not yet valid, replayed once valid", func(t *testing.T) {
		early := f.signedAssertion(t, jwt.Claims{Issuer: "jwtc", Subject: "jwtc", Audience: jwt.Audience{tokenURL}, ID: "early",
			NotBefore: jwt.NewNumericDate(hs.now.Add(2 * time.Minute)), Expiry: jwt.NewNumericDate(hs.now.Add(5 * time.Minute))})
		w := hs.do(call{form: form(assertionForm(early, "grant_type", "client_credentials")...)})
		if w.Code != 401 {
			t.Fatalf("early assertion: %d %s", w.Code, w.Body)
		}
		hs.now = hs.now.Add(3 * time.Minute)
		defer func() { hs.now = hs.now.Add(-3 * time.Minute) }()
		replay := hs.do(call{form: form(assertionForm(early, "grant_type", "client_credentials")...)})
		if b := decode(t, replay); replay.Code != 401 || b["error"] != "invalid_client" || b["error_description"] != "the client assertion was already used" {
			t.Fatalf("replay once valid: %d %v", replay.Code, b)
		}
	})
	t.Run("proof refused for a future iat, replayed once in the window", func(t *testing.T) {
		p := f.p.proofAt(t, "POST", tokenURL, hs.now.Add(90*time.Second), "")
		if w := hs.do(call{form: ok, dpop: []string{p}}); w.Code != 400 {
			t.Fatalf("future proof: %d %s", w.Code, w.Body)
		}
		hs.now = hs.now.Add(40 * time.Second)
		defer func() { hs.now = hs.now.Add(-40 * time.Second) }()
		replay := hs.do(call{form: ok, dpop: []string{p}})
		if b := decode(t, replay); replay.Code != 400 || b["error"] != "invalid_dpop_proof" || b["error_description"] != "the DPoP proof (or client assertion) was already used" {
			t.Fatalf("replay once in the window: %d %v", replay.Code, b)
		}
	})

	// Nothing is spent for a caller that did not authenticate: such a
	// request writes nothing, and its proof still works for the client.
	t.Run("a request refused before authentication writes nothing", func(t *testing.T) {
		p := f.proof()
		w := hs.do(call{form: form("grant_type", "client_credentials", "client_id", "shark_agent_1", "client_secret", "wrong", "scope", "admin"), dpop: []string{p}})
		if w.Code != 401 || hs.lastCalls != 1 {
			t.Fatalf("wrong secret: %d, %d table calls (want 1, the client read)", w.Code, hs.lastCalls)
		}
		if w := hs.do(call{form: ok, dpop: []string{p}}); w.Code != 200 {
			t.Fatalf("the proof of an unauthenticated request was spent: %d %s", w.Code, w.Body)
		}
	})
	t.Run("spending costs one call on a refusal, none on success", func(t *testing.T) {
		refused := form("grant_type", "client_credentials", "client_id", "shark_agent_1", "client_secret", secret, "scope", "admin")
		hs.do(call{form: refused})
		without := hs.lastCalls
		hs.do(call{form: refused, dpop: []string{f.proof()}})
		if hs.lastCalls != without+1 {
			t.Fatalf("a refusal with a proof made %d calls, without %d: want one more", hs.lastCalls, without)
		}
		hs.do(call{form: ok})
		bearer := hs.lastCalls
		hs.do(call{form: ok, dpop: []string{f.proof()}})
		if hs.lastCalls != bearer {
			t.Fatalf("a success with a proof made %d calls, without %d: want the same", hs.lastCalls, bearer)
		}
	})
}

// signedAssertion signs claims with jwtc's registered key.
func (f *fixtures) signedAssertion(t *testing.T, c jwt.Claims) string {
	t.Helper()
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: f.jwtKey}, (&jose.SignerOptions{}).WithHeader("kid", "c1"))
	if err != nil {
		t.Fatal(err)
	}
	out, err := jwt.Signed(s).Claims(c).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// failingMarks fails every write of a replay mark while armed.
type failingMarks struct {
	store.Table
	armed atomic.Bool
}

var errMarks = errors.New("injected: replay mark write failed")

// isMark: a replay mark's item, or the token item a DPoP proof keys (a spent
// proof's placeholder, or the token issued with it: the proof's mark).
func isMark(it store.Item) bool {
	return string(it.Data) == "dpop" || string(it.Data) == "assertion" || strings.Contains(it.PK, "#TOKEN2#")
}

func (f *failingMarks) Put(ctx context.Context, it store.Item, c store.Cond) (int64, error) {
	if f.armed.Load() && isMark(it) {
		return 0, errMarks
	}
	return f.Table.Put(ctx, it, c)
}

func (f *failingMarks) Transact(ctx context.Context, ws []store.Write) error {
	for _, w := range ws {
		if f.armed.Load() && isMark(w.Item) {
			return errMarks
		}
	}
	return f.Table.Transact(ctx, ws)
}

// TestSpendFailureIsUnavailable (issue 20 P9): when the marks of a refused
// request cannot be written, the answer is 503 temporarily_unavailable with
// Retry-After, never 500, and no token.
func TestSpendFailureIsUnavailable(t *testing.T) {
	var fm *failingMarks
	hs := newHarness(t, func(tb store.Table) store.Table { fm = &failingMarks{Table: tb}; return fm })
	hs.client("acme", store.Client{ClientID: "a1", Scopes: []string{"mcp:read"}, Active: true})
	p := newProver(t)
	fm.armed.Store(true)
	for _, extra := range [][]string{{"scope", "admin"}, {"grant_type", "password"}} {
		fv := form("client_id", "a1", "client_secret", secret)
		if extra[0] != "grant_type" {
			fv.Set("grant_type", "client_credentials")
		}
		fv.Set(extra[0], extra[1])
		w := hs.do(call{form: fv, dpop: []string{p.proofAt(t, "POST", tokenURL, hs.now, "")}})
		b := decode(t, w)
		if w.Code != 503 || b["error"] != "temporarily_unavailable" || w.Header().Get("Retry-After") == "" || b["access_token"] != nil {
			t.Fatalf("%v: %d %v %v", extra, w.Code, b, w.Header())
		}
	}
	// A success writes its marks in its one transaction: failing it is a
	// 503 too, not a token.
	w := hs.do(call{form: form("grant_type", "client_credentials", "client_id", "a1", "client_secret", secret), dpop: []string{p.proofAt(t, "POST", tokenURL, hs.now, "")}})
	if w.Code != 503 {
		t.Fatalf("failed issue: %d %s", w.Code, w.Body)
	}
	fm.armed.Store(false)
	if w := hs.do(call{form: form("grant_type", "client_credentials", "client_id", "a1", "client_secret", secret), dpop: []string{p.proofAt(t, "POST", tokenURL, hs.now, "")}}); w.Code != 200 {
		t.Fatalf("after the fault: %d %s", w.Code, w.Body)
	}
}
