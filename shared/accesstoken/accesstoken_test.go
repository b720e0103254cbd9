package accesstoken

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/sharkauth/serverless/shared/keys"
	"github.com/sharkauth/serverless/shared/store"
	"github.com/sharkauth/serverless/shared/tenant"
)

var (
	now   = time.Date(2026, 12, 1, 6, 0, 0, 0, time.UTC)
	acme  = tenant.MustID("acme")
	beta  = tenant.MustID("beta")
	issA  = "http://localhost:8080/t/acme"
	issB  = "http://localhost:8080/t/beta"
	clock = func() time.Time { return now }
)

// source serves each tenant's records and counts reads.
type source struct {
	records map[tenant.ID][]store.SigningKey
	reads   atomic.Int64
}

func (s *source) SigningKeys(_ context.Context, t tenant.ID) ([]store.SigningKey, error) {
	s.reads.Add(1)
	return s.records[t], nil
}

func fixture(t *testing.T) (*Keyring, *source, *keys.Local) {
	t.Helper()
	local, err := keys.NewLocal(bytes.Repeat([]byte{7}, 32), clock)
	if err != nil {
		t.Fatal(err)
	}
	src := &source{records: map[tenant.ID][]store.SigningKey{}}
	for _, id := range []tenant.ID{acme, beta} {
		rec, err := local.New(t.Context(), id)
		if err != nil {
			t.Fatal(err)
		}
		rec.State = store.KeyCurrent
		src.records[id] = []store.SigningKey{rec}
	}
	cache, err := keys.NewCache(local)
	if err != nil {
		t.Fatal(err)
	}
	return &Keyring{Source: src, Cache: cache, Now: clock}, src, local
}

func claimsFor(iss string) Claims {
	return Claims{
		Issuer: iss, Subject: "shark_agent_1", Audience: []string{"https://mcp.example.com"},
		IssuedAt: now.Unix(), NotBefore: now.Unix(), Expiry: now.Add(15 * time.Minute).Unix(),
		ID: "jti-1", ClientID: "shark_agent_1", Scope: "mcp:read", Cnf: &Confirmation{JKT: "abc"},
		AgentID: "agent_1", Act: &Actor{Subject: "x", Act: &Actor{Subject: "y"}},
		MayAct: &MayAct{Subject: "never-issued"},
	}
}

func issue(t *testing.T, kr *Keyring, id tenant.ID, c Claims) string {
	t.Helper()
	k, err := kr.Signer(t.Context(), id, nil)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := Issue(t.Context(), k, c)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func segment(tok string, i int) map[string]any {
	b, _ := base64.RawURLEncoding.DecodeString(strings.Split(tok, ".")[i])
	var m map[string]any
	json.Unmarshal(b, &m)
	return m
}

func TestIssueShape(t *testing.T) {
	kr, src, _ := fixture(t)
	tok := issue(t, kr, acme, claimsFor(issA))
	h, c := segment(tok, 0), segment(tok, 1)
	if h["alg"] != "ES256" || h["typ"] != "at+jwt" || h["kid"] != src.records[acme][0].KID {
		t.Fatalf("header %v", h)
	}
	if aud, ok := c["aud"].(string); !ok || aud != "https://mcp.example.com" {
		t.Fatalf("one aud must be a string: %v", c["aud"])
	}
	if _, ok := c["may_act"]; ok {
		t.Fatalf("may_act issued: %v", c)
	}
	for _, k := range []string{"iss", "sub", "exp", "iat", "nbf", "jti", "client_id", "scope", "cnf", "agent_id", "act"} {
		if _, ok := c[k]; !ok {
			t.Errorf("claim %s missing", k)
		}
	}
	p, err := kr.Verify(t.Context(), acme, issA, tok)
	if err != nil || p.Claims.Act.Depth() != 2 || p.Claims.Cnf.JKT != "abc" || p.KID != h["kid"] {
		t.Fatalf("verify: %+v %v", p, err)
	}
}

func TestVerify(t *testing.T) {
	kr, _, _ := fixture(t)
	good := issue(t, kr, acme, claimsFor(issA))
	expired := claimsFor(issA)
	expired.IssuedAt, expired.NotBefore, expired.Expiry = now.Add(-time.Hour).Unix(), now.Add(-time.Hour).Unix(), now.Unix()
	pub := kr.ring(acme).published
	pubJSON, _ := json.Marshal(pub.Keys[0])
	cases := []struct {
		name   string
		tenant tenant.ID
		iss    string
		token  string
		ok     bool
	}{
		{name: "valid", tenant: acme, iss: issA, token: good, ok: true},
		{name: "tenant A token on tenant B", tenant: beta, iss: issB, token: good},
		{name: "tenant B token with A's issuer on B", tenant: beta, iss: issB, token: issue(t, kr, beta, claimsFor(issA))},
		{name: "wrong issuer", tenant: acme, iss: issB, token: good},
		{name: "expired", tenant: acme, iss: issA, token: issue(t, kr, acme, expired)},
		{name: "alg none", tenant: acme, iss: issA, token: forge(map[string]any{"alg": "none", "typ": "at+jwt", "kid": segment(good, 0)["kid"]}, segment(good, 1), nil)},
		{name: "HS256 keyed with the public key", tenant: acme, iss: issA, token: forge(map[string]any{"alg": "HS256", "typ": "at+jwt", "kid": segment(good, 0)["kid"]}, segment(good, 1), pubJSON)},
		{name: "tampered claims", tenant: acme, iss: issA, token: swapPayload(good, map[string]any{"scope": "admin"})},
		{name: "wrong typ", tenant: acme, iss: issA, token: forgeTyp(t, kr, "JWT")},
		{name: "garbage", tenant: acme, iss: issA, token: "x.y.z"},
		{name: "empty", tenant: acme, iss: issA, token: ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := kr.Verify(t.Context(), tc.tenant, tc.iss, tc.token)
			if tc.ok != (err == nil) {
				t.Fatalf("ok=%v, err %v", tc.ok, err)
			}
		})
	}
}

