package store

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/sharkauth/serverless/shared/tenant"
)

// ErrUnknownUser is a client created by a user id that names no user of the tenant.
var ErrUnknownUser = errors.New("store: unknown user")

func setUserVersion(u *User, v int64) { u.Version = v }

func userItem(sc scope, u User) Item {
	return Item{Key: userKey(sc, u.ID), GSI1PK: userIndex(sc), GSI1SK: userIndexSK(u.CreatedAt, u.ID), Data: marshal(u)}
}

func emailItem(sc scope, u User) Item {
	return Item{Key: emailKey(sc, u.Email), Data: []byte(u.ID)}
}

// CreateUser stores a new user, the pointer that reserves its email
// (case-insensitively) and its audit event in one transaction. A taken email
// or id is ErrConflict.
func (s *Store) CreateUser(ctx context.Context, t tenant.ID, u User, ev AuditEvent) error {
	sc, err := scopeOf(t)
	if err != nil {
		return err
	}
	if u.ID == "" || u.Email == "" {
		return errors.New("store: user without id or email")
	}
	return s.transact(ctx, []write{put(userItem(sc, u), CondAbsent), put(emailItem(sc, u), CondAbsent), auditWrite(sc, ev)},
		func(i int) string {
			if i == 1 {
				return "a user with email " + u.Email + " exists"
			}
			return "user " + u.ID + " exists"
		})
}

// GetUser reads a user by id.
func (s *Store) GetUser(ctx context.Context, t tenant.ID, id string) (User, error) {
	sc, err := scopeOf(t)
	if err != nil {
		return User{}, err
	}
	if id == "" {
		return User{}, ErrNotFound
	}
	return get(ctx, s, userKey(sc, id), setUserVersion)
}

// UserByEmail finds a user by email, case-insensitively.
func (s *Store) UserByEmail(ctx context.Context, t tenant.ID, email string) (User, error) {
	sc, err := scopeOf(t)
	if err != nil {
		return User{}, err
	}
	if email == "" {
		return User{}, ErrNotFound
	}
	it, err := s.table.Get(ctx, emailKey(sc, email))
	if err != nil {
		return User{}, err
	}
	return s.GetUser(ctx, t, string(it.Data))
}

// ListUsers pages through a tenant's users, newest first.
func (s *Store) ListUsers(ctx context.Context, t tenant.ID, pr PageRequest) (ListPage[User], error) {
	sc, err := scopeOf(t)
	if err != nil {
		return ListPage[User]{}, err
	}
	return list(ctx, s, Query{Index: GSI1, Partition: userIndex(sc), Desc: true}, string(sc)+"|users", pr, setUserVersion)
}

// CountUsers counts a tenant's users.
func (s *Store) CountUsers(ctx context.Context, t tenant.ID) (int, error) {
	sc, err := scopeOf(t)
	if err != nil {
		return 0, err
	}
	users, err := all(ctx, s, Query{Index: GSI1, Partition: userIndex(sc)}, setUserVersion)
	return len(users), err
}

// UpdateUser applies mutate to the stored user and writes it with ev in one
// transaction conditioned on the version read; an email change moves the
// email pointer in the same transaction (a taken email is ErrConflict). It
// re-reads and retries when a concurrent update wins. mutate must not change
// the id.
func (s *Store) UpdateUser(ctx context.Context, t tenant.ID, id string, mutate func(*User) error, ev AuditEvent) (User, error) {
	sc, err := scopeOf(t)
	if err != nil {
		return User{}, err
	}
	for attempt := range attempts {
		if err := settle(ctx, attempt); err != nil {
			return User{}, err
		}
		cur, err := s.GetUser(ctx, t, id)
		if err != nil {
			return User{}, err
		}
		next := cur
		if err := mutate(&next); err != nil {
			return User{}, err
		}
		if next.ID != cur.ID || next.Email == "" {
			return User{}, errors.New("store: a user's id cannot change and its email cannot be empty")
		}
		writes := []write{put(userItem(sc, next), CondVersion(cur.Version))}
		moved := !strings.EqualFold(cur.Email, next.Email)
		if moved {
			writes = append(writes, put(emailItem(sc, next), CondAbsent), del(emailKey(sc, cur.Email), CondAlways))
		} else if cur.Email != next.Email {
			writes = append(writes, put(emailItem(sc, next), CondExists)) // same pointer, new spelling
		}
		writes = append(writes, auditWrite(sc, ev))
		err = s.table.Transact(ctx, writes)
		var canceled *TxCanceled
		switch {
		case err == nil:
			next.Version = cur.Version + 1
			return next, nil
		case errors.As(err, &canceled) && canceled.Index == 1 && moved:
			return User{}, fmt.Errorf("%w: a user with email %s exists", ErrConflict, next.Email)
		case errors.As(err, &canceled) && canceled.Index == 0, errors.Is(err, ErrTxConflict):
			continue
		default:
			return User{}, err
		}
	}
	return User{}, contended("user %s changed concurrently", id)
}

// DeleteUser removes a user and its email pointer and writes the user's
// cascade marker (L3) with ev, all in one transaction: from that moment every
// agent the user created, and every token of those agents, is inactive. The
// caller then runs FinishUserRevocation to deactivate the agent records.
func (s *Store) DeleteUser(ctx context.Context, t tenant.ID, id, reason string, ev AuditEvent) (UserRevocation, error) {
	sc, err := scopeOf(t)
	if err != nil {
		return UserRevocation{}, err
	}
	for attempt := range attempts {
		if err := settle(ctx, attempt); err != nil {
			return UserRevocation{}, err
		}
		u, err := s.GetUser(ctx, t, id)
		if err != nil {
			return UserRevocation{}, err
		}
		mark := UserRevocation{UserID: id, At: ev.CreatedAt, Reason: reason, EventID: ev.ID}
		err = s.table.Transact(ctx, []write{
			del(userKey(sc, id), CondVersion(u.Version)),
			del(emailKey(sc, u.Email), CondAlways),
			put(Item{Key: userRevokedKey(sc, id), Data: marshal(mark)}, CondAlways),
			auditWrite(sc, ev),
			userFeed(sc, s.Now(), mark),
		})
		var canceled *TxCanceled
		switch {
		case err == nil:
			return mark, nil
		case errors.As(err, &canceled) && canceled.Index == 0, errors.Is(err, ErrTxConflict):
			continue
		default:
			return UserRevocation{}, err
		}
	}
	return UserRevocation{}, contended("user %s changed concurrently", id)
}
