package store

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/sharkauth/serverless/shared/tenant"
)

// Dynamic client registration (RFC 7591): registration with an initial
// access token, the tokens themselves, and the windowed counters that
// rate-limit registration across function instances.

// ErrTokenUnusable is an initial access token that is unknown, revoked,
// expired or (single-use) already used.
var ErrTokenUnusable = errors.New("store: initial access token unusable")

func setIATVersion(k *InitialAccessToken, v int64) { k.Version = v }

func iatItem(sc scope, k InitialAccessToken) Item {
	return Item{
		Key:    iatKey(sc, hex.EncodeToString(k.Hash)),
		GSI1PK: iatIndex(sc), GSI1SK: iatIndexSK(k.CreatedAt, k.ID),
		// The item outlives the token by a day so listings still show it
		// as expired for a while; reads decide usability themselves.
		ExpiresAt: k.ExpiresAt.Add(24 * time.Hour).Unix(),
		Data:      marshal(k),
	}
}

// CreateInitialAccessToken stores a new initial access token with its audit event.
func (s *Store) CreateInitialAccessToken(ctx context.Context, t tenant.ID, k InitialAccessToken, ev AuditEvent) error {
	sc, err := scopeOf(t)
	if err != nil {
		return err
	}
	if k.ID == "" || len(k.Hash) == 0 || k.ExpiresAt.IsZero() {
		return errors.New("store: initial access token without id, hash or expiry")
	}
	it := iatItem(sc, k)
	writes := []write{
		put(it, CondAbsent),
		put(Item{Key: iatIDKey(sc, k.ID), ExpiresAt: it.ExpiresAt, Data: []byte(hex.EncodeToString(k.Hash))}, CondAbsent),
		auditWrite(sc, ev),
	}
	return s.transact(ctx, writes, func(int) string { return "initial access token " + k.ID + " exists" })
}

// InitialAccessTokenByHash finds a tenant's initial access token by the
// SHA-256 of its value (ErrNotFound when none, also for another tenant's).
func (s *Store) InitialAccessTokenByHash(ctx context.Context, t tenant.ID, hash []byte) (InitialAccessToken, error) {
	sc, err := scopeOf(t)
	if err != nil {
		return InitialAccessToken{}, err
	}
	return get(ctx, s, iatKey(sc, hex.EncodeToString(hash)), setIATVersion)
}

// GetInitialAccessToken reads a tenant's initial access token by id.
func (s *Store) GetInitialAccessToken(ctx context.Context, t tenant.ID, id string) (InitialAccessToken, error) {
	sc, err := scopeOf(t)
	if err != nil {
		return InitialAccessToken{}, err
	}
	it, err := s.table.Get(ctx, iatIDKey(sc, id))
	if err != nil {
		return InitialAccessToken{}, err
	}
	return get(ctx, s, iatKey(sc, string(it.Data)), setIATVersion)
}

// ListInitialAccessTokens pages through a tenant's initial access tokens, newest first.
func (s *Store) ListInitialAccessTokens(ctx context.Context, t tenant.ID, pr PageRequest) (ListPage[InitialAccessToken], error) {
	sc, err := scopeOf(t)
	if err != nil {
		return ListPage[InitialAccessToken]{}, err
	}
	q := Query{Index: GSI1, Partition: iatIndex(sc), Desc: true}
	return list(ctx, s, q, string(sc)+"|iats", pr, setIATVersion)
}

// RevokeInitialAccessToken revokes the token id with its audit event;
// revoking a revoked token returns it unchanged. Unknown: ErrNotFound.
func (s *Store) RevokeInitialAccessToken(ctx context.Context, t tenant.ID, id string, ev AuditEvent) (InitialAccessToken, error) {
	sc, err := scopeOf(t)
	if err != nil {
		return InitialAccessToken{}, err
	}
	for attempt := range attempts {
		if err := settle(ctx, attempt); err != nil {
			return InitialAccessToken{}, err
		}
		k, err := s.GetInitialAccessToken(ctx, t, id)
		if err != nil {
			return InitialAccessToken{}, err
		}
		if !k.RevokedAt.IsZero() {
			return k, nil
		}
		k.RevokedAt = s.Now()
		err = s.transact(ctx, []write{put(iatItem(sc, k), CondVersion(k.Version)), auditWrite(sc, ev)},
			func(int) string { return "initial access token changed concurrently" })
		if err == nil {
			k.Version++
			return k, nil
		}
		if !isConflict(err) {
			return InitialAccessToken{}, err
		}
	}
	return InitialAccessToken{}, contended("initial access token %s changed concurrently", id)
}

