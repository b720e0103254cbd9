package accesstoken

import (
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// Each verification rule, named, at its boundary.
func TestVerifyRules(t *testing.T) {
	kr, _, _ := fixture(t)
	at := func(nbf int64) string {
		c := claimsFor(issA)
		c.NotBefore = nbf
		return issue(t, kr, acme, c)
	}
	set := kr.ring(acme).published
	if len(set.Keys) == 0 {
		// The ring is loaded on first use.
		issue(t, kr, acme, claimsFor(issA))
		set = kr.ring(acme).published
	}
	dup := jose.JSONWebKeySet{Keys: append(append([]jose.JSONWebKey{}, set.Keys...), set.Keys...)}
	cases := []struct {
		name string
		set  jose.JSONWebKeySet
		tok  string
		ok   bool
	}{
		{"nbf now", set, at(now.Unix()), true},
		{"nbf within the 60 s skew", set, at(now.Unix() + 60), true},
		{"nbf past the skew", set, at(now.Unix() + 61), false},
		{"nbf an hour ahead", set, at(now.Add(time.Hour).Unix()), false},
		{"nbf in milliseconds", set, at(now.UnixMilli()), false},
		{"typ at+jwt", set, forgeTyp(t, kr, Type), true},
		{"typ JWT", set, forgeTyp(t, kr, "JWT"), false},
		{"typ application/jwt", set, forgeTyp(t, kr, "application/jwt"), false},
		{"no typ", set, forgeTyp(t, kr, ""), false},
		{"kid published twice", dup, issue(t, kr, acme, claimsFor(issA)), false},
		{"kid published once", set, issue(t, kr, acme, claimsFor(issA)), true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Verify(c.tok, c.set, issA, now)
			if c.ok != (err == nil) {
				t.Fatalf("ok=%v, err %v", c.ok, err)
			}
		})
	}
}

// A burst of tokens naming unknown kids re-reads the key records at most
// once per refresh interval, whatever the number of requests.
func TestUnknownKIDRereadsAtMostOncePerInterval(t *testing.T) {
	kr, src, _ := fixture(t)
	good := issue(t, kr, acme, claimsFor(issA))
	base := src.reads.Load()
	for i := range 50 {
		tok := forge(map[string]any{"alg": "ES256", "typ": Type, "kid": "unknown-" + string(rune('a'+i%26))}, segment(good, 1), nil)
		if _, err := kr.Verify(t.Context(), acme, issA, tok); err == nil {
			t.Fatal("a token of an unknown kid verified")
		}
	}
	if n := src.reads.Load() - base; n > 1 {
		t.Fatalf("%d reads of the key records for 50 unknown kids within one refresh interval, want at most 1", n)
	}
	now = now.Add(refreshGap)
	defer func() { now = now.Add(-refreshGap) }()
	before := src.reads.Load()
	for range 10 {
		kr.Verify(t.Context(), acme, issA, forge(map[string]any{"alg": "ES256", "typ": Type, "kid": "unknown-z"}, segment(good, 1), nil))
	}
	if n := src.reads.Load() - before; n != 1 {
		t.Fatalf("%d reads after the interval, want exactly 1", n)
	}
}
