package oauth

import (
	"bytes"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"slices"
	"strconv"

	"github.com/go-jose/go-jose/v4"

	"github.com/sharkauth/serverless/shared/dpop"
)

// MinRSABits is the smallest RSA modulus accepted for a signature
// verification key (RFC 7518 §3.3: 2048 bits or larger MUST be used), the
// same bound as a DPoP proof's key.
const MinRSABits = dpop.MinRSABits

// privateMembers are the JWK members only private or symmetric keys carry
// (RFC 7518 §6.2.2, §6.3.2, §6.4.1; RFC 8037 §2).
var privateMembers = []string{"d", "p", "q", "dp", "dq", "qi", "oth", "k"}

// PrivateJWKMembers returns the JWK members only private or symmetric keys
// carry, which CheckPublicKey refuses.
func PrivateJWKMembers() []string { return slices.Clone(privateMembers) }

// CheckPublicKey is the one check of a key that is to verify a client's
// assertions or a software publisher's statements, wherever the key comes
// from (a registered jwks, a jwks_uri, a publisher's JWKS): raw is the
// key's JSON, which must carry no private member, and k its parsed form,
// which must be a valid public asymmetric key, an RSA one of at least
// MinRSABits. The error says why, for an error description.
func CheckPublicKey(raw json.RawMessage, k jose.JSONWebKey) error {
	var members map[string]json.RawMessage
	if err := json.Unmarshal(raw, &members); err != nil || members == nil {
		return errors.New("a key is not a JSON object")
	}
	for _, m := range privateMembers {
		if _, ok := members[m]; ok {
			return errors.New("a key carries the private member " + m + ": public keys only")
		}
	}
	if _, sym := k.Key.([]byte); sym || !k.Valid() || !k.IsPublic() {
		return errors.New("keys must be valid public asymmetric keys")
	}
	if pub, ok := k.Key.(*rsa.PublicKey); ok && pub.N.BitLen() < MinRSABits {
		return errors.New("an RSA key must have at least " + strconv.Itoa(MinRSABits) + " bits (RFC 7518 section 3.3)")
	}
	return nil
}

// keySetKeys splits a JWKS into its keys, raw and parsed; a member of keys
// that is not a JWK go-jose can parse has a nil Key.
func keySetKeys(raw json.RawMessage) ([]json.RawMessage, []jose.JSONWebKey, error) {
	var set struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil, nil, errors.New("no jwks")
	}
	if err := json.Unmarshal(raw, &set); err != nil || set.Keys == nil {
		return nil, nil, errors.New("not a JSON Web Key Set")
	}
	parsed := make([]jose.JSONWebKey, len(set.Keys))
	for i, k := range set.Keys {
		if err := parsed[i].UnmarshalJSON(k); err != nil {
			parsed[i] = jose.JSONWebKey{}
		}
	}
	return set.Keys, parsed, nil
}

// ParseKeySet parses a key set given to be registered or configured: at
// least one key, and every key passing CheckPublicKey, else the error says
// which key fails and why.
func ParseKeySet(raw json.RawMessage) (jose.JSONWebKeySet, error) {
	raws, parsed, err := keySetKeys(raw)
	if err != nil {
		return jose.JSONWebKeySet{}, err
	}
	if len(parsed) == 0 {
		return jose.JSONWebKeySet{}, errors.New("the key set has no keys")
	}
	for i := range parsed {
		if parsed[i].Key == nil {
			return jose.JSONWebKeySet{}, errors.New("key " + strconv.Itoa(i) + " is not a valid JWK")
		}
		if err := CheckPublicKey(raws[i], parsed[i]); err != nil {
			return jose.JSONWebKeySet{}, errors.New("key " + strconv.Itoa(i) + ": " + err.Error())
		}
	}
	return jose.JSONWebKeySet{Keys: parsed}, nil
}

// PublicKeySet parses a stored or fetched JWKS and keeps only the keys
// that pass CheckPublicKey: a weak, private or symmetric key in a set is
// never used to verify anything (sets stored before a check tightened
// included).
func PublicKeySet(raw json.RawMessage) (jose.JSONWebKeySet, error) {
	raws, parsed, err := keySetKeys(raw)
	if err != nil {
		return jose.JSONWebKeySet{}, err
	}
	var set jose.JSONWebKeySet
	for i := range parsed {
		if parsed[i].Key != nil && CheckPublicKey(raws[i], parsed[i]) == nil {
			set.Keys = append(set.Keys, parsed[i])
		}
	}
	return set, nil
}
