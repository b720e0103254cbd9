package token

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/sharkauth/serverless/shared/audit"
	"github.com/sharkauth/serverless/shared/ids"
	"github.com/sharkauth/serverless/shared/oauth"
	"github.com/sharkauth/serverless/shared/store"
	"github.com/sharkauth/serverless/shared/tenant"
)

// RefreshLifetime is how long a refresh token lives; each rotation starts
// its successor's anew.
const RefreshLifetime = 30 * 24 * time.Hour

// ScopeOfflineAccess asks for a refresh token (the MCP spec's guidance).
const ScopeOfflineAccess = "offline_access"

// The prefix of refresh token values (never stored: only their hash).
const refreshPrefix = "shark_rt_"

var errGrant = func(desc string) error { return oauth.New(oauth.InvalidGrant, desc) }

// authorizationCode is the authorization_code grant (RFC 6749 §4.1.3, RFC
// 7636 §4.6, RFC 8707, RFC 9449 §10): the code, unused and unexpired, was
// issued to this client for this redirect_uri; the verifier hashes to its
// challenge; a code bound to a DPoP key needs a proof of it. Its user is
// the subject, its scope the ceiling, its resources the audience. The
// code's single use joins the token's transaction; a second use is refused
// and revokes every token the first one issued (its family).
func authorizationCode(h *Handler, ctx context.Context, q *request) (decision, error) {
	f := q.form
	val, redirect, verifier := f.Get("code"), f.Get("redirect_uri"), f.Get("code_verifier")
	switch {
	case val == "":
		return decision{}, oauth.New(oauth.InvalidRequest, "code is required")
	case redirect == "":
		return decision{}, oauth.New(oauth.InvalidRequest, "redirect_uri is required")
	case verifier == "":
		return decision{}, oauth.New(oauth.InvalidRequest, "code_verifier is required (PKCE S256)")
	}
	code, err := h.Store.AuthCodeByHash(ctx, q.tenant.ID, ids.Hash(val))
	var used *store.CodeUsedError
	switch {
	case errors.As(err, &used):
		// RFC 6749 §4.1.2: a code used twice revokes what it issued.
		ev := audit.New(q.r, q.now, audit.CodeReuseDetected, audit.Actor{Type: "client", ID: q.client.Client.ClientID},
			audit.Target{Type: "token_family", ID: used.Use.FamilyID}, map[string]any{"code_id": used.Use.CodeID, "jti": used.Use.JTI})
		if err := h.Store.RevokeFamily(ctx, q.tenant.ID, used.Use.FamilyID, "code_reuse", ev); err != nil {
			return decision{}, oauth.Internal(err)
		}
		return decision{}, errGrant("the authorization code was already used")
	case errors.Is(err, store.ErrNotFound):
		return decision{}, errGrant("the authorization code is invalid or expired")
	case err != nil:
		return decision{}, oauth.Internal(err)
	}
	c := q.client.Client
	switch {
	case code.ClientID != c.ClientID:
		return decision{}, errGrant("the authorization code was issued to another client")
	case code.RedirectURI != redirect:
		return decision{}, errGrant("redirect_uri does not match the authorization request's")
	case !pkceMatches(verifier, code.Challenge):
		return decision{}, errGrant("code_verifier does not match the code_challenge")
	case code.DPoPJKT != "" && (q.proof == nil || q.proof.JKT != code.DPoPJKT):
		return decision{}, errGrant("the authorization code is bound to a DPoP key: present a proof of it")
	}
	if code.UserMark == nil || code.ConsentID == "" {
		// Not one CreateAuthCode bound to its consent and user's marker.
		return decision{}, errGrant("the authorization code is invalid or expired")
	}
	family := ids.New("fam_")
	d := userDecision(q, code.UserID, family, strings.Fields(code.Scope), code.Resources)
	d.event = audit.CodeExchanged
	d.metadata = map[string]any{"code_id": code.ID, "family": family}
	// The access token's jti is not known here: the tombstone names the
	// family, which is what a replay revokes.
	// The family joins the consent the code was issued under (user x
	// client x redirect URI, that consent and not one granted again
	// since): revoking the consent revokes the family, and a code whose
	// consent was revoked meanwhile is refused. A cascade of the user
	// since the code was issued refuses it too. Both are conditions of
	// the transaction, not reads before it.
	d.steps = []store.IssueStep{store.ConsumeAuthCode(code, store.CodeUse{FamilyID: family, UsedAt: q.now}),
		store.JoinCodeConsent(code, family), store.UserUnrevoked(code.UserID, *code.UserMark)}
	d.refused = func(err error) error {
		switch {
		case errors.Is(err, store.ErrCodeUsed):
			return errGrant("the authorization code was already used")
		case errors.Is(err, store.ErrConsentRevoked):
			return errGrant("the user's consent was revoked")
		case errors.Is(err, store.ErrUserRevoked):
			return errGrant("the user's authorization was revoked")
		}
		return nil
	}
	if allowsGrant(c, oauth.GrantRefreshToken) || slices.Contains(strings.Fields(code.Scope), ScopeOfflineAccess) {
		d.refresh = &refreshPart{family: family, user: code.UserID, authTime: code.CreatedAt, userMark: code.UserMark, scope: code.Scope, resources: code.Resources}
	}
	return d, nil
}

