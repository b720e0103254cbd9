package table

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Table is the narrow interface both storage engines implement: one table with a
// string partition key (PK) and sort key (SK), two global secondary indexes
// (GSI1, GSI2: sparse, each keyed by its own pair of attributes), a TTL attribute and a version for optimistic concurrency. Keys are opaque to the
// engines; the domain store (shared/store, keys.go) builds every one of them.
//
// Expiry: an item whose ExpiresAt is non-zero and not after the engine's clock is
// treated as absent by every method, whether or not it has been deleted yet.
type Table interface {
	// Get reads one item with strong consistency. A missing or expired item is
	// ErrNotFound.
	Get(ctx context.Context, key Key) (Item, error)
	// Put writes a whole item if cond holds. It sets the stored item's Version to
	// the previous live version + 1 (1 for a new item) and returns it.
	Put(ctx context.Context, item Item, cond Cond) (int64, error)
	// Delete removes the item at key if cond holds. Deleting an absent item with
	// cond Always is not an error.
	Delete(ctx context.Context, key Key, cond Cond) error
	// Query reads the live items of one partition of the table or of an index, in
	// sort-key order, one page at a time.
	Query(ctx context.Context, q Query) (Page, error)
	// Transact applies every write or none. A failed condition returns a
	// *TxCanceled naming the first failing write (errors.Is ErrConditionFailed).
	Transact(ctx context.Context, writes []Write) error
}

// Key addresses one item.
type Key struct {
	PK, SK string
}

// Item is one stored item. Data is the record, opaque to the engines.
type Item struct {
	Key
	GSI1PK, GSI1SK string // both empty: the item is not in GSI1
	GSI2PK, GSI2SK string // both empty: the item is not in GSI2
	ExpiresAt      int64  // epoch seconds; 0 never expires
	Version        int64  // set by the engine on write
	Data           []byte
}

// CondKind says what must hold for a conditional write.
type CondKind uint8

const (
	// Always writes unconditionally.
	Always CondKind = iota
	// IfAbsent requires that no live item exists at the key.
	IfAbsent
	// IfExists requires a live item at the key.
	IfExists
	// IfVersion requires a live item at the key whose Version equals Cond.Version.
	IfVersion
)

// Cond is the condition of a write.
type Cond struct {
	Kind    CondKind
	Version int64 // for IfVersion
}

// Conditions used throughout.
var (
	CondAlways = Cond{Kind: Always}
	CondAbsent = Cond{Kind: IfAbsent}
	CondExists = Cond{Kind: IfExists}
)

// CondVersion requires the live item to be at version v.
func CondVersion(v int64) Cond { return Cond{Kind: IfVersion, Version: v} }

// WriteOp is the kind of one write in a transaction.
type WriteOp uint8

const (
	OpPut WriteOp = iota + 1
	OpDelete
	// OpCheck asserts Cond on Key without writing.
	OpCheck
)

// Write is one element of a transaction. For OpPut, Item carries the key.
type Write struct {
	Op   WriteOp
	Item Item
	Key  Key
	Cond Cond
}

// Target is the key a write addresses.
func (w Write) Target() Key {
	if w.Op == OpPut {
		return w.Item.Key
	}
	return w.Key
}

// MaxTransactItems is the most writes one transaction may hold (DynamoDB's limit).
const MaxTransactItems = 100

// Index names a place to query.
type Index uint8

const (
	// Primary queries the table by PK.
	Primary Index = iota
	// GSI1 queries the index by GSI1PK (sorted by GSI1SK).
	GSI1
	// GSI2 queries the second index by GSI2PK (sorted by GSI2SK).
	GSI2
)

// Indexes are the secondary indexes, in order.
var Indexes = [...]Index{GSI1, GSI2}

// IndexKeys is the item's partition and sort key in index ix (the table's
// own for Primary); pk is empty when the item is not in the index.
func (it Item) IndexKeys(ix Index) (pk, sk string) {
	switch ix {
	case GSI1:
		return it.GSI1PK, it.GSI1SK
	case GSI2:
		return it.GSI2PK, it.GSI2SK
	}
	return it.PK, it.SK
}

