package ids

import (
	"crypto/sha256"
	"time"
)

// TaggedTimeID is TimeID with its ninth character (the first random one)
// set to tag (0..63): a small number the id's owner can read back from the
// id alone (ParseTimeID). The id keeps TimeID's form (24 characters, the
// first 8 the issue time in milliseconds) and 90 random bits.
func TaggedTimeID(at time.Time, tag int) string {
	b := []byte(TimeID(at))
	b[8] = sortable[tag&63]
	return string(b)
}

// ParseTimeID returns the milliseconds and the tag (the ninth character's
// value) of an id of TimeID's form; ok is false for any other string.
func ParseTimeID(id string) (ms int64, tag int, ok bool) {
	if len(id) != 24 {
		return 0, 0, false
	}
	var v [24]int
	for i := range len(id) {
		d := sortableIndex(id[i])
		if d < 0 {
			return 0, 0, false
		}
		v[i] = d
	}
	for i := range 8 {
		ms = ms<<6 | int64(v[i])
	}
	return ms, v[8], true
}

func sortableIndex(c byte) int {
	switch {
	case c == '-':
		return 0
	case c >= '0' && c <= '9':
		return 1 + int(c-'0')
	case c >= 'A' && c <= 'Z':
		return 11 + int(c-'A')
	case c == '_':
		return 37
	case c >= 'a' && c <= 'z':
		return 38 + int(c-'a')
	}
	return -1
}

// DerivedTimeID is TaggedTimeID with its 15 characters after the tag
// derived from seed (SHA-256, 90 bits) instead of drawn at random: ids made
// from one seed share those characters (RandomPart) whatever their time.
func DerivedTimeID(at time.Time, tag int, seed []byte) string {
	b := []byte(TaggedTimeID(at, tag))
	h := sha256.Sum256(seed)
	for i := 9; i < len(b); i++ {
		b[i] = sortable[h[i-9]&63]
	}
	return string(b)
}

// RandomPart is the 15 characters of an id of TimeID's form after its time
// and tag: random, or derived (DerivedTimeID). ok is false for another string.
func RandomPart(id string) (string, bool) {
	if _, _, ok := ParseTimeID(id); !ok {
		return "", false
	}
	return id[9:], true
}

// DerivedPart is the RandomPart of every DerivedTimeID of seed.
func DerivedPart(seed []byte) string {
	return DerivedTimeID(time.Unix(0, 0), 0, seed)[9:]
}
