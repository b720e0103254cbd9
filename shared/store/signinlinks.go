package store

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/sharkauth/serverless/shared/tenant"
)

// MaxSignInLinkLifetime bounds a dashboard sign-in link's life.
const MaxSignInLinkLifetime = 15 * time.Minute

// signInLinkKept is how long a link's item (and, once used, its tombstone)
// outlives the link, so that a late click is told "expired" or "already
// used" rather than "unknown".
const signInLinkKept = 24 * time.Hour

// SignInLink is a one-time link into the dashboard: the secret is in the
// link (its URL fragment, never sent to a server log), the table keeps only
// its hash. Redeeming it mints a short-lived admin key for the browser.
type SignInLink struct {
	ID        string    `json:"id"`   // "sil_" + ids.NanoID(): an id, not the secret
	Hash      []byte    `json:"hash"` // ids.Hash(link secret): the item is keyed by it
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at"`
	UsedAt    time.Time `json:"used_at,omitzero"` // set on the tombstone only
	KeyID     string    `json:"key_id,omitempty"` // the admin key its use minted (tombstone)
}

// Refusals of RedeemSignInLink; an unknown link is ErrNotFound.
var (
	ErrSignInLinkUsed    = errors.New("store: sign-in link already used")
	ErrSignInLinkExpired = errors.New("store: sign-in link expired")
)

func signInLinkKey(s scope, hash []byte) Key {
	return s.key("SIGNINLINK", hex.EncodeToString(hash), "SIGNINLINK")
}
func signInLinkUsedKey(s scope, hash []byte) Key {
	return s.key("SIGNINLINKUSED", hex.EncodeToString(hash), "SIGNINLINKUSED")
}

// CreateSignInLink stores a new sign-in link with its audit event in one
// transaction. A link without id, hash or creation time, or living longer
// than MaxSignInLinkLifetime, is refused; a taken hash is ErrConflict.
func (s *Store) CreateSignInLink(ctx context.Context, t tenant.ID, l SignInLink, ev AuditEvent) error {
	sc, err := scopeOf(t)
	if err != nil {
		return err
	}
	switch {
	case l.ID == "" || len(l.Hash) == 0 || l.CreatedAt.IsZero():
		return errors.New("store: sign-in link without id, hash or creation time")
	case !l.ExpiresAt.After(l.CreatedAt) || l.ExpiresAt.Sub(l.CreatedAt) > MaxSignInLinkLifetime:
		return fmt.Errorf("store: a sign-in link lives at most %s", MaxSignInLinkLifetime)
	}
	l.UsedAt, l.KeyID = time.Time{}, ""
	it := Item{Key: signInLinkKey(sc, l.Hash), ExpiresAt: expirySeconds(l.ExpiresAt.Add(signInLinkKept)), Data: marshal(l)}
	return s.transact(ctx, []write{put(it, CondAbsent), auditWrite(sc, ev)},
		func(int) string { return "sign-in link exists" })
}

// RedeemSignInLink spends the link whose secret hashes to hash, in one
// transaction: the link is deleted (it must still be there), its tombstone
// written, admin key k stored with its audit event (ev of the link). A used link is
// ErrSignInLinkUsed (also when two redeem it at once: one wins), an expired
// one ErrSignInLinkExpired (nothing written), an unknown one ErrNotFound.
func (s *Store) RedeemSignInLink(ctx context.Context, t tenant.ID, hash []byte, k APIKey, ev func(SignInLink) AuditEvent) (SignInLink, error) {
	sc, err := scopeOf(t)
	if err != nil {
		return SignInLink{}, err
	}
	if len(hash) == 0 {
		return SignInLink{}, ErrNotFound
	}
	if len(k.Hash) == 0 || k.ID == "" {
		return SignInLink{}, errors.New("store: admin key without id or hash")
	}
	l, err := get[SignInLink](ctx, s, signInLinkKey(sc, hash), nil)
	if errors.Is(err, ErrNotFound) {
		if _, uerr := get[SignInLink](ctx, s, signInLinkUsedKey(sc, hash), nil); uerr == nil {
			return SignInLink{}, ErrSignInLinkUsed
		} else if !errors.Is(uerr, ErrNotFound) {
			return SignInLink{}, uerr
		}
		return SignInLink{}, ErrNotFound
	}
	if err != nil {
		return SignInLink{}, err
	}
	now := s.Now()
	if !now.Before(l.ExpiresAt) {
		return SignInLink{}, ErrSignInLinkExpired
	}
	used := l
	used.UsedAt, used.KeyID = now, k.ID
	tomb := Item{Key: signInLinkUsedKey(sc, hash), ExpiresAt: expirySeconds(l.ExpiresAt.Add(signInLinkKept)), Data: marshal(used)}
	writes := append([]write{del(signInLinkKey(sc, hash), CondExists), put(tomb, CondAbsent)}, apiKeyWrites(sc, k)...)
	err = s.table.Transact(ctx, append(writes, auditWrite(sc, ev(l))))
	var canceled *TxCanceled
	switch {
	case err == nil:
		return used, nil
	case errors.As(err, &canceled) && canceled.Index <= 1:
		return SignInLink{}, ErrSignInLinkUsed // spent by a concurrent redeem
	case errors.As(err, &canceled):
		return SignInLink{}, fmt.Errorf("%w: admin key %s exists", ErrConflict, k.ID)
	}
	return SignInLink{}, err
}
