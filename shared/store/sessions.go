package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/sharkauth/serverless/shared/ids"
	"github.com/sharkauth/serverless/shared/tenant"
)

// Session is a person's sign-in at the authorize function: the cookie's value
// is the secret, the table keeps only its hash. It expires at ExpiresAt (the
// table's TTL removes it).
type Session struct {
	ID        string    `json:"id"`   // "ses_" + ids.NanoID(): an id, not the secret
	Hash      []byte    `json:"hash"` // ids.Hash(cookie value): the item is keyed by it
	UserID    string    `json:"user_id"`
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at"`
}

// Consent is what a user allowed a client at one redirect URI: these scopes
// and resources (RFC 8707). A request for a subset needs no new consent.
type Consent struct {
	// ID names the consent in the admin API ("cns_" + ids.NanoID()); it is
	// kept when the consent is granted again at the same place.
	ID          string    `json:"id"`
	UserID      string    `json:"user_id"`
	ClientID    string    `json:"client_id"`
	RedirectURI string    `json:"redirect_uri"`
	Scopes      []string  `json:"scopes"`
	Resources   []string  `json:"resources,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
	Version     int64     `json:"-"`
}

func setConsentVersion(c *Consent, v int64) { c.Version = v }

// Covers reports whether the consent allows every scope and resource asked.
func (c Consent) Covers(scopes, resources []string) bool {
	for _, s := range scopes {
		if !slices.Contains(c.Scopes, s) {
			return false
		}
	}
	for _, r := range resources {
		if !slices.Contains(c.Resources, r) {
			return false
		}
	}
	return true
}

// CreateSession stores a new session with its audit event (the sign-in) in
// one transaction. A session whose hash exists is ErrConflict.
func (s *Store) CreateSession(ctx context.Context, t tenant.ID, ses Session, ev AuditEvent) error {
	sc, err := scopeOf(t)
	if err != nil {
		return err
	}
	if ses.ID == "" || len(ses.Hash) == 0 || ses.UserID == "" || ses.ExpiresAt.IsZero() {
		return errors.New("store: session without id, hash, user or expiry")
	}
	it := Item{Key: sessionKey(sc, ses.Hash), ExpiresAt: ses.ExpiresAt.Unix(), Data: marshal(ses)}
	return s.transact(ctx, []write{put(it, CondAbsent), auditWrite(sc, ev)},
		func(int) string { return "session " + ses.ID + " exists" })
}

// SessionByHash reads a live session by the hash of its cookie value; an
// absent or expired one is ErrNotFound.
func (s *Store) SessionByHash(ctx context.Context, t tenant.ID, hash []byte) (Session, error) {
	sc, err := scopeOf(t)
	if err != nil {
		return Session{}, err
	}
	if len(hash) == 0 {
		return Session{}, ErrNotFound
	}
	ses, err := get[Session](ctx, s, sessionKey(sc, hash), nil)
	if err != nil {
		return Session{}, err
	}
	if !ses.ExpiresAt.After(s.Now()) {
		return Session{}, ErrNotFound
	}
	return ses, nil
}

// DeleteSession ends a session (sign-out) with its audit event in one
// transaction. An absent session is ErrNotFound and writes nothing.
func (s *Store) DeleteSession(ctx context.Context, t tenant.ID, hash []byte, ev AuditEvent) error {
	sc, err := scopeOf(t)
	if err != nil {
		return err
	}
	if len(hash) == 0 {
		return ErrNotFound
	}
	err = s.transact(ctx, []write{del(sessionKey(sc, hash), CondExists), auditWrite(sc, ev)},
		func(int) string { return "no such session" })
	if errors.Is(err, ErrConflict) {
		return ErrNotFound
	}
	return err
}

// GrantConsent stores a user's consent to a client at a redirect URI,
// replacing the one it had there, with its audit event in one transaction.
// The consent's id is the store's: a consent granted again at the same
// place keeps the id it has (and its creation time); a new one gets a new
// id, never one of a consent revoked before (c.ID is ignored): the codes
// issued under a revoked consent stay dead (JoinCodeConsent).
func (s *Store) GrantConsent(ctx context.Context, t tenant.ID, c Consent, ev AuditEvent) error {
	sc, err := scopeOf(t)
	if err != nil {
		return err
	}
	if c.UserID == "" || c.ClientID == "" || c.RedirectURI == "" {
		return errors.New("store: consent without user, client or redirect URI")
	}
	for attempt := range attempts {
		if err := settle(ctx, attempt); err != nil {
			return err
		}
		cond := CondAbsent
		prev, err := s.GetConsent(ctx, t, c.UserID, c.ClientID, c.RedirectURI)
		switch {
		case err == nil:
			c.ID, cond = prev.ID, CondVersion(prev.Version)
			if !prev.CreatedAt.IsZero() {
				c.CreatedAt = prev.CreatedAt
			}
		case errors.Is(err, ErrNotFound):
			c.ID = ids.New("cns_")
		default:
			return err
		}
		it := Item{Key: consentKey(sc, c.UserID, c.ClientID, c.RedirectURI), Data: marshal(c)}
		err = s.table.Transact(ctx, []write{put(it, cond), put(consentLive(sc, c.ID), CondAlways), auditWrite(sc, ev)})
		var canceled *TxCanceled
		switch {
		case err == nil:
			return nil
		case errors.As(err, &canceled) && canceled.Index == 0, errors.Is(err, ErrTxConflict):
			continue // granted or revoked meanwhile: read again
		case errors.As(err, &canceled):
			return fmt.Errorf("%w: audit event exists", ErrConflict)
		}
		return err
	}
	return contended("consent changed concurrently")
}

// GetConsent reads a user's consent to a client at a redirect URI;
// ErrNotFound when there is none.
func (s *Store) GetConsent(ctx context.Context, t tenant.ID, userID, clientID, redirectURI string) (Consent, error) {
	sc, err := scopeOf(t)
	if err != nil {
		return Consent{}, err
	}
	if userID == "" || clientID == "" {
		return Consent{}, ErrNotFound
	}
	return get(ctx, s, consentKey(sc, userID, clientID, redirectURI), setConsentVersion)
}

// ListConsents reads every consent of a user (a small partition).
func (s *Store) ListConsents(ctx context.Context, t tenant.ID, userID string) ([]Consent, error) {
	sc, err := scopeOf(t)
	if err != nil {
		return nil, err
	}
	if userID == "" {
		return nil, nil
	}
	return all[Consent](ctx, s, Query{Partition: consentPartition(sc, userID)}, nil)
}
