package resource

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"
)

var (
	token68RE = regexp.MustCompile(`^[A-Za-z0-9\-._~+/]+=*$`)
	compactRE = regexp.MustCompile(`^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+$`)
)

// FuzzAuthorization: whatever the header, the parser either refuses with a
// 400/401 RFC 6750 error or returns a known scheme and a token68 that is
// exactly the rest of the header after the scheme and spaces.
func FuzzAuthorization(f *testing.F) {
	for _, s := range []string{
		"Bearer eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln", "DPoP abc.def.ghi", "bearer x==",
		"Bearer", "Bearer ", "Bearer  a", "Basic YTpi", "Bearer a b", "DPoP\ta", "Bearer a=b",
		"Bearer \x00", "Bearer " + strings.Repeat("a", MaxTokenLength+1), "", " Bearer a", "Bearer ñ",
	} {
		f.Add(s, false)
	}
	f.Add("Bearer a", true)
	f.Fuzz(func(t *testing.T, h string, twice bool) {
		values := []string{h}
		if twice {
			values = append(values, h)
		}
		scheme, token, err := parseAuthorization(values)
		if err != nil {
			if scheme != "" || token != "" {
				t.Fatalf("refusal returned %q %q", scheme, token)
			}
			switch {
			case err.Status == 401 && (err.Code == "" || err.Code == CodeInvalidToken):
			case err.Status == 400 && err.Code == CodeInvalidRequest:
			default:
				t.Fatalf("refusal %d %q", err.Status, err.Code)
			}
			return
		}
		if twice {
			t.Fatal("accepted two Authorization headers")
		}
		if scheme != SchemeBearer && scheme != SchemeDPoP {
			t.Fatalf("scheme %q", scheme)
		}
		if !strings.EqualFold(h[:len(scheme)], scheme) || h[len(scheme)] != ' ' {
			t.Fatalf("header %q does not start with scheme %q and a space", h, scheme)
		}
		if !token68RE.MatchString(token) || len(token) > MaxTokenLength {
			t.Fatalf("accepted token %q is not a bounded token68", token)
		}
		if strings.TrimLeft(h[len(scheme):], " ") != token {
			t.Fatalf("token %q is not the rest of %q", token, h)
		}
	})
}

// FuzzDPoPHeader: an accepted DPoP header is exactly one bounded compact
// JWS.
func FuzzDPoPHeader(f *testing.F) {
	for _, s := range []string{"a.b.c", "a..c", "a.b", "a.b.c.d", ".b.c", "a.b.", "a+b.c.d", "a.b.c ", "eyJ0eXAiOiJkcG9wK2p3dCJ9.e30.sig"} {
		f.Add(s, false)
	}
	f.Add("a.b.c", true)
	f.Fuzz(func(t *testing.T, v string, twice bool) {
		values := []string{v}
		if twice {
			values = append(values, v)
		}
		p, err := parseProofHeader(values)
		if err != nil {
			if err.Status != 401 || err.Code != CodeInvalidDPoPProof || err.Scheme != SchemeDPoP {
				t.Fatalf("refusal %+v", err)
			}
			return
		}
		if twice || p != v || len(p) > MaxTokenLength || !compactRE.MatchString(p) {
			t.Fatalf("accepted %q (twice=%v)", v, twice)
		}
	})
}

// FuzzNormalizeHTU: the normal form is an absolute http(s) URL without
// query, fragment, default port or upper-case scheme/host, and
// normalising it again changes nothing.
func FuzzNormalizeHTU(f *testing.F) {
	for _, s := range []string{"HTTP://LocalHost:80/a b", "https://h:443/%7e?q#f", "http://[::1]:80/", "https://h/%2F%2f", "http://h:8080", "ftp://h/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, ok := normalizeHTU(s)
		if !ok {
			return
		}
		if !strings.HasPrefix(n, "http://") && !strings.HasPrefix(n, "https://") {
			t.Fatalf("%q -> %q: scheme", s, n)
		}
		if strings.ContainsAny(n, "?# ") {
			t.Fatalf("%q -> %q: query, fragment or space", s, n)
		}
		if again, ok := normalizeHTU(n); !ok || again != n {
			t.Fatalf("not idempotent: %q -> %q -> %q (%v)", s, n, again, ok)
		}
		rest := n[strings.Index(n, "//")+2:]
		host, _, _ := strings.Cut(rest, "/")
		if host != strings.ToLower(host) || strings.HasSuffix(n[:strings.Index(n, "//")+2+len(host)], ":443") && strings.HasPrefix(n, "https") ||
			strings.HasSuffix(n[:strings.Index(n, "//")+2+len(host)], ":80") && strings.HasPrefix(n, "http:") {
			t.Fatalf("%q -> %q: host not normalised", s, n)
		}
	})
}

