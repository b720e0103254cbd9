package token

import (
	"bytes"
	"crypto/ecdsa"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/sharkauth/serverless/shared/dpop"
	"github.com/sharkauth/serverless/shared/ids"
	"github.com/sharkauth/serverless/shared/keys"
	"github.com/sharkauth/serverless/shared/store"
	"github.com/sharkauth/serverless/shared/store/embedded"
	"github.com/sharkauth/serverless/shared/store/storetest"
	"github.com/sharkauth/serverless/shared/store/table/tabletest"
	"github.com/sharkauth/serverless/shared/tenant"
)

const (
	rootIssuer = "http://localhost:8080"
	betaIssuer = "http://localhost:8080/t/beta"
	secret     = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	tokenPath  = "/oauth/token"
)

var t0 = time.Date(2026, 12, 1, 6, 0, 0, 0, time.UTC)

// harness is the token function over the real store on the embedded engine
// in a temp dir, local key mode, and an injected clock.
type harness struct {
	t       testing.TB
	now     time.Time
	table   *tabletest.Faulty // counts the calls; fails none unless armed
	st      *store.Store
	tokens  Store
	h       *Handler
	mux     *http.ServeMux
	tenants map[string]tenant.Tenant
	admin   map[string]string // admin key per tenant
	sealer  keys.Sealer
	// foreignRecord, when set, is handed to requests as their tenant's
	// record in place of their own (a resolver that got it wrong).
	foreignRecord *store.Tenant
	// lastCalls is how many table calls the last request made.
	lastCalls int64
}

func (hs *harness) clock() time.Time { return hs.now }

func newHarness(t testing.TB, wrap func(store.Table) store.Table) *harness {
	t.Helper()
	return newHarnessWith(t, wrap, nil)
}

// newHarnessWith builds the harness with a key mode of its own (nil: local).
func newHarnessWith(t testing.TB, wrap func(store.Table) store.Table, sealer func(now func() time.Time) keys.Sealer) *harness {
	t.Helper()
	hs := &harness{t: t, now: t0, tenants: map[string]tenant.Tenant{}, admin: map[string]string{}}
	// The engine shark serve opens on a new data directory.
	eng, _, err := embedded.OpenDir(t.TempDir(), "", hs.clock)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { eng.Close() })
	var tbl store.Table = eng
	if wrap != nil {
		tbl = wrap(tbl)
	}
	hs.table = &tabletest.Faulty{Table: tbl}
	hs.st = store.New(hs.table, hs.clock)
	hs.tokens = hs.st
	if sealer != nil {
		hs.sealer = sealer(hs.clock)
	} else {
		local, err := keys.NewLocal(bytes.Repeat([]byte{9}, 32), hs.clock)
		if err != nil {
			t.Fatal(err)
		}
		hs.sealer = local
	}
	cache, err := keys.NewCache(hs.sealer)
	if err != nil {
		t.Fatal(err)
	}
	hs.h = &Handler{Store: hs.tokens, Keys: cache, Now: hs.clock}
	hs.mux = newMux(hs.h)
	hs.addTenant("acme", rootIssuer, store.Tenant{})
	hs.addTenant("beta", betaIssuer, store.Tenant{})
	return hs
}

// newMux serves h's routes.
func newMux(h *Handler) *http.ServeMux {
	m := http.NewServeMux()
	h.Register(m)
	return m
}

func (hs *harness) addTenant(id, issuer string, rec store.Tenant) {
	hs.admin[id] = storetest.SeedTenant(hs.t, hs.st, hs.sealer, id, &rec, hs.now)
	hs.tenants[id] = tenant.Tenant{ID: tenant.MustID(id), Issuer: issuer, Record: rec}
}

// client stores a client of tenant id with the shared secret.
func (hs *harness) client(id string, c store.Client) store.Client {
	hs.t.Helper()
	if c.ID == "" {
		c.ID = "agent_" + c.ClientID
	}
	if c.Kind == "" {
		c.Kind = "agent"
	}
	if c.SecretHash == nil {
		c.SecretHash = ids.Hash(secret)
	}
	if c.GrantTypes == nil {
		c.GrantTypes = []string{GrantClientCredentials, GrantTokenExchange}
	}
	c.CreatedAt, c.UpdatedAt = hs.now, hs.now
	ev := store.AuditEvent{ID: ids.New("aud_"), Event: "agent.created", CreatedAt: hs.now, Metadata: map[string]any{}}
	if err := hs.st.CreateClient(hs.t.Context(), tenant.MustID(id), c, ev); err != nil {
		hs.t.Fatal(err)
	}
	return c
}

type call struct {
	tenant  string
	path    string
	form    url.Values
	headers map[string]string
	dpop    []string
}

func (hs *harness) do(c call) *httptest.ResponseRecorder {
	hs.t.Helper()
	if c.tenant == "" {
		c.tenant = "acme"
	}
	if c.path == "" {
		c.path = tokenPath
	}
	r := httptest.NewRequest(http.MethodPost, c.path, strings.NewReader(c.form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for k, v := range c.headers {
		r.Header.Set(k, v)
	}
	for _, p := range c.dpop {
		r.Header.Add("DPoP", p)
	}
	// The resolver hands each request the tenant's record; here it is read
	// fresh (a cache TTL of 0), outside the counted calls.
	tn := hs.tenants[c.tenant]
	rec, err := hs.st.GetTenant(hs.t.Context(), tn.ID)
	if err != nil {
		hs.t.Fatal(err)
	}
	tn.Record = rec
	if hs.foreignRecord != nil {
		tn.Record = *hs.foreignRecord
	}
	r = r.WithContext(tenant.With(r.Context(), tn))
	w := httptest.NewRecorder()
	before := hs.table.Count()
	hs.mux.ServeHTTP(w, r)
	hs.lastCalls = int64(hs.table.Count() - before)
	return w
}

func decode(t *testing.T, w *httptest.ResponseRecorder) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &m); err != nil {
		t.Fatalf("body %q: %v", w.Body.String(), err)
	}
	return m
}

// prover is the client's DPoP prover (dpop.Prover) with its key at hand for
// the tests that forge proofs.
type prover struct {
	*dpop.Prover
	priv *ecdsa.PrivateKey
}

func newProver(t testing.TB) *prover {
	p, err := dpop.NewProver()
	if err != nil {
		t.Fatal(err)
	}
	return &prover{Prover: p, priv: p.Key()}
}

func (p *prover) jkt() string { return p.JKT() }

// proofAt is a proof for htm htu at iat; jti "" gets a fresh one.
func (p *prover) proofAt(t testing.TB, htm, htu string, iat time.Time, jti string) string {
	t.Helper()
	out, err := p.Proof(dpop.ProofClaims{JTI: jti, HTM: htm, HTU: htu, IAT: iat})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func form(kv ...string) url.Values {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Add(kv[i], kv[i+1])
	}
	return v
}

// claimsOf decodes a JWT's payload without verifying it (tests only).
func claimsOf(t *testing.T, jwt string) map[string]any {
	t.Helper()
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %q", jwt)
	}
	b, _ := base64.RawURLEncoding.DecodeString(parts[1])
	var m map[string]any
	json.Unmarshal(b, &m)
	return m
}
