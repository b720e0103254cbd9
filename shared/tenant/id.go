package tenant

import (
	"errors"
	"regexp"
)

// ID is a validated tenant id: [a-z0-9][a-z0-9-]{1,38}[a-z0-9]. The zero ID is
// invalid, so code that needs a tenant cannot silently run without one.
type ID struct{ s string }

var idPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{1,38}[a-z0-9]$`)

// ErrInvalidID is returned by ParseID for a string that is not a tenant id.
var ErrInvalidID = errors.New("tenant id must match [a-z0-9][a-z0-9-]{1,38}[a-z0-9]")

// ParseID validates s as a tenant id.
func ParseID(s string) (ID, error) {
	if !idPattern.MatchString(s) {
		return ID{}, ErrInvalidID
	}
	return ID{s}, nil
}

// MustID is ParseID for constants and tests; it panics on an invalid id.
func MustID(s string) ID {
	id, err := ParseID(s)
	if err != nil {
		panic(err)
	}
	return id
}

// String returns the id as text ("" for the zero ID).
func (id ID) String() string { return id.s }

// IsZero reports whether id is the zero (invalid) ID.
func (id ID) IsZero() bool { return id.s == "" }
