package dpop

import (
	"testing"
	"time"
)

// TestRefusedProofIsReturnedToSpend (issue 20 P9, RFC 9449 §11.1): a proof
// refused after its signature verified and its jti was read comes back with
// the error (JKT, JTI, IssuedAt when readable) so the caller can spend it;
// a proof refused before that comes back empty.
func TestRefusedProofIsReturnedToSpend(t *testing.T) {
	p := newProver(t)
	v := Validator{Now: func() time.Time { return testNow }}
	req := Request{Method: "POST", URL: tokenURL}
	jkt := p.jkt(t)
	withClaims := func(mut func(map[string]any)) string {
		c := claimsOf("POST", tokenURL, testNow)
		mut(c)
		return p.sign(t, c, nil)
	}
	cases := []struct {
		name  string
		proof string
		req   Request
		spent bool
		iat   time.Time
	}{
		{name: "iat in the future", proof: withClaims(func(c map[string]any) { c["iat"] = testNow.Add(90 * time.Second).Unix() }), req: req, spent: true, iat: testNow.Add(90 * time.Second)},
		{name: "iat too old", proof: withClaims(func(c map[string]any) { c["iat"] = testNow.Add(-90 * time.Second).Unix() }), req: req, spent: true, iat: testNow.Add(-90 * time.Second)},
		{name: "wrong htu", proof: withClaims(func(c map[string]any) { c["htu"] = "http://localhost:8080/oauth/revoke" }), req: req, spent: true},
		{name: "missing iat", proof: withClaims(func(c map[string]any) { delete(c, "iat") }), req: req, spent: true},
		{name: "nonce required", proof: p.proof(t), req: Request{Method: "POST", URL: tokenURL, Nonce: func(string) bool { return false }}, spent: true, iat: testNow},
		{name: "ath required", proof: p.proof(t), req: Request{Method: "POST", URL: tokenURL, AccessToken: "at"}, spent: true, iat: testNow},
		// Not spendable: nothing verified, or no jti.
		{name: "bad signature", proof: tamper(p.proof(t)), req: req},
		{name: "no jti", proof: withClaims(func(c map[string]any) { delete(c, "jti") }), req: req},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := v.Validate(tc.proof, tc.req)
			if err == nil {
				t.Fatal("accepted")
			}
			if !tc.spent {
				if got.JTI != "" || got.JKT != "" {
					t.Fatalf("an unverified proof was returned: %+v", got)
				}
				return
			}
			if got.JTI != "Ab3dEf6hIj9lMn2pQr5tUv" || got.JKT != jkt || !got.IssuedAt.Equal(tc.iat) {
				t.Fatalf("returned %+v, want jti, jkt %s and iat %v", got, jkt, tc.iat)
			}
		})
	}
}