// RegisterClient creates a dynamically registered client with its audit
// event, like CreateClient, and when iat is given consumes it in the same
// transaction: a single-use token is marked used (so two registrations
// racing with it cannot both succeed), a multi-use token is checked
// unchanged (so a concurrent revocation wins). A token that is no longer
// usable, or changed since iat was read, is ErrTokenUnusable.
func (s *Store) RegisterClient(ctx context.Context, t tenant.ID, c Client, iat *InitialAccessToken, ev AuditEvent) error {
	sc, err := scopeOf(t)
	if err != nil {
		return err
	}
	if c.ClientID == "" || c.ID == "" || c.CreatedBy != "" {
		return errors.New("store: registered client without ids, or with a creator")
	}
	writes := []write{
		put(clientItem(sc, c), CondAbsent),
		put(Item{Key: clientIDKey(sc, c.ID), Data: []byte(c.ClientID)}, CondAbsent),
		auditWrite(sc, ev),
	}
	if iat != nil {
		now := s.Now()
		if !iat.UsableAt(now) {
			return ErrTokenUnusable
		}
		if iat.SingleUse {
			used := *iat
			used.Uses++
			used.UsedAt = now
			writes = append(writes, put(iatItem(sc, used), CondVersion(iat.Version)))
		} else {
			writes = append(writes, check(iatKey(sc, hex.EncodeToString(iat.Hash)), CondVersion(iat.Version)))
		}
	}
	err = s.table.Transact(ctx, writes)
	var canceled *TxCanceled
	switch {
	case errors.As(err, &canceled) && canceled.Index == 3:
		return ErrTokenUnusable
	case errors.As(err, &canceled):
		return fmt.Errorf("%w: client %s exists", ErrConflict, c.ClientID)
	case errors.Is(err, ErrTxConflict):
		return err // lost to a concurrent transaction: transient (503), not a conflict
	}
	return err
}

// RateDecision is the outcome of one hit on a windowed counter.
type RateDecision struct {
	Allowed bool
	Count   int
	// Counter is the index of the refusing counter of HitEach (0 for Hit).
	Counter int
	// RetryAfter is how long until the window ends (when not Allowed).
	RetryAfter time.Duration
}

type rateCount struct {
	Count int `json:"count"`
	// Writer is a random tag of the hit that wrote this count: a hit whose
	// write was applied but answered as a failed condition (an SDK retry
	// after a lost answer) finds its own tag on the re-read and counts
	// once, not twice.
	Writer string `json:"w,omitempty"`
}

// rateShards is how many items one window of a rate counter is spread over,
// so that a burst of hits writes to different items instead of queueing on
// one. Each shard holds a fixed share of the limit (rateShare), so together
// they never allow more than the limit, and a hit is refused only when every
// shard is full, that is when the window holds limit hits.
const rateShards = 8

// rateShare is shard i's share of limit spread over n shards.
func rateShare(limit, n, i int) int {
	share := limit / n
	if i < limit%n {
		share++
	}
	return share
}

// Hit counts one event against the fixed window of length window that holds
// the store's now, for the counter name of tenant t, and allows it while
// the count stays within limit. The window's count is spread over up to
// rateShards items (one query reads them all); a hit increments one shard
// that has room, picked at random, with a conditional put (absent, or at the
// version read), so concurrent function instances never lose a count, and a
// hit that loses a shard to another reads again and picks again. The items
// expire with their window. A hit over the limit is not counted. A hit that
// loses on every attempt is ErrContended, and counted nowhere.
func (s *Store) Hit(ctx context.Context, t tenant.ID, name string, window time.Duration, limit int) (RateDecision, error) {
	return s.HitEach(ctx, t, window, []RateCounter{{Name: name, Limit: limit}})
}
