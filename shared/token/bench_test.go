package token

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/sharkauth/serverless/shared/accesstoken"
	"github.com/sharkauth/serverless/shared/store"
	"github.com/sharkauth/serverless/shared/tenant"
)

// The handler benchmarks run 8 requests in flight on the real store (embedded
// engine, fsync and group commit) as DESIGN §8 measures, and report beside
// ns/op (wall time, which the group commit's fsync bounds):
//
//	cpu-us/op       the process's CPU time (user + system, every goroutine:
//	                handler, commit loop, GC) per request;
//	floor-cpu-us    the crypto the same request cannot avoid, measured in the
//	                same run: each ES256 verification (a DPoP proof, a subject
//	                or introspected token) and the ES256 signature, as bare
//	                crypto/ecdsa calls on decoded inputs, one at a time;
//	x-floor         cpu-us/op over floor-cpu-us (DESIGN §8: at most 1.5);
//	table-calls/op  calls the store made to the table per request.
//
// Requests (and their proofs) are built before the timer starts.

// cpuTime is the CPU time this process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// floor is the crypto of one request: proofs and tokens verified, and
// whether it signs a token.
type floor struct {
	proofs, tokens int
	sign           bool
}

// measure returns the CPU microseconds of f's crypto, the mean of 500
// rounds: the bare primitives, nothing a faster parser could remove. A
// verification is SHA-256 over the signing input and crypto/ecdsa.Verify on
// the already decoded key and r, s; the signature is the opened key's
// SignJWS (SHA-256, ecdsa.Sign, r||s).
func (f floor) measure(b *testing.B, hs *harness, p *prover) float64 {
	b.Helper()
	key, err := hs.h.ring.Signer(b.Context(), tenant.MustID("acme"), nil)
	if err != nil {
		b.Fatal(err)
	}
	claims := accesstoken.Claims{Issuer: rootIssuer, Subject: "bench", Audience: []string{"bench"}, IssuedAt: hs.now.Unix(),
		NotBefore: hs.now.Unix(), Expiry: hs.now.Add(time.Minute).Unix(), ID: "jti", ClientID: "bench"}
	tok, err := accesstoken.Issue(b.Context(), key, claims)
	if err != nil {
		b.Fatal(err)
	}
	proof := bareSignature(b, p.proofAt(b, "POST", tokenURL, hs.now, ""), &p.priv.PublicKey)
	token := bareSignature(b, tok, key.Public().(*ecdsa.PublicKey))
	const rounds = 500
	start := cpuTime()
	for range rounds {
		for range f.proofs {
			proof.verify(b)
		}
		for range f.tokens {
			token.verify(b)
		}
		if f.sign {
			if _, err := key.SignJWS(b.Context(), token.input); err != nil {
				b.Fatal(err)
			}
		}
	}
	return float64((cpuTime() - start).Microseconds()) / rounds
}

// bare is a compact ES256 JWS split into what ecdsa.Verify takes.
type bare struct {
	input []byte
	pub   *ecdsa.PublicKey
	r, s  *big.Int
}

func bareSignature(b *testing.B, jws string, pub *ecdsa.PublicKey) bare {
	i := strings.LastIndexByte(jws, '.')
	sig, err := base64.RawURLEncoding.DecodeString(jws[i+1:])
	if err != nil || len(sig) != 64 {
		b.Fatalf("signature of %q: %v", jws, err)
	}
	return bare{input: []byte(jws[:i]), pub: pub, r: new(big.Int).SetBytes(sig[:32]), s: new(big.Int).SetBytes(sig[32:])}
}

func (x bare) verify(b *testing.B) {
	sum := sha256.Sum256(x.input)
	if !ecdsa.Verify(x.pub, sum[:], x.r, x.s) {
		b.Fatal("floor: signature does not verify")
	}
}

// benchHandler serves b.N requests made by build (called before the timer,
// once per request) with 8 in flight, and reports the metrics above.
func benchHandler(b *testing.B, hs *harness, p *prover, f floor, build func(i int) *http.Request) {
	b.Helper()
	tn := hs.tenants["acme"]
	rec, err := hs.st.GetTenant(b.Context(), tn.ID)
	if err != nil {
		b.Fatal(err)
	}
	tn.Record = rec
	reqs := make([]*http.Request, b.N)
	for i := range reqs {
		reqs[i] = build(i).WithContext(tenant.With(b.Context(), tn))
	}
	runtime.GC() // the garbage of building them is not the handler's
	floorUS := f.measure(b, hs, p)
	runtime.GC()
	var next atomic.Int64
	b.SetParallelism(4) // 8 goroutines on 2 cores
	b.ReportAllocs()
	calls := hs.table.Count()
	cpu := cpuTime()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			w := httptest.NewRecorder()
			hs.mux.ServeHTTP(w, reqs[next.Add(1)-1])
			if w.Code != 200 {
				b.Errorf("%d %s", w.Code, w.Body)
				return
			}
		}
	})
	b.StopTimer()
	perOp := float64((cpuTime() - cpu).Microseconds()) / float64(b.N)
	b.ReportMetric(perOp, "cpu-us/op")
	b.ReportMetric(floorUS, "floor-cpu-us")
	b.ReportMetric(perOp/floorUS, "x-floor")
	b.ReportMetric(float64(hs.table.Count()-calls)/float64(b.N), "table-calls/op")
}

func benchHarness(b *testing.B) (*harness, *prover) {
	hs := newHarness(b, nil)
	p := newProver(b)
	hs.client("acme", store.Client{ClientID: "bench", Scopes: []string{"mcp:read"}, Active: true})
	return hs, p
}

