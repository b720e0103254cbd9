package dynamodb

import (
	"unicode/utf8"
)

// skRange is the sort-key restriction of a query as one half-open range
// [lo, hi) of strings in byte order, which is the order DynamoDB sorts string
// keys in (for valid UTF-8, also code point order).
type skRange struct {
	lo    string // inclusive; "" is open (every key is >= "")
	hi    string // exclusive; meaningful only when hasHi
	hasHi bool
	// prefix is set when the range is exactly the keys that begin with it, so
	// begins_with expresses it.
	prefix string
	// empty: no key can match; the query need not run.
	empty bool
}

// sortRange intersects a query's Prefix, From (inclusive) and To (exclusive)
// into one range, since DynamoDB takes one condition on the sort key. The keys
// with prefix p are [p, prefixEnd(p)); From and To narrow that to
// [max(From, p), min(To, prefixEnd(p))). Empty strings are open bounds. All
// three must be valid UTF-8.
func sortRange(prefix, from, to string) skRange {
	r := skRange{lo: max(from, prefix)}
	if to != "" {
		r.hi, r.hasHi = to, true
	}
	if prefix != "" {
		end, bounded := prefixEnd(prefix)
		if bounded && (!r.hasHi || end < r.hi) {
			r.hi, r.hasHi = end, true
		}
		if r.lo == prefix && r.hasHi == bounded && (!bounded || r.hi == end) {
			r.prefix = prefix
		}
	}
	if r.hasHi && r.lo >= r.hi {
		return skRange{empty: true}
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

// position says where a sort key lies relative to the range.
type position int8

const (
	below position = iota - 1
	inside
	above
)

func (r skRange) locate(sk string) position {
	switch {
	case sk < r.lo:
		return below
	case r.hasHi && sk >= r.hi:
		return above
	}
	return inside
}

// sortKeyCondition returns the sort-key part of a key condition expression
// (without the partition part), or "" when the range is open.
func (e *exprBuilder) sortKeyCondition(attr string, r skRange) string {
	switch {
	case r.prefix != "":
		return "begins_with(" + e.name(attr) + ", " + e.value(":prefix", str(r.prefix)) + ")"
	case r.lo != "" && r.hasHi:
		// BETWEEN is inclusive: Query drops the key equal to hi.
		return e.name(attr) + " BETWEEN " + e.value(":lo", str(r.lo)) + " AND " + e.value(":hi", str(r.hi))
	case r.lo != "":
		return e.name(attr) + " >= " + e.value(":lo", str(r.lo))
	case r.hasHi:
		return e.name(attr) + " < " + e.value(":hi", str(r.hi))
	}
	return ""
}
