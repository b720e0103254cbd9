package admin

import (
	"encoding/json"
	"testing"
)

// FuzzPublicJWK: whatever a caller sends as new_public_jwk, an accepted key is
// public, of an allowed type, carries no private member, and has a
// thumbprint; nothing panics.
func FuzzPublicJWK(f *testing.F) {
	for _, seed := range []string{
		`{"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}`,
		`{"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0","d":"jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI"}`,
		`{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}`,
		`{"kty":"oct","k":"AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow"}`,
		`{"kty":"RSA","n":"AQAB","e":"AQAB"}`, `{}`, `[]`, `null`, `{"kty":"EC","crv":"P-384"}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		k, err := publicJWK(raw)
		if err != nil {
			return
		}
		var members map[string]json.RawMessage
		if json.Unmarshal(raw, &members) != nil {
			t.Fatalf("accepted a body that is not an object: %q", raw)
		}
		for _, m := range privateMembers {
			if _, ok := members[m]; ok {
				t.Fatalf("accepted a key with private member %s", m)
			}
		}
		if !k.IsPublic() {
			t.Fatal("accepted a private key")
		}
		if _, err := thumbprint(raw); err != nil {
			t.Fatalf("accepted key has no thumbprint: %v", err)
		}
	})
}
