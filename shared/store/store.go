package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
)

// Domain errors. ErrNotFound (table.go) also means "no such record".
var (
	// ErrConflict is a create of something that exists, or an update that lost
	// to a concurrent one.
	ErrConflict = errors.New("store: conflict")
	// ErrBadCursor is a page cursor that is malformed, tampered with, or issued
	// for another tenant or another query.
	ErrBadCursor = errors.New("store: invalid cursor")
)

// Store is the domain store over a Table. It is the only code that builds keys.
type Store struct {
	table   auditTable
	now     func() time.Time
	cursors cursorSealer
	// clients are the clients this store decoded, with the items they
	// were decoded from (clientmemo.go).
	clients *lru.Cache[Key, *clientMemoEntry]
}

// New returns a domain store over table; now is its clock.
func New(table Table, now func() time.Time) *Store {
	s := &Store{table: auditTable{table}, now: now, clients: newClientMemo()}
	s.cursors.table = table
	return s
}

// Now returns the store's clock reading, truncated to microseconds so records
// round-trip through JSON and both engines identically.
func (s *Store) Now() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

func marshal(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("store: marshal %T: %v", v, err)) // records always marshal
	}
	return b
}

func unmarshal[T any](it Item, setVersion func(*T, int64)) (T, error) {
	var v T
	if err := json.Unmarshal(it.Data, &v); err != nil {
		return v, fmt.Errorf("store: decode %s/%s: %w", it.PK, it.SK, err)
	}
	if setVersion != nil {
		setVersion(&v, it.Version)
	}
	return v, nil
}

// get reads and decodes one record.
func get[T any](ctx context.Context, s *Store, k Key, setVersion func(*T, int64)) (T, error) {
	it, err := s.table.Get(ctx, k)
	if err != nil {
		var zero T
		return zero, err
	}
	return unmarshal(it, setVersion)
}

// transact runs writes and maps a failed condition to ErrConflict with what
// names the write that failed.
func (s *Store) transact(ctx context.Context, writes []write, what func(i int) string) error {
	err := s.table.Transact(ctx, writes)
	var canceled *TxCanceled
	if errors.As(err, &canceled) {
		return fmt.Errorf("%w: %s", ErrConflict, what(canceled.Index))
	}
	if errors.Is(err, ErrTxConflict) {
		// Lost to a concurrent transaction: no condition failed, so it is
		// not a domain conflict (409) but a transient failure (503) that
		// the retry loops here (isConflict) and the client may retry.
		return err
	}
	if errors.Is(err, ErrConditionFailed) {
		return fmt.Errorf("%w: %v", ErrConflict, err)
	}
	return err
}

// write is one write of a domain transaction: a table write and, on the
// write of an audit event (auditWrite), what the store needs to finish it
// before the table sees it (its expiry and its target item; see auditTable).
// The table contract (table.Write) carries nothing the engines ignore.
type write struct {
	Write
	audit *auditIndex
}

func put(it Item, cond Cond) write { return write{Write: Write{Op: OpPut, Item: it, Cond: cond}} }
func del(k Key, cond Cond) write   { return write{Write: Write{Op: OpDelete, Key: k, Cond: cond}} }

// check asserts cond on k without writing.
func check(k Key, cond Cond) write { return write{Write: Write{Op: OpCheck, Key: k, Cond: cond}} }

// PageRequest asks for one page of a list.
type PageRequest struct {
	Limit  int    // 1..200; 0 means 50
	Cursor string // from the previous page's Next; "" for the first page
}

// Page limits of domain lists.
const (
	DefaultPageLimit = 50
	MaxPageLimit     = 200
)

func (p PageRequest) limit() int {
	switch {
	case p.Limit <= 0:
		return DefaultPageLimit
	case p.Limit > MaxPageLimit:
		return MaxPageLimit
	}
	return p.Limit
}

// ListPage is one page of records; Next is "" on the last page.
type ListPage[T any] struct {
	Items []T
	Next  string
}

// list runs q one page at a time with a sealed cursor bound to binding.
func list[T any](ctx context.Context, s *Store, q Query, binding string, pr PageRequest, setVersion func(*T, int64)) (ListPage[T], error) {
	var out ListPage[T]
	if pr.Cursor != "" {
		pos, err := s.cursors.open(ctx, pr.Cursor, binding)
		if err != nil {
			return out, err
		}
		q.After = &pos
	}
	q.Limit = pr.limit()
	page, err := s.table.Query(ctx, q)
	if err != nil {
		return out, err
	}
	out.Items = make([]T, 0, len(page.Items))
	for _, it := range page.Items {
		v, err := unmarshal(it, setVersion)
		if err != nil {
			return out, err
		}
		out.Items = append(out.Items, v)
	}
	if page.Next != nil {
		if out.Next, err = s.cursors.seal(ctx, *page.Next, binding); err != nil {
			return out, err
		}
	}
	return out, nil
}

// all reads every page of a small partition (signing keys, admin keys).
func all[T any](ctx context.Context, s *Store, q Query, setVersion func(*T, int64)) ([]T, error) {
	var out []T
	q.Limit = MaxQueryLimit
	for {
		page, err := s.table.Query(ctx, q)
		if err != nil {
			return nil, err
		}
		for _, it := range page.Items {
			v, err := unmarshal(it, setVersion)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		if page.Next == nil {
			return out, nil
		}
		q.After = page.Next
	}
}

// conflict maps a failed condition of a single write to ErrConflict.
func (s *Store) conflict(err error, what string) error {
	if errors.Is(err, ErrConditionFailed) {
		return fmt.Errorf("%w: %s", ErrConflict, what)
	}
	return err
}

func isConflict(err error) bool { return errors.Is(err, ErrConflict) || errors.Is(err, ErrTxConflict) }
