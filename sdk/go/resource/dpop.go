package resource

import (
	"crypto"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"slices"

	jose "github.com/go-jose/go-jose/v4"
)

type proofClaims struct {
	Jti string       `json:"jti"`
	Htm string       `json:"htm"`
	Htu string       `json:"htu"`
	Iat *numericDate `json:"iat"`
	Ath string       `json:"ath"`
}

// ath is base64url(SHA-256(token)) (RFC 9449 §4.2).
func ath(token string) string {
	s := sha256.Sum256([]byte(token))
	return base64.RawURLEncoding.EncodeToString(s[:])
}

// expectedHTU is the external URL of r: the configured public base plus
// the request path, never the request's Host.
func (v *Verifier) expectedHTU(r *http.Request) (string, bool) {
	return normalizeHTU(v.publicBase + r.URL.EscapedPath())
}

// verifyProof checks the DPoP proof of r for token, bound to jkt
// (RFC 9449 §4.3 and §7.1), and records its jti.
func (v *Verifier) verifyProof(r *http.Request, token, jkt string) *Error {
	proof, perr := parseProofHeader(r.Header.Values("DPoP"))
	if perr != nil {
		return perr
	}
	h, err := joseHeader(proof)
	if err != nil {
		return errProof("the DPoP proof header is malformed").with(err)
	}
	if typ, _ := headerString(h, "typ"); typ != "dpop+jwt" {
		return errProof("the DPoP proof typ is not dpop+jwt")
	}
	alg, _ := headerString(h, "alg")
	if !slices.Contains(v.dpopAlgs, jose.SignatureAlgorithm(alg)) {
		return errProof("the DPoP proof alg is not allowed")
	}
	if _, ok := h["crit"]; ok {
		return errProof("the DPoP proof has a crit header")
	}
	rawJWK, ok := h["jwk"]
	if !ok {
		return errProof("the DPoP proof has no jwk")
	}
	var members map[string]json.RawMessage
	if err := json.Unmarshal(rawJWK, &members); err != nil {
		return errProof("the DPoP proof jwk is malformed")
	}
	for _, m := range privateMembers {
		if _, ok := members[m]; ok {
			return errProof("the DPoP proof jwk holds a private or symmetric key")
		}
	}
	jws, err := jose.ParseSignedCompact(proof, v.dpopAlgs)
	if err != nil || len(jws.Signatures) != 1 {
		return errProof("the DPoP proof is malformed").with(err)
	}
	jwk := jws.Signatures[0].Header.JSONWebKey
	if jwk == nil || !jwk.Valid() || !jwk.IsPublic() {
		return errProof("the DPoP proof jwk is not a public key")
	}
	payload, err := jws.Verify(jwk.Key)
	if err != nil {
		return errProof("the DPoP proof signature is invalid").with(err)
	}
	var c proofClaims
	if err := json.Unmarshal(payload, &c); err != nil {
		return errProof("the DPoP proof claims are malformed").with(err)
	}
	if c.Jti == "" || c.Htm == "" || c.Htu == "" || c.Iat == nil || c.Ath == "" {
		return errProof("the DPoP proof lacks a required claim")
	}
	if len(c.Jti) > 256 {
		return errProof("the DPoP proof jti is too long")
	}
	if c.Htm != r.Method {
		return errProof("the DPoP proof htm does not match the request method")
	}
	want, ok := v.expectedHTU(r)
	got, ok2 := normalizeHTU(c.Htu)
	if !ok || !ok2 || got != want {
		return errProof("the DPoP proof htu does not match the request URL")
	}
	now := v.cfg.Now()
	iat := c.Iat.time()
	if iat.Before(now.Add(-v.cfg.ProofWindow)) {
		return errProof("the DPoP proof iat is too old")
	}
	if iat.After(now.Add(v.cfg.ProofWindow)) {
		return errProof("the DPoP proof iat is in the future")
	}
	if subtle.ConstantTimeCompare([]byte(c.Ath), []byte(ath(token))) != 1 {
		return errProof("the DPoP proof ath does not match the access token")
	}
	tp, err := jwk.Thumbprint(crypto.SHA256)
	if err != nil {
		return errProof("the DPoP proof jwk has no thumbprint").with(err)
	}
	if subtle.ConstantTimeCompare([]byte(base64.RawURLEncoding.EncodeToString(tp)), []byte(jkt)) != 1 {
		return errToken(SchemeDPoP, "the DPoP proof key does not match the token binding")
	}
	switch err := v.replay.add(c.Jti, iat.Add(v.cfg.ProofWindow), now); {
	case errors.Is(err, errReplayed):
		return errProof("the DPoP proof was already used")
	case err != nil:
		return errUnavailable("too many DPoP proofs in the window").with(err)
	}
	return nil
}
