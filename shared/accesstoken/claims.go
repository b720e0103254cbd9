package accesstoken

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/sharkauth/serverless/shared/keys"
)

// Type is the typ header of every access token (RFC 9068 §2.1).
const Type = "at+jwt"

// MaxTokenSize bounds a token we agree to parse.
const MaxTokenSize = 16 << 10

// Confirmation is the cnf claim: the DPoP key the token is bound to.
type Confirmation struct {
	JKT string `json:"jkt"`
}

// Actor is the act claim of RFC 8693 §4.1: who acts, and who acted before.
type Actor struct {
	Subject string        `json:"sub"`
	Cnf     *Confirmation `json:"cnf,omitempty"`
	Act     *Actor        `json:"act,omitempty"`
}

// Depth is the number of nested act members starting at a (0 for nil).
func (a *Actor) Depth() int {
	n := 0
	for ; a != nil; a = a.Act {
		n++
	}
	return n
}

// MayAct is the may_act claim of RFC 8693 §4.4: who may act for the subject.
// A string or an object with sub; we read sub and a list of subs.
type MayAct struct {
	Subject  string   `json:"sub,omitempty"`
	Subjects []string `json:"subs,omitempty"`
}

// Allows reports whether clientID may act for the subject.
func (m *MayAct) Allows(clientID string) bool {
	if m == nil || clientID == "" {
		return false
	}
	if m.Subject == clientID {
		return true
	}
	for _, s := range m.Subjects {
		if s == clientID {
			return true
		}
	}
	return false
}

// Audience is the aud claim (RFC 7519 §4.1.3): written as a string when
// there is one audience, as an array otherwise (as SharkAuth does); read in
// either form.
type Audience []string

// MarshalJSON writes one audience as a string, any other number as an array.
func (a Audience) MarshalJSON() ([]byte, error) {
	if len(a) == 1 {
		return json.Marshal(a[0])
	}
	if a == nil {
		return []byte("[]"), nil
	}
	return json.Marshal([]string(a))
}

// UnmarshalJSON reads a string or an array of strings; null is a no-op.
func (a *Audience) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*a = Audience{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return errors.New("accesstoken: aud is neither a string nor an array of strings")
	}
	*a = many
	return nil
}

// Claims are an access token's claims (WIRE §5.2).
type Claims struct {
	Issuer    string        `json:"iss"`
	Subject   string        `json:"sub"`
	Audience  Audience      `json:"aud"`
	Expiry    int64         `json:"exp"`
	IssuedAt  int64         `json:"iat"`
	NotBefore int64         `json:"nbf"`
	ID        string        `json:"jti"`
	ClientID  string        `json:"client_id"`
	Scope     string        `json:"scope,omitempty"`
	Cnf       *Confirmation `json:"cnf,omitempty"`
	AgentID   string        `json:"agent_id,omitempty"`
	Act       *Actor        `json:"act,omitempty"`
	// Family is the grant family of a token of a user's grant: the
	// revocation feed revokes a family by it (issue 24).
	Family string `json:"fam,omitempty"`
	// MayAct is read from subject tokens; we never issue it.
	MayAct *MayAct `json:"may_act,omitempty"`
}

// Issue signs c as an RFC 9068 token with key: header alg of key (ES256, or
// RS256 for an RS256 key), typ at+jwt, kid of key. In kms mode this is the
// one KMS Sign of the request.
// The compact JWS is assembled here: the claims are marshalled once, by
// encoding/json, and signed as they are.
func Issue(ctx context.Context, key keys.Key, c Claims) (string, error) {
	if c.Issuer == "" || c.Subject == "" || c.ID == "" || len(c.Audience) == 0 || c.Expiry <= c.IssuedAt {
		return "", errors.New("accesstoken: incomplete claims")
	}
	c.MayAct = nil
	header, err := json.Marshal(jwsHeader{Alg: key.Algorithm(), KID: key.KID(), Typ: Type})
	if err != nil {
		return "", fmt.Errorf("accesstoken: header: %w", err)
	}
	payload, err := json.Marshal(c)
	if err != nil {
		return "", fmt.Errorf("accesstoken: claims: %w", err)
	}
	enc := base64.RawURLEncoding
	hl, pl := enc.EncodedLen(len(header)), enc.EncodedLen(len(payload))
	out := make([]byte, hl+1+pl, hl+1+pl+1+enc.EncodedLen(sigCap))
	enc.Encode(out, header)
	out[hl] = '.'
	enc.Encode(out[hl+1:], payload)
	sig, err := key.SignJWS(ctx, out)
	if err != nil {
		return "", fmt.Errorf("accesstoken: sign: %w", err)
	}
	out = append(out, '.')
	out = enc.AppendEncode(out, sig)
	return string(out), nil
}

