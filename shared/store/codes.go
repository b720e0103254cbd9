package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/sharkauth/serverless/shared/tenant"
)

// MaxCodeLifetime bounds an authorization code's life (RFC 6749 §4.1.2).
const MaxCodeLifetime = 60 * time.Second

// CodeTombstoneLife is how long a used code's tombstone outlives the code:
// a replay within it is refused AND revokes what the first use issued
// (RFC 6749 §4.1.2); after it, a replay is refused as an unknown code.
const CodeTombstoneLife = 10 * time.Minute

// AuthCode is an authorization code (RFC 6749 §4.1.2): single use, lives <= 60 s.
type AuthCode struct {
	ID          string    `json:"id"`   // "code_" + ids.NanoID(): an id, not the secret
	Hash        []byte    `json:"hash"` // ids.Hash(code value): the item is keyed by it
	ClientID    string    `json:"client_id"`
	RedirectURI string    `json:"redirect_uri"`
	Challenge   string    `json:"code_challenge"` // PKCE S256 challenge (RFC 7636)
	Scope       string    `json:"scope"`
	Resources   []string  `json:"resources,omitempty"` // RFC 8707
	UserID      string    `json:"user_id"`
	DPoPJKT     string    `json:"dpop_jkt,omitempty"` // RFC 9449 §10
	CreatedAt   time.Time `json:"created_at"`
	ExpiresAt   time.Time `json:"expires_at"`
	// ConsentID and UserMark are set by CreateAuthCode (a caller's values
	// are ignored): the consent the code is issued under and the version
	// of the user's cascade marker then (0: none). The exchange checks
	// both in its transaction (JoinCodeConsent, UserUnrevoked): a code
	// dies with its consent, even one granted again since, and with a
	// cascade of its user. A code stored without them (before they
	// existed) is checked by the consent's place and a marker read.
	ConsentID string `json:"consent_id,omitempty"`
	UserMark  *int64 `json:"user_mark,omitempty"`
}

// CodeUse is the tombstone of a used code: what its one use issued, so
// that a replay can revoke it.
type CodeUse struct {
	CodeID   string    `json:"code_id"`
	ClientID string    `json:"client_id"`
	UserID   string    `json:"user_id"`
	FamilyID string    `json:"family_id"` // the grant's family: every token of it
	JTI      string    `json:"jti"`       // the access token the use issued
	UsedAt   time.Time `json:"used_at"`
}

// ErrCodeUsed is an authorization code presented after its one use.
var ErrCodeUsed = errors.New("store: authorization code already used")

// CodeUsedError is AuthCodeByHash's answer for a used code: errors.Is
// both ErrNotFound (the contract: a used code is no code) and ErrCodeUsed;
// Use says what the first use issued.
type CodeUsedError struct{ Use CodeUse }

func (e *CodeUsedError) Error() string { return ErrCodeUsed.Error() }

// Is makes the error match ErrNotFound and ErrCodeUsed.
func (e *CodeUsedError) Is(target error) bool { return target == ErrNotFound || target == ErrCodeUsed }