// PositionOf is the position just after it in a query of index ix.
func PositionOf(it Item, ix Index) *Position {
	p := &Position{PK: it.PK, SK: it.SK}
	switch ix {
	case GSI1:
		p.GSI1SK = it.GSI1SK
	case GSI2:
		p.GSI2SK = it.GSI2SK
	}
	return p
}

// SortKey is the position's sort key in index ix.
func (p Position) SortKey(ix Index) string {
	switch ix {
	case GSI1:
		return p.GSI1SK
	case GSI2:
		return p.GSI2SK
	}
	return p.SK
}

// Query selects live items of one partition. Prefix, From and To restrict the sort
// key (SK on the table, GSI1SK or GSI2SK on an index): From is inclusive, To exclusive; an
// empty bound is open.
type Query struct {
	Index     Index
	Partition string
	Prefix    string
	From, To  string
	Desc      bool
	Limit     int       // 1..1000; 0 means 100
	After     *Position // resume after this item (from a previous Page)
}

// Position is where a page ended: enough to resume on either index.
type Position struct {
	PK, SK, GSI1SK string
	GSI2SK         string `json:",omitempty"`
}

// Page is one page of a query. Next is nil on the last page.
type Page struct {
	Items []Item
	Next  *Position
}

// DefaultQueryLimit and MaxQueryLimit bound Query.Limit.
const (
	DefaultQueryLimit = 100
	MaxQueryLimit     = 1000
)

// EffectiveLimit returns the page size a query asks for.
func (q Query) EffectiveLimit() int {
	switch {
	case q.Limit <= 0:
		return DefaultQueryLimit
	case q.Limit > MaxQueryLimit:
		return MaxQueryLimit
	}
	return q.Limit
}

// Validate checks a query before an engine runs it.
func (q Query) Validate() error {
	if q.Partition == "" {
		return errors.New("store: query without partition")
	}
	if q.Index != Primary && q.Index != GSI1 && q.Index != GSI2 {
		return fmt.Errorf("store: unknown index %d", q.Index)
	}
	return nil
}

// Engine errors.
var (
	ErrNotFound        = errors.New("store: not found")
	ErrConditionFailed = errors.New("store: condition failed")
	// ErrTxConflict is a transaction that lost to a concurrent one; it may be retried.
	ErrTxConflict error = transient("store: transaction conflict")
	// ErrUnavailable is a call the backing service could not serve now
	// (throttled, timed out, an internal error of the service) and that may
	// succeed if retried later. It wraps the engine's cause. Callers answer
	// 503 temporarily_unavailable with Retry-After (httpx.Unavailable).
	ErrUnavailable error = transient("store: temporarily unavailable")
)

// transient is an error that a later retry may not meet. Its Unavailable
// method is how packages that cannot import the table (httpx) recognise it.
type transient string

func (e transient) Error() string { return string(e) }

// Unavailable reports that the error is transient.
func (transient) Unavailable() bool { return true }

// TxCanceled reports which write of a transaction failed its condition.
type TxCanceled struct {
	Index int // position in the writes slice
}

func (e *TxCanceled) Error() string {
	return fmt.Sprintf("store: transaction canceled: condition of write %d failed", e.Index)
}

// Is makes errors.Is(err, ErrConditionFailed) true.
func (e *TxCanceled) Is(target error) bool { return target == ErrConditionFailed }

// ValidateWrites checks a transaction's shape: size, ops, and one write per key.
func ValidateWrites(writes []Write) error {
	if len(writes) == 0 {
		return errors.New("store: empty transaction")
	}
	if len(writes) > MaxTransactItems {
		return fmt.Errorf("store: transaction of %d writes exceeds %d", len(writes), MaxTransactItems)
	}
	seen := make(map[Key]struct{}, len(writes))
	for i, w := range writes {
		if w.Op < OpPut || w.Op > OpCheck {
			return fmt.Errorf("store: write %d has unknown op", i)
		}
		k := w.Target()
		if k.PK == "" || k.SK == "" {
			return fmt.Errorf("store: write %d has an empty key", i)
		}
		if _, dup := seen[k]; dup {
			return fmt.Errorf("store: write %d addresses a key twice in one transaction", i)
		}
		seen[k] = struct{}{}
	}
	return nil
}