// sigCap is the room left for the signature: an RS256 signature of a 2048-bit
// key (an ES256 one is 64 bytes; a larger RSA key costs one growth).
const sigCap = 256

// Algs are the JWS algorithms of our access tokens. A token is verified only
// with the published key its kid names, and only when its alg is that key's.
var Algs = []jose.SignatureAlgorithm{jose.ES256, jose.RS256}

// jwsHeader is the protected header of an access token.
type jwsHeader struct {
	Alg string `json:"alg"`
	KID string `json:"kid"`
	Typ string `json:"typ"`
}

// ErrInvalid is a token that is not one of this tenant's valid access tokens
// (malformed, wrong typ or alg, unknown kid, bad signature, another issuer,
// expired). Its text never says which: callers answer invalid_grant/
// invalid_token or {"active":false}.
var ErrInvalid = errors.New("accesstoken: invalid token")

// Parsed is a token whose signature is verified.
type Parsed struct {
	Claims Claims
	KID    string
}

// Verify checks raw against the tenant's published keys and issuer at now.
// A token signed by another tenant fails: its kid is not published here and
// its iss differs.
func Verify(raw string, published jose.JSONWebKeySet, issuer string, now time.Time) (Parsed, error) {
	p, err := verifySignature(raw, published)
	if err != nil {
		return Parsed{}, err
	}
	c := p.Claims
	switch {
	case c.Issuer != issuer:
		return Parsed{}, fmt.Errorf("%w: issuer", ErrInvalid)
	case c.ID == "" || c.Subject == "" || c.Expiry == 0:
		return Parsed{}, fmt.Errorf("%w: claims", ErrInvalid)
	case now.Unix() >= c.Expiry:
		return Parsed{}, fmt.Errorf("%w: expired", ErrInvalid)
	case c.NotBefore > now.Unix()+60:
		return Parsed{}, fmt.Errorf("%w: not yet valid", ErrInvalid)
	}
	return p, nil
}

// UnknownKID reports whether raw is well formed but names a kid that is not
// in published (the caller may refresh its key set once and retry).
func UnknownKID(raw string, published jose.JSONWebKeySet) bool {
	tok, err := jwt.ParseSigned(raw, Algs)
	if err != nil || len(tok.Headers) != 1 || tok.Headers[0].KeyID == "" {
		return false
	}
	return len(published.Key(tok.Headers[0].KeyID)) == 0
}

func verifySignature(raw string, published jose.JSONWebKeySet) (Parsed, error) {
	if raw == "" || len(raw) > MaxTokenSize {
		return Parsed{}, fmt.Errorf("%w: size", ErrInvalid)
	}
	tok, err := jwt.ParseSigned(raw, Algs)
	if err != nil || len(tok.Headers) != 1 {
		return Parsed{}, fmt.Errorf("%w: malformed", ErrInvalid)
	}
	h := tok.Headers[0]
	if typ, _ := h.ExtraHeaders[jose.HeaderType].(string); typ != Type {
		return Parsed{}, fmt.Errorf("%w: typ", ErrInvalid)
	}
	matches := published.Key(h.KeyID)
	if h.KeyID == "" || len(matches) != 1 {
		return Parsed{}, fmt.Errorf("%w: kid", ErrInvalid)
	}
	// The key decides the algorithm, never the token (RFC 8725 §3.1).
	if matches[0].Algorithm == "" || h.Algorithm != matches[0].Algorithm {
		return Parsed{}, fmt.Errorf("%w: alg", ErrInvalid)
	}
	var raw2 json.RawMessage
	if err := tok.Claims(matches[0].Key, &raw2); err != nil {
		return Parsed{}, fmt.Errorf("%w: signature", ErrInvalid)
	}
	var c Claims
	if err := json.Unmarshal(raw2, &c); err != nil {
		return Parsed{}, fmt.Errorf("%w: claims", ErrInvalid)
	}
	return Parsed{Claims: c, KID: h.KeyID}, nil
}