// CreateAuthCode stores an authorization code with its audit event
// (oauth.code_issued) in one transaction. The code is bound to the user's
// consent to the client at its redirect URI, as it stands (its version is
// a condition of the write, and the consent's live item is written with
// the code), and to the user's cascade marker as it stands: both are read
// here (ConsentID, UserMark). Without a consent it is ErrConsentRevoked.
// The item expires with the code; a code living longer than
// MaxCodeLifetime, or without id, hash, client, redirect URI, challenge or
// user, is refused; a taken hash is ErrConflict.
func (s *Store) CreateAuthCode(ctx context.Context, t tenant.ID, c AuthCode, ev AuditEvent) error {
	sc, err := scopeOf(t)
	if err != nil {
		return err
	}
	switch {
	case c.ID == "" || len(c.Hash) == 0 || c.ClientID == "" || c.RedirectURI == "" || c.Challenge == "" || c.UserID == "":
		return errors.New("store: authorization code without id, hash, client, redirect_uri, challenge or user")
	case c.CreatedAt.IsZero() || !c.ExpiresAt.After(c.CreatedAt) || c.ExpiresAt.Sub(c.CreatedAt) > MaxCodeLifetime:
		return fmt.Errorf("store: an authorization code lives at most %s", MaxCodeLifetime)
	}
	for attempt := range attempts {
		if err := settle(ctx, attempt); err != nil {
			return err
		}
		cons, err := s.GetConsent(ctx, t, c.UserID, c.ClientID, c.RedirectURI)
		if errors.Is(err, ErrNotFound) {
			return ErrConsentRevoked
		}
		if err != nil {
			return err
		}
		mark, err := s.userMark(ctx, sc, c.UserID)
		if err != nil {
			return err
		}
		c.ConsentID, c.UserMark = cons.ID, &mark
		ck := consentKey(sc, c.UserID, c.ClientID, c.RedirectURI)
		it := Item{Key: codeKey(sc, c.Hash), ExpiresAt: expirySeconds(c.ExpiresAt), Data: marshal(c)}
		err = s.table.Transact(ctx, []write{
			check(ck, CondVersion(cons.Version)),
			put(consentLive(sc, cons.ID), CondAlways),
			put(it, CondAbsent), auditWrite(sc, ev)})
		var canceled *TxCanceled
		switch {
		case err == nil:
			return nil
		case errors.As(err, &canceled) && canceled.Index == 0, errors.Is(err, ErrTxConflict):
			continue // the consent changed since read (or was revoked): read again
		case errors.As(err, &canceled):
			return fmt.Errorf("%w: authorization code exists", ErrConflict)
		}
		return err
	}
	return contended("consent changed concurrently")
}

// AuthCodeByHash reads the unused, unexpired code whose value hashes to
// hash. Absent or expired is ErrNotFound; used (within its tombstone's
// life) is a *CodeUsedError, which is ErrNotFound too. A live code costs
// one read, a missing one two.
func (s *Store) AuthCodeByHash(ctx context.Context, t tenant.ID, hash []byte) (AuthCode, error) {
	sc, err := scopeOf(t)
	if err != nil {
		return AuthCode{}, err
	}
	if len(hash) == 0 {
		return AuthCode{}, ErrNotFound
	}
	c, err := get[AuthCode](ctx, s, codeKey(sc, hash), nil)
	if err == nil && !s.Now().Before(c.ExpiresAt) {
		err = ErrNotFound // the item lives to the whole second after
	}
	if !errors.Is(err, ErrNotFound) {
		return c, err
	}
	use, uerr := get[CodeUse](ctx, s, codeUsedKey(sc, hash), nil)
	switch {
	case uerr == nil:
		return AuthCode{}, &CodeUsedError{Use: use}
	case errors.Is(uerr, ErrNotFound):
		return AuthCode{}, ErrNotFound
	}
	return AuthCode{}, uerr
}

// ConsumeAuthCode is the step that spends code c in the token's one
// transaction: a conditional delete (the code must still be there and
// live) and the tombstone recording use, kept until CodeTombstoneLife
// after the code's expiry. Two requests racing on one code issue one
// token; the other is refused with ErrCodeUsed.
func ConsumeAuthCode(c AuthCode, use CodeUse) IssueStep { return codeStep{c, use} }

type codeStep struct {
	c   AuthCode
	use CodeUse
}

func (st codeStep) writes(sc scope) ([]write, error) {
	if len(st.c.Hash) == 0 || st.use.FamilyID == "" {
		return nil, errors.New("store: code use without code hash or family")
	}
	st.use.CodeID, st.use.ClientID, st.use.UserID = st.c.ID, st.c.ClientID, st.c.UserID
	tomb := Item{Key: codeUsedKey(sc, st.c.Hash), ExpiresAt: expirySeconds(st.c.ExpiresAt.Add(CodeTombstoneLife)), Data: marshal(st.use)}
	return []write{del(codeKey(sc, st.c.Hash), CondExists), put(tomb, CondAbsent)}, nil
}

func (st codeStep) refused(int) error { return ErrCodeUsed }
