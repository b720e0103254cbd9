package oauth

import (
	"encoding/base64"
	"strings"
	"testing"
	"time"
)

// FuzzParseBasic: whatever the header, an accepted credential has a
// non-empty client id without control characters, and a well-formed header
// built from the accepted values parses back to the same values.
func FuzzParseBasic(f *testing.F) {
	for _, s := range []string{
		"Basic " + base64.StdEncoding.EncodeToString([]byte("s6BhdRkqt3:gX1fBat3bV")), // RFC 6749 §2.3.1
		"Basic " + base64.StdEncoding.EncodeToString([]byte("a%3Ab:c%2Bd+e")),
		"basic " + base64.StdEncoding.EncodeToString([]byte("a:")),
		"Basic " + base64.StdEncoding.EncodeToString([]byte(":secret")),
		"Basic !!!", "Basic", "Bearer sk_live_x", "Basic YTpi=", "Basic " + base64.StdEncoding.EncodeToString([]byte("a%zz:b")),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, header string) {
		id, secret, isBasic, err := ParseBasic(header)
		if !isBasic && err != nil {
			t.Fatalf("not Basic but an error: %v", err)
		}
		if err != nil || !isBasic {
			if id != "" || secret != "" {
				t.Fatalf("values returned with a failure")
			}
			return
		}
		if id == "" || strings.ContainsFunc(id, isControl) {
			t.Fatalf("accepted client id %q", id)
		}
		again := "Basic " + base64.StdEncoding.EncodeToString([]byte(escape(id)+":"+escape(secret)))
		id2, secret2, ok2, err2 := ParseBasic(again)
		if !ok2 || err2 != nil || id2 != id || secret2 != secret {
			t.Fatalf("round trip of %q/%q failed: %v", id, secret, err2)
		}
	})
}

func escape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') {
			b.WriteByte(c)
			continue
		}
		b.WriteString("%" + strings.ToUpper(string("0123456789abcdef"[c>>4])+string("0123456789abcdef"[c&15])))
	}
	return b.String()
}

// FuzzClientAssertion: the only assertions that authenticate are those
// signed by the client's registered key with every claim rule met; a mutated
// assertion never authenticates as anyone else, never with an unregistered
// key, and never panics.
func FuzzClientAssertion(f *testing.F) {
	a, priv := fixture(f)
	good := sign(f, assertionOpts{iss: "jwtc", sub: "jwtc", jti: "j1", aud: []string{issuer}, exp: now.Add(time.Minute), key: priv})
	f.Add(good)
	f.Add(strings.Replace(good, ".", "..", 1))
	f.Add("eyJhbGciOiJub25lIn0.eyJpc3MiOiJqd3RjIiwic3ViIjoiand0YyJ9.")
	f.Add("eyJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJqd3RjIiwic3ViIjoiand0YyJ9.c2ln")
	f.Add("")
	f.Fuzz(func(t *testing.T, raw string) {
		got, err := a.assertion(t.Context(), testTenant, raw, "")
		if err != nil {
			return
		}
		if got.Client.ClientID != "jwtc" || got.Method != PrivateKeyJWT || len(got.Marks) != 1 {
			t.Fatalf("accepted %+v", got)
		}
		c, tok, perr := ParseAssertion(raw)
		if perr != nil || tok.Headers[0].Algorithm != "ES256" {
			t.Fatalf("accepted an assertion that does not parse as ES256: %v", perr)
		}
		var verified assertionClaims
		if tok.Claims(&priv.PublicKey, &verified) != nil || c.ID == "" {
			t.Fatalf("accepted an assertion the registered key did not sign")
		}
	})
}
