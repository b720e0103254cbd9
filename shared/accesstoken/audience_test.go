package accesstoken

import (
	"encoding/json"
	"errors"
	"slices"
	"testing"

	"github.com/go-jose/go-jose/v4"
)

// TestAudienceShape (issue 20 parity): aud is a string when the token has
// one audience (RFC 7519 §4.1.3), an array otherwise, and both forms are
// read back.
func TestAudienceShape(t *testing.T) {
	kr, _, _ := fixture(t)
	cases := []struct {
		name string
		aud  []string
		want string
	}{
		{name: "one audience is a string", aud: []string{"https://mcp.example.com"}, want: `"https://mcp.example.com"`},
		{name: "two audiences are an array", aud: []string{"urn:a", "https://r.example/api"}, want: `["urn:a","https://r.example/api"]`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := claimsFor(issA)
			c.Audience = tc.aud
			tok := issue(t, kr, acme, c)
			got, _ := json.Marshal(segment(tok, 1)["aud"])
			if string(got) != tc.want {
				t.Fatalf("aud %s, want %s", got, tc.want)
			}
			p, err := kr.Verify(t.Context(), acme, issA, tok)
			if err != nil || !slices.Equal(p.Claims.Audience, tc.aud) {
				t.Fatalf("verified aud %v, %v", p.Claims.Audience, err)
			}
		})
	}
	for _, tc := range []struct {
		in   string
		want []string
		bad  bool
	}{
		{in: `"x"`, want: []string{"x"}},
		{in: `["x","y"]`, want: []string{"x", "y"}},
		{in: `["x"]`, want: []string{"x"}},
		{in: `null`, want: nil},
		{in: `5`, bad: true},
		{in: `[5]`, bad: true},
		{in: `{"x":1}`, bad: true},
	} {
		var a Audience
		err := json.Unmarshal([]byte(tc.in), &a)
		if tc.bad != (err != nil) || (!tc.bad && !slices.Equal(a, tc.want)) {
			t.Fatalf("%s: %v %v", tc.in, a, err)
		}
	}
	// A token signed with the tenant's key whose aud is neither form is invalid.
	k, err := kr.Signer(t.Context(), acme, nil)
	if err != nil {
		t.Fatal(err)
	}
	s, err := k.Signer(t.Context(), (&jose.SignerOptions{}).WithType(Type))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(claimsFor(issA))
	var m map[string]any
	json.Unmarshal(b, &m)
	m["aud"] = 5
	b, _ = json.Marshal(m)
	obj, err := s.Sign(b)
	if err != nil {
		t.Fatal(err)
	}
	bad, _ := obj.CompactSerialize()
	if _, err := kr.Verify(t.Context(), acme, issA, bad); !errors.Is(err, ErrInvalid) {
		t.Fatalf("aud 5: %v", err)
	}
	m["aud"] = "https://mcp.example.com"
	b, _ = json.Marshal(m)
	obj, _ = s.Sign(b)
	str, _ := obj.CompactSerialize()
	if p, err := kr.Verify(t.Context(), acme, issA, str); err != nil || !slices.Equal(p.Claims.Audience, []string{"https://mcp.example.com"}) {
		t.Fatalf("aud as a string: %v %v", p.Claims.Audience, err)
	}
}

// FuzzAudience: whatever aud a token carries, an accepted value writes back
// in the form RFC 7519 §4.1.3 gives it (a string for one audience, else an
// array) and reads back to the same audiences.
func FuzzAudience(f *testing.F) {
	for _, s := range []string{`"x"`, `["x"]`, `["x","y"]`, `[]`, `null`, `5`, `[5]`, `{"a":1}`, `"\u00e9"`, `["",""]`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		var a Audience
		if json.Unmarshal(in, &a) != nil {
			return
		}
		out, err := json.Marshal(a)
		if err != nil {
			t.Fatalf("%q read as %q does not write: %v", in, a, err)
		}
		if isString := len(out) > 0 && out[0] == '"'; isString != (len(a) == 1) {
			t.Fatalf("%d audiences written as %s", len(a), out)
		}
		var back Audience
		if err := json.Unmarshal(out, &back); err != nil || !slices.Equal(back, a) {
			t.Fatalf("%s reads back as %q (%v), want %q", out, back, err, a)
		}
	})
}
