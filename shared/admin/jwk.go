package admin

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"

	"github.com/go-jose/go-jose/v4"

	"github.com/sharkauth/serverless/shared/httpx"
	"github.com/sharkauth/serverless/shared/oauth"
)

// privateMembers are JWK members that only private or symmetric keys carry.
var privateMembers = oauth.PrivateJWKMembers()

// errBadJWK is the answer to a key that is not an acceptable public key.
func errBadJWK(msg string) error {
	return &httpx.Error{Status: 400, Code: "invalid_jwk", Message: msg}
}

// publicJWK parses raw as a public EC P-256, RSA or OKP Ed25519 key that
// passes oauth.CheckPublicKey (no private member, RSA of 2048 bits or
// more): the one key check of every key set the server accepts.
func publicJWK(raw json.RawMessage) (jose.JSONWebKey, error) {
	return publicJWKOf("new_public_jwk", raw)
}

// publicJWKOf is publicJWK for a key sent in the member field (named in errors).
func publicJWKOf(field string, raw json.RawMessage) (jose.JSONWebKey, error) {
	var members map[string]json.RawMessage
	if err := json.Unmarshal(raw, &members); err != nil || members == nil {
		return jose.JSONWebKey{}, errBadJWK(field + " must be a JWK object")
	}
	for _, m := range privateMembers {
		if _, ok := members[m]; ok {
			return jose.JSONWebKey{}, errBadJWK(field + " carries the private member " + m + ": send the public key only")
		}
	}
	var k jose.JSONWebKey
	if err := k.UnmarshalJSON(bytes.TrimSpace(raw)); err != nil {
		return jose.JSONWebKey{}, errBadJWK(field + " is not a valid JWK")
	}
	if err := oauth.CheckPublicKey(raw, k); err != nil {
		return jose.JSONWebKey{}, errBadJWK(field + ": " + err.Error())
	}
	switch pub := k.Key.(type) {
	case *ecdsa.PublicKey:
		if pub.Curve != elliptic.P256() {
			return jose.JSONWebKey{}, errBadJWK("an EC key must be on curve P-256")
		}
	case *rsa.PublicKey, ed25519.PublicKey:
	default:
		return jose.JSONWebKey{}, errBadJWK(field + " must be an EC P-256, RSA or OKP Ed25519 public key")
	}
	return k, nil
}

// thumbprint returns the RFC 7638 SHA-256 thumbprint (base64url) of a public JWK.
func thumbprint(raw json.RawMessage) (string, error) { return thumbprintOf("new_public_jwk", raw) }

// thumbprintOf is thumbprint for a key sent in the member field.
func thumbprintOf(field string, raw json.RawMessage) (string, error) {
	k, err := publicJWKOf(field, raw)
	if err != nil {
		return "", err
	}
	sum, err := k.Thumbprint(crypto.SHA256)
	if err != nil {
		return "", errBadJWK(field + " has no thumbprint")
	}
	return base64.RawURLEncoding.EncodeToString(sum), nil
}

// metadataJWK is the member of an agent's metadata that SharkAuth's SDK users
// register the agent's DPoP public key in (register_agent(...,
// metadata={"dpop_public_jwk": jwk})).
const metadataJWK = "dpop_public_jwk"

// registeredJWK returns the thumbprint of the DPoP key an agent's metadata
// registers ("" when it registers none).
func registeredJWK(meta map[string]any) (string, error) {
	v, ok := meta[metadataJWK]
	if !ok || v == nil {
		return "", nil
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return "", errBadJWK("metadata." + metadataJWK + " is not a JWK")
	}
	return thumbprintOf("metadata."+metadataJWK, raw)
}