// refreshToken is the refresh_token grant (RFC 6749 §6, OAuth 2.1 §4.3,
// RFC 9449 §5): rotated on every use; the scope may only narrow; a token
// bound to a DPoP key needs a proof of it. Presented again within
// store.RefreshGrace it answers the same successor (with a new access
// token); later, it revokes its whole family.
func refreshToken(h *Handler, ctx context.Context, q *request) (decision, error) {
	val := q.form.Get("refresh_token")
	if val == "" {
		return decision{}, oauth.New(oauth.InvalidRequest, "refresh_token is required")
	}
	rt, err := h.Store.RefreshByHash(ctx, q.tenant.ID, ids.Hash(val))
	switch {
	case errors.Is(err, store.ErrNotFound):
		return decision{}, errGrant("the refresh token is invalid or expired")
	case err != nil:
		return decision{}, oauth.Internal(err)
	}
	c := q.client.Client
	switch {
	case rt.ClientID != c.ClientID:
		return decision{}, errGrant("the refresh token was issued to another client")
	case rt.JKT != "" && (q.proof == nil || q.proof.JKT != rt.JKT):
		return decision{}, errGrant("the refresh token is bound to a DPoP key: present a proof of it")
	case revokedBy(rt.AuthTime, c.RevokedBefore):
		// The client's revoke-all (L2) ends the grants made until then.
		return decision{}, errGrant("the refresh token was revoked")
	}
	mark := rt.UserMark
	if mark == nil {
		// A token stored before the marker's version was kept: the marker
		// is read, its time checked, and its version kept from now on.
		if err := h.userLive(ctx, q.tenant.ID, rt.UserID, rt.AuthTime); err != nil {
			return decision{}, err
		}
		v, err := h.Store.UserMarkOf(ctx, q.tenant.ID, rt.UserID)
		if err != nil {
			return decision{}, oauth.Internal(err)
		}
		mark = &v
	}
	part := &refreshPart{family: rt.FamilyID, user: rt.UserID, authTime: rt.AuthTime, userMark: mark, scope: rt.Scope, resources: rt.Resources}
	if !rt.UsedAt.IsZero() {
		successor, ok := openSuccessor(val, rt.Successor)
		if !ok || q.now.Sub(rt.UsedAt) > store.RefreshGrace {
			ev := audit.New(q.r, q.now, audit.RefreshReuseDetected, audit.Actor{Type: "client", ID: c.ClientID},
				audit.Target{Type: "token_family", ID: rt.FamilyID}, map[string]any{"used_at": rt.UsedAt})
			if err := h.Store.RevokeFamily(ctx, q.tenant.ID, rt.FamilyID, "refresh_reuse", ev); err != nil {
				return decision{}, oauth.Internal(err)
			}
			return decision{}, errGrant("the refresh token was already used")
		}
		part.again = successor // within the grace: the same successor
	} else {
		part.rotate, part.presented = &rt, val
	}
	d := userDecision(q, rt.UserID, rt.FamilyID, strings.Fields(rt.Scope), rt.Resources)
	d.event = audit.RefreshRotated
	d.metadata = map[string]any{"family": rt.FamilyID, "grace_reuse": part.again != ""}
	d.refresh = part
	// The family's revocation (a reuse, a consent revoked, the client's
	// revocation of it) and a cascade of the user since the grant are
	// conditions of the transaction, not reads before it.
	d.steps = []store.IssueStep{store.FamilyLive(rt.FamilyID), store.UserUnrevoked(rt.UserID, *mark)}
	d.refused = func(err error) error {
		switch {
		case errors.Is(err, store.ErrFamilyRevoked):
			return errGrant("the refresh token was revoked")
		case errors.Is(err, store.ErrUserRevoked):
			return errGrant("the user's authorization was revoked")
		}
		if errors.Is(err, store.ErrRefreshRotated) {
			// Another request rotated it between our read and our write:
			// a retry (within the grace) gets that request's successor.
			return oauth.New(oauth.TemporarilyUnavailable, "the refresh token was rotated concurrently; retry").WithCause(err)
		}
		return nil
	}
	return d, nil
}

