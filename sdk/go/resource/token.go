package resource

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"slices"
	"strings"

	jose "github.com/go-jose/go-jose/v4"
)

// privateMembers are the JWK members that only private or symmetric keys
// carry (RFC 7518 §6.2.2, §6.3.2, §6.4; RFC 8037 §2).
var privateMembers = []string{"d", "p", "q", "dp", "dq", "qi", "oth", "k"}

// joseHeader decodes the protected header of a compact JWS without
// trusting it, so the checks on typ, alg and jwk happen before go-jose.
func joseHeader(compact string) (map[string]json.RawMessage, error) {
	i := strings.IndexByte(compact, '.')
	if i <= 0 {
		return nil, errors.New("no header")
	}
	b, err := base64.RawURLEncoding.DecodeString(compact[:i])
	if err != nil {
		return nil, err
	}
	var h map[string]json.RawMessage
	if err := json.Unmarshal(b, &h); err != nil {
		return nil, err
	}
	return h, nil
}

func headerString(h map[string]json.RawMessage, name string) (string, bool) {
	raw, ok := h[name]
	if !ok {
		return "", false
	}
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return "", false
	}
	return s, true
}

// isATJWT: RFC 9068 §4 accepts "at+jwt" or "application/at+jwt"; media
// type names compare case-insensitively (RFC 7515 §4.1.9).
func isATJWT(typ string) bool {
	typ = strings.ToLower(typ)
	return typ == "at+jwt" || typ == "application/at+jwt"
}

// verifyToken checks the access token offline and returns its claims.
func (v *Verifier) verifyToken(ctx context.Context, scheme, token string) (*Claims, *Error) {
	if !isCompactJWS(token) {
		return nil, errToken(scheme, "the access token is not a JWT")
	}
	h, err := joseHeader(token)
	if err != nil {
		return nil, errToken(scheme, "the access token header is malformed").with(err)
	}
	if typ, _ := headerString(h, "typ"); !isATJWT(typ) {
		return nil, errToken(scheme, "the access token typ is not at+jwt")
	}
	alg, _ := headerString(h, "alg")
	if !slices.Contains(v.tokenAlgs, jose.SignatureAlgorithm(alg)) {
		return nil, errToken(scheme, "the access token alg is not allowed")
	}
	if _, ok := h["crit"]; ok {
		return nil, errToken(scheme, "the access token has a crit header")
	}
	kid, ok := headerString(h, "kid")
	if !ok || kid == "" {
		return nil, errToken(scheme, "the access token has no kid")
	}
	jws, err := jose.ParseSignedCompact(token, v.tokenAlgs)
	if err != nil || len(jws.Signatures) != 1 {
		return nil, errToken(scheme, "the access token is malformed").with(err)
	}
	key, err := v.jwks.key(ctx, kid)
	switch {
	case errors.Is(err, errUnknownKID):
		return nil, errToken(scheme, "the access token is signed by an unknown key")
	case err != nil:
		return nil, errUnavailable("the issuer's keys could not be fetched").with(err)
	}
	if key.Algorithm != "" && key.Algorithm != alg {
		return nil, errToken(scheme, "the access token alg does not match its key")
	}
	payload, err := jws.Verify(key.Key)
	if err != nil {
		return nil, errToken(scheme, "the access token signature is invalid").with(err)
	}
	var w wireClaims
	if err := json.Unmarshal(payload, &w); err != nil {
		return nil, errToken(scheme, "the access token claims are malformed").with(err)
	}
	if w.Iss == "" || w.Sub == "" || len(w.Aud) == 0 || w.Exp == nil || w.Iat == nil || w.Jti == "" || w.ClientID == "" {
		return nil, errToken(scheme, "the access token lacks a required claim")
	}
	if w.Iss != v.cfg.Issuer {
		return nil, errToken(scheme, "the access token is from another issuer")
	}
	if !slices.ContainsFunc(w.Aud, func(a string) bool { return slices.Contains(v.cfg.Audiences, a) }) {
		return nil, errToken(scheme, "the access token is for another audience")
	}
	now := v.cfg.Now()
	if !now.Before(w.Exp.time().Add(v.cfg.Leeway)) {
		return nil, errToken(scheme, "the access token has expired")
	}
	if w.Nbf != nil && now.Add(v.cfg.Leeway).Before(w.Nbf.time()) {
		return nil, errToken(scheme, "the access token is not valid yet")
	}
	if now.Add(v.cfg.Leeway).Before(w.Iat.time()) {
		return nil, errToken(scheme, "the access token was issued in the future")
	}
	act, err := w.Act.toActor(1)
	if err != nil {
		return nil, errToken(scheme, "the access token act claim is malformed").with(err)
	}
	c := &Claims{
		Issuer: w.Iss, Subject: w.Sub, Audience: []string(w.Aud),
		Expiry: w.Exp.time(), IssuedAt: w.Iat.time(), NotBefore: w.Nbf.time(),
		ID: w.Jti, ClientID: w.ClientID, Scope: w.Scope, AgentID: w.AgentID,
		Actor: act, Scheme: scheme, Raw: json.RawMessage(payload),
		KeyID: kid, Family: w.Fam,
	}
	if w.Cnf != nil {
		if w.Cnf.JKT == "" {
			return nil, errToken(scheme, "the access token cnf has no jkt")
		}
		c.JKT = w.Cnf.JKT
	}
	return c, nil
}
