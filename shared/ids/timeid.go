package ids

import "time"

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