// Live reports whether an item is unexpired at epoch second now.
func (it Item) Live(now int64) bool { return it.ExpiresAt == 0 || it.ExpiresAt > now }

// ValidateItem checks an item's keys before an engine stores it: PK and SK are
// required, GSI1PK and GSI1SK come together (GSI2PK and GSI2SK too), and no
// key contains a NUL byte.
func ValidateItem(it Item) error {
	if it.PK == "" || it.SK == "" {
		return errors.New("store: item without PK or SK")
	}
	if (it.GSI1PK == "") != (it.GSI1SK == "") {
		return errors.New("store: GSI1PK and GSI1SK must be set together")
	}
	if (it.GSI2PK == "") != (it.GSI2SK == "") {
		return errors.New("store: GSI2PK and GSI2SK must be set together")
	}
	for _, s := range [...]string{it.PK, it.SK, it.GSI1PK, it.GSI1SK, it.GSI2PK, it.GSI2SK} {
		if strings.IndexByte(s, 0) >= 0 {
			return errors.New("store: key contains a NUL byte")
		}
	}
	return nil
}

// KeyRange is a query's sort-key restriction as one half-open range [Lo, Hi)
// of strings in byte order, the order both engines sort string keys in (for
// valid UTF-8, also code point order).
type KeyRange struct {
	Lo    string // inclusive; "" is open (every key is >= "")
	Hi    string // exclusive; meaningful only when HasHi
	HasHi bool
	// Prefix is set when the range is exactly the keys that begin with it.
	Prefix string
	// Empty: no key can match; the query need not run.
	Empty bool
}

// SortRange intersects the query's Prefix, From (inclusive) and To (exclusive)
// into one range (DynamoDB takes one condition on the sort key). The keys with
// prefix p are [p, prefixEnd(p)); From and To narrow that to
// [max(From, p), min(To, prefixEnd(p))). Empty strings are open bounds.
func (q Query) SortRange() KeyRange {
	r := KeyRange{Lo: max(q.From, q.Prefix)}
	if q.To != "" {
		r.Hi, r.HasHi = q.To, true
	}
	if q.Prefix != "" {
		end, bounded := prefixEnd(q.Prefix)
		if bounded && (!r.HasHi || end < r.Hi) {
			r.Hi, r.HasHi = end, true
		}
		if r.Lo == q.Prefix && r.HasHi == bounded && (!bounded || r.Hi == end) {
			r.Prefix = q.Prefix
		}
	}
	if r.HasHi && r.Lo >= r.Hi {
		return KeyRange{Empty: true}
	}
	return r
}

// prefixEnd returns the least valid UTF-8 string greater than every string
// that begins with p: p with its last code point replaced by the next one,
// dropping trailing U+10FFFF. It reports false when there is none (p is all
// U+10FFFF): every key >= p then begins with p.
func prefixEnd(p string) (string, bool) {
	for p != "" {
		r, size := utf8.DecodeLastRuneInString(p)
		p = p[:len(p)-size]
		next := r + 1
		if next == 0xD800 { // skip the surrogates, which UTF-8 cannot encode
			next = 0xE000
		}
		if next <= utf8.MaxRune {
			return p + string(next), true
		}
	}
	return "", false
}

// Placement says where a sort key lies relative to a KeyRange.
type Placement int8

// Placements.
const (
	Below Placement = iota - 1
	Inside
	Above
)

// Locate places sk relative to the range.
func (r KeyRange) Locate(sk string) Placement {
	switch {
	case r.Empty:
		return Above
	case sk < r.Lo:
		return Below
	case r.HasHi && sk >= r.Hi:
		return Above
	}
	return Inside
}