func TestKeyringReadsOncePerTTL(t *testing.T) {
	kr, src, local := fixture(t)
	tok := issue(t, kr, acme, claimsFor(issA))
	for range 5 {
		issue(t, kr, acme, claimsFor(issA))
		if _, err := kr.Verify(t.Context(), acme, issA, tok); err != nil {
			t.Fatal(err)
		}
	}
	if n := src.reads.Load(); n != 1 {
		t.Fatalf("%d reads of the key records, want 1", n)
	}
	// A new current key appears: a token it signed is verified after one refresh.
	rec, _ := local.New(t.Context(), acme)
	rec.State, rec.ActivatedAt = store.KeyCurrent, now.Add(time.Second)
	other := &Keyring{Source: &source{records: map[tenant.ID][]store.SigningKey{acme: {rec}}}, Cache: kr.Cache, Now: clock}
	fresh := issue(t, other, acme, claimsFor(issA))
	if _, err := kr.Verify(t.Context(), acme, issA, fresh); err == nil {
		t.Fatal("verified before the records know the key")
	}
	src.records[acme] = append(src.records[acme], rec)
	now = now.Add(refreshGap)
	defer func() { now = now.Add(-refreshGap) }()
	if _, err := kr.Verify(t.Context(), acme, issA, fresh); err != nil {
		t.Fatalf("unknown kid did not refresh: %v", err)
	}
}

func forge(header, claims map[string]any, hmacKey []byte) string {
	h, _ := json.Marshal(header)
	c, _ := json.Marshal(claims)
	input := base64.RawURLEncoding.EncodeToString(h) + "." + base64.RawURLEncoding.EncodeToString(c)
	var sig []byte
	if hmacKey != nil {
		m := hmac.New(sha256.New, hmacKey)
		m.Write([]byte(input))
		sig = m.Sum(nil)
	}
	return input + "." + base64.RawURLEncoding.EncodeToString(sig)
}

func swapPayload(tok string, extra map[string]any) string {
	parts := strings.Split(tok, ".")
	c := segment(tok, 1)
	for k, v := range extra {
		c[k] = v
	}
	b, _ := json.Marshal(c)
	return parts[0] + "." + base64.RawURLEncoding.EncodeToString(b) + "." + parts[2]
}

// forgeTyp signs valid claims with the tenant's real key but another typ
// ("" sends none).
func forgeTyp(t *testing.T, kr *Keyring, typ string) string {
	k, err := kr.Signer(t.Context(), acme, nil)
	if err != nil {
		t.Fatal(err)
	}
	opts := &jose.SignerOptions{}
	if typ != "" {
		opts = opts.WithType(jose.ContentType(typ))
	}
	s, err := k.Signer(t.Context(), opts)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(claimsFor(issA))
	obj, err := s.Sign(b)
	if err != nil {
		t.Fatal(err)
	}
	out, _ := obj.CompactSerialize()
	return out
}