func postForm(body url.Values, proof string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, tokenPath, strings.NewReader(body.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if proof != "" {
		r.Header.Set("DPoP", proof)
	}
	return r
}

var benchForm = form("grant_type", "client_credentials", "client_id", "bench", "client_secret", secret, "scope", "mcp:read")

// BenchmarkTokenClientCredentials is a Bearer token (client_secret_post).
func BenchmarkTokenClientCredentials(b *testing.B) {
	hs, p := benchHarness(b)
	benchHandler(b, hs, p, floor{sign: true}, func(int) *http.Request { return postForm(benchForm, "") })
}

// BenchmarkTokenClientCredentialsDPoP is a DPoP-bound token with a fresh
// proof per request: the hot path of DESIGN §8.
func BenchmarkTokenClientCredentialsDPoP(b *testing.B) {
	hs, p := benchHarness(b)
	benchHandler(b, hs, p, floor{proofs: 1, sign: true}, func(int) *http.Request {
		return postForm(benchForm, p.proofAt(b, "POST", tokenURL, hs.now, ""))
	})
}

// BenchmarkTokenExchange is an agent exchanging its own token for a narrower
// DPoP-bound one (RFC 8693 self-exchange): the subject token verified, the
// proof verified, a token signed.
func BenchmarkTokenExchange(b *testing.B) {
	hs, p := benchHarness(b)
	w := hs.do(call{form: form("grant_type", "client_credentials", "client_id", "bench", "client_secret", secret, "scope", "mcp:read",
		"audience", "https://a.example")})
	if w.Code != 200 {
		b.Fatalf("subject token: %d %s", w.Code, w.Body)
	}
	subject := strings.Split(strings.Split(w.Body.String(), `"access_token":"`)[1], `"`)[0]
	ex := form("grant_type", GrantTokenExchange, "client_id", "bench", "client_secret", secret,
		"subject_token", subject, "subject_token_type", AccessTokenType, "audience", "https://a.example")
	benchHandler(b, hs, p, floor{proofs: 1, tokens: 1, sign: true}, func(int) *http.Request {
		return postForm(ex, p.proofAt(b, "POST", tokenURL, hs.now, ""))
	})
}

// BenchmarkIntrospect is a resource server's introspection of an active
// token with a tenant admin key (RFC 7662): the token verified, its
// revocation layers read; its floor is the one verification.
func BenchmarkIntrospect(b *testing.B) {
	hs, p := benchHarness(b)
	w := hs.do(call{form: benchForm})
	if w.Code != 200 {
		b.Fatalf("token: %d %s", w.Code, w.Body)
	}
	tok := strings.Split(strings.Split(w.Body.String(), `"access_token":"`)[1], `"`)[0]
	body := form("token", tok)
	benchHandler(b, hs, p, floor{tokens: 1}, func(int) *http.Request {
		r := httptest.NewRequest(http.MethodPost, "/oauth/introspect", strings.NewReader(body.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.Header.Set("Authorization", "Bearer "+hs.admin["acme"])
		return r
	})
}

// BenchmarkCryptoFloor is what a DPoP token cannot cost less than: one bare
// ES256 verification (the proof's) and one ES256 signature (the token's,
// through the opened key), as floor.measure counts them.
func BenchmarkCryptoFloor(b *testing.B) {
	hs, p := benchHarness(b)
	key, err := hs.h.ring.Signer(b.Context(), tenant.MustID("acme"), nil)
	if err != nil {
		b.Fatal(err)
	}
	proof := bareSignature(b, p.proofAt(b, "POST", tokenURL, hs.now, ""), &p.priv.PublicKey)
	b.ReportAllocs()
	for b.Loop() {
		proof.verify(b)
		if _, err := key.SignJWS(b.Context(), proof.input); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkES256Verify is the proof-verification half of the floor, bare go-jose.
func BenchmarkES256Verify(b *testing.B) {
	priv, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	s, _ := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: priv}, nil)
	obj, _ := s.Sign([]byte(`{"a":1}`))
	raw, _ := obj.CompactSerialize()
	b.ReportAllocs()
	for b.Loop() {
		jws, err := jose.ParseSignedCompact(raw, []jose.SignatureAlgorithm{jose.ES256})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := jws.Verify(&priv.PublicKey); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkTokenAuthorizationCode is a public MCP client exchanging a code
// with its PKCE verifier (a user's grant: the code consumed and a refresh
// token written in the token's one transaction).
func BenchmarkTokenAuthorizationCode(b *testing.B) {
	hs := userGrants(b)
	benchHandler(b, hs, newProver(b), floor{sign: true}, func(int) *http.Request {
		return postForm(form(exchange(hs.code(codeOpts{}))...), "")
	})
}

// BenchmarkTokenRefresh is a refresh: the presented token rotated, its
// successor and a new access token in one transaction.
func BenchmarkTokenRefresh(b *testing.B) {
	hs := userGrants(b)
	benchHandler(b, hs, newProver(b), floor{sign: true}, func(int) *http.Request {
		w := hs.do(call{form: form(exchange(hs.code(codeOpts{}))...)})
		if w.Code != 200 {
			b.Fatalf("code: %d %s", w.Code, w.Body)
		}
		rt := strings.Split(strings.Split(w.Body.String(), `"refresh_token":"`)[1], `"`)[0]
		return postForm(form("grant_type", "refresh_token", "client_id", "mcp", "refresh_token", rt), "")
	})
}