// FuzzProof: a proof is accepted only if it is a dpop+jwt with an allowed
// alg, signed by the key the token is bound to, for this method, URL and
// token; and an accepted proof is never accepted a second time.
func FuzzProof(f *testing.F) {
	now := time.Date(2026, 12, 1, 6, 0, 0, 0, time.UTC)
	p := newProver(f)
	const token = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln"
	valid := p.proof(f, "POST", testHTU, token, now, nil)
	f.Add(valid, "POST", "/mcp")
	f.Add(valid, "GET", "/mcp")
	f.Add(valid, "POST", "/other")
	f.Add(p.proof(f, "POST", "HTTPS://MCP.EXAMPLE.COM:443/mcp", token, now, nil), "POST", "/mcp")
	f.Add(p.proof(f, "POST", testHTU, token, now, func(c map[string]any) { c["iat"] = "now" }), "POST", "/mcp")
	f.Add(unsigned(f, map[string]any{"alg": "none", "typ": "dpop+jwt", "jwk": p.jwkJSON(f, false)},
		map[string]any{"jti": "a", "htm": "POST", "htu": testHTU, "iat": now.Unix(), "ath": ath(token)}, "AA"), "POST", "/mcp")
	f.Add(unsigned(f, map[string]any{"alg": "ES256", "typ": "dpop+jwt", "jwk": p.jwkJSON(f, true)},
		map[string]any{"jti": "a", "htm": "POST", "htu": testHTU, "iat": now.Unix(), "ath": ath(token)}, "AA"), "POST", "/mcp")
	f.Fuzz(func(t *testing.T, proof, method, path string) {
		v, err := New(Config{Issuer: "https://as.example.com", Resource: testResource, Now: func() time.Time { return now }})
		if err != nil {
			t.Fatal(err)
		}
		r, rerr := http.NewRequest(method, "https://mcp.example.com"+path, nil)
		if rerr != nil {
			return
		}
		r.Header.Set("DPoP", proof)
		if e := v.verifyProof(r, token, p.jkt); e != nil {
			if e.Code != CodeInvalidDPoPProof && e.Code != CodeInvalidToken {
				t.Fatalf("refusal code %q", e.Code)
			}
			return
		}
		h, err := joseHeader(proof)
		if err != nil {
			t.Fatalf("accepted a proof with an unreadable header: %v", err)
		}
		if typ, _ := headerString(h, "typ"); typ != "dpop+jwt" {
			t.Fatalf("accepted typ %q", typ)
		}
		if alg, _ := headerString(h, "alg"); alg != "ES256" {
			t.Fatalf("accepted alg %q", alg)
		}
		parts := strings.Split(proof, ".")
		payload, err := base64.RawURLEncoding.DecodeString(parts[1])
		if err != nil {
			t.Fatalf("accepted an undecodable payload: %v", err)
		}
		var c map[string]any
		if err := json.Unmarshal(payload, &c); err != nil {
			t.Fatal(err)
		}
		if c["htm"] != method || c["ath"] != ath(token) {
			t.Fatalf("accepted htm %v for %s, ath %v", c["htm"], method, c["ath"])
		}
		if e := v.verifyProof(r, token, p.jkt); e == nil || e.Code != CodeInvalidDPoPProof {
			t.Fatalf("the same proof was accepted twice (%v)", e)
		}
	})
}
