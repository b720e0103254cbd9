package accesstoken

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/sharkauth/serverless/shared/keys"
	"github.com/sharkauth/serverless/shared/store"
	"github.com/sharkauth/serverless/shared/tenant"
)

// withRSA gives acme a current RS256 key beside its ES256 key.
func withRSA(t *testing.T, src *source, local *keys.Local) store.SigningKey {
	t.Helper()
	rec, err := local.NewKey(t.Context(), acme, store.AlgRS256)
	if err != nil {
		t.Fatal(err)
	}
	rec.State, rec.ActivatedAt = store.KeyCurrent, now
	src.records[acme] = append(src.records[acme], rec)
	return rec
}

func issueAlg(t *testing.T, kr *Keyring, id tenant.ID, alg string, c Claims) string {
	t.Helper()
	k, err := kr.SignerFor(t.Context(), id, nil, alg)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := Issue(t.Context(), k, c)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// An RS256 token is signed by the tenant's RS256 key, names it, and verifies
// against the tenant's keys; the ES256 default is unchanged beside it.
func TestIssueAndVerifyRS256(t *testing.T) {
	kr, src, local := fixture(t)
	rsaRec := withRSA(t, src, local)
	tok := issueAlg(t, kr, acme, store.AlgRS256, claimsFor(issA))
	if h := segment(tok, 0); h["alg"] != "RS256" || h["typ"] != "at+jwt" || h["kid"] != rsaRec.KID {
		t.Fatalf("header %v", h)
	}
	p, err := kr.Verify(t.Context(), acme, issA, tok)
	if err != nil || p.KID != rsaRec.KID || p.Claims.Subject != "shark_agent_1" {
		t.Fatalf("verify: %+v %v", p, err)
	}
	es := issue(t, kr, acme, claimsFor(issA))
	if h := segment(es, 0); h["alg"] != "ES256" || h["kid"] != src.records[acme][0].KID {
		t.Fatalf("default header %v", h)
	}
	if _, err := kr.Verify(t.Context(), acme, issA, es); err != nil {
		t.Fatal(err)
	}
	if n := src.reads.Load(); n != 1 {
		t.Fatalf("%d reads of the key records, want 1", n)
	}
	if _, err := kr.Verify(t.Context(), beta, issB, tok); !errors.Is(err, ErrInvalid) {
		t.Fatalf("tenant A's RS256 token on tenant B: %v", err)
	}
}

// No alg confusion: a token is verified only with the key its kid names and
// only under that key's algorithm.
func TestRS256AlgConfusion(t *testing.T) {
	kr, src, local := fixture(t)
	rsaRec := withRSA(t, src, local)
	esKID := src.records[acme][0].KID
	var claims map[string]any
	b, _ := json.Marshal(claimsFor(issA))
	json.Unmarshal(b, &claims)
	pssToken := pss(t, src, claims) // before the records are first read
	rs := issueAlg(t, kr, acme, store.AlgRS256, claimsFor(issA))
	es := issue(t, kr, acme, claimsFor(issA))
	rsaJWK, _ := keys.PublicJWK(rsaRec)
	rsaJSON, _ := json.Marshal(rsaJWK)
	relabel := func(tok string, header map[string]any) string {
		h, _ := json.Marshal(header)
		parts := strings.Split(tok, ".")
		return base64.RawURLEncoding.EncodeToString(h) + "." + parts[1] + "." + parts[2]
	}
	cases := []struct{ name, token string }{
		{"RS256 signature relabelled ES256", relabel(rs, map[string]any{"alg": "ES256", "typ": "at+jwt", "kid": rsaRec.KID})},
		{"RS256 signature under the ES256 kid", relabel(rs, map[string]any{"alg": "RS256", "typ": "at+jwt", "kid": esKID})},
		{"ES256 signature under the RSA kid", relabel(es, map[string]any{"alg": "ES256", "typ": "at+jwt", "kid": rsaRec.KID})},
		{"ES256 signature relabelled RS256", relabel(es, map[string]any{"alg": "RS256", "typ": "at+jwt", "kid": esKID})},
		{"PS256 header with the RSA kid", relabel(rs, map[string]any{"alg": "PS256", "typ": "at+jwt", "kid": rsaRec.KID})},
		{"PS256 signature by the tenant's RSA key", pssToken},
		{"HS256 keyed with the RSA public JWK", forge(map[string]any{"alg": "HS256", "typ": "at+jwt", "kid": rsaRec.KID}, segment(rs, 1), rsaJSON)},
		{"alg none with the RSA kid", forge(map[string]any{"alg": "none", "typ": "at+jwt", "kid": rsaRec.KID}, segment(rs, 1), nil)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := kr.Verify(t.Context(), acme, issA, tc.token); !errors.Is(err, ErrInvalid) {
				t.Fatalf("err %v, want ErrInvalid", err)
			}
		})
	}
}

// A tenant without an RS256 key has no RS256 signer; one added since the
// records were read is found after one early refresh.
func TestSignerForRS256(t *testing.T) {
	kr, src, local := fixture(t)
	if _, err := kr.SignerFor(t.Context(), acme, nil, store.AlgRS256); !errors.Is(err, keys.ErrNoCurrentKey) {
		t.Fatalf("no RS256 key: %v", err)
	}
	rec := withRSA(t, src, local)
	if _, err := kr.SignerFor(t.Context(), acme, nil, store.AlgRS256); !errors.Is(err, keys.ErrNoCurrentKey) {
		t.Fatalf("refreshed within %v: %v", refreshGap, err)
	}
	now = now.Add(refreshGap)
	defer func() { now = now.Add(-refreshGap) }()
	k, err := kr.SignerFor(t.Context(), acme, nil, store.AlgRS256)
	if err != nil || k.KID() != rec.KID || k.Algorithm() != store.AlgRS256 {
		t.Fatalf("after refresh: %v %v", k, err)
	}
	if _, err := kr.SignerFor(t.Context(), acme, nil, "HS256"); err == nil {
		t.Fatal("an HS256 signer")
	}
}

// pss signs claims PS256 with an RSA key the tenant publishes (a retired
// RS256 key of its own): a valid signature, but not under the algorithm the
// key is published for.
func pss(t *testing.T, src *source, claims map[string]any) string {
	t.Helper()
	priv, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKIXPublicKey(&priv.PublicKey)
	kid, _ := keys.KID(&priv.PublicKey)
	src.records[acme] = append(src.records[acme], store.SigningKey{KID: kid, Alg: store.AlgRS256, State: store.KeyRetired,
		PublishUntil: now.Add(time.Hour), Mode: store.ModeLocal, PublicDER: der})
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.PS256, Key: priv},
		(&jose.SignerOptions{}).WithType(Type).WithHeader("kid", kid))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(claims)
	obj, err := s.Sign(b)
	if err != nil {
		t.Fatal(err)
	}
	out, _ := obj.CompactSerialize()
	return out
}