// userDecision is what both user grants decide: the user is the subject,
// the grant's scope the ceiling, its resources the audience (and the
// ceiling of a requested one).
func userDecision(q *request, user, family string, scopes, resources []string) decision {
	d := decision{subject: user, scopes: scopes, user: user, family: family}
	if len(resources) > 0 {
		d.defaultAudience, d.audienceCeiling = slices.Clone(resources), slices.Clone(resources)
		return d
	}
	d.defaultAudience, d.substitute = []string{q.client.Client.ClientID}, true
	if q.policy.defaultAudience != "" {
		d.defaultAudience = []string{q.policy.defaultAudience}
	}
	return d
}

// userLive refuses a grant its user no longer stands behind: a cascade
// (revoke-agents) or deletion of the user at or after authTime.
func (h *Handler) userLive(ctx context.Context, t tenant.ID, user string, authTime time.Time) error {
	m, err := h.Store.GetUserRevocation(ctx, t, user)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil
	case err != nil:
		return oauth.Internal(err)
	case !m.At.Before(authTime):
		return errGrant("the user's authorization was revoked")
	}
	return nil
}

// pkceMatches: BASE64URL(SHA256(verifier)) == challenge (RFC 7636 §4.6),
// the verifier 43 to 128 unreserved characters (§4.1).
func pkceMatches(verifier, challenge string) bool {
	if len(verifier) < 43 || len(verifier) > 128 || challenge == "" {
		return false
	}
	for _, r := range verifier {
		if !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || strings.ContainsRune("-._~", r)) {
			return false
		}
	}
	sum := sha256.Sum256([]byte(verifier))
	got := base64.RawURLEncoding.EncodeToString(sum[:])
	return subtle.ConstantTimeCompare([]byte(got), []byte(challenge)) == 1
}

// mintRefresh makes the refresh token an issue answers and the step that
// stores it: a new family member (a code's use), a rotation of the one
// presented, or, within the grace, the successor already made (no write).
func mintRefresh(p *refreshPart, c store.Client, jkt string, now time.Time) (string, store.IssueStep, error) {
	if p.again != "" {
		return p.again, nil, nil
	}
	val := ids.NewKey(refreshPrefix)
	next := store.RefreshToken{Hash: ids.Hash(val), FamilyID: p.family, ClientID: c.ClientID, UserID: p.user,
		Scope: p.scope, Resources: p.resources, JKT: jkt, AuthTime: p.authTime, UserMark: p.userMark,
		IssuedAt: now, ExpiresAt: now.Add(RefreshLifetime)}
	if p.rotate == nil {
		return val, store.NewRefresh(next), nil
	}
	// A rotated token stays bound to its key (RFC 9449 §5).
	next.JKT = p.rotate.JKT
	sealed, err := sealSuccessor(p.presented, val)
	if err != nil {
		return "", nil, err
	}
	return val, store.RotateRefresh(*p.rotate, now, sealed, next), nil
}

// The successor of a rotated refresh token is kept on its record sealed
// with a key derived from the rotated token's value (AES-256-GCM): the
// store holds only the token's hash, so only a holder of the token can
// open it again within the grace, and nothing stored reveals a usable
// refresh token.
func successorKey(presented string) cipher.AEAD {
	k := sha256.Sum256([]byte("shark refresh successor v1\x00" + presented))
	block, _ := aes.NewCipher(k[:])
	aead, _ := cipher.NewGCM(block)
	return aead
}

func sealSuccessor(presented, successor string) ([]byte, error) {
	aead := successorKey(presented)
	nonce := make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	return aead.Seal(nonce, nonce, []byte(successor), nil), nil
}

func openSuccessor(presented string, sealed []byte) (string, bool) {
	aead := successorKey(presented)
	if len(sealed) < aead.NonceSize() {
		return "", false
	}
	out, err := aead.Open(nil, sealed[:aead.NonceSize()], sealed[aead.NonceSize():], nil)
	return string(out), err == nil
}

// revokedBy: a revocation at at (zero: none) covers what was made at or before it.
func revokedBy(made, at time.Time) bool { return !at.IsZero() && !made.After(at) }
