package keys

import (
	"errors"
	"fmt"

	"github.com/sharkauth/serverless/shared/awserr"
	"github.com/sharkauth/serverless/shared/store"
)

var (
	// ErrNoTenant is returned when a call is made without a tenant.
	ErrNoTenant = errors.New("keys: no tenant")
	// ErrWrongMode is returned when a record is opened by a sealer of another mode.
	ErrWrongMode = errors.New("keys: record mode does not match the sealer")
	// ErrBadRecord is returned for a record that is malformed: a missing field,
	// a public key that is not P-256, or a kid that does not match the public key.
	ErrBadRecord = errors.New("keys: malformed signing key record")
	// ErrRejected is returned when a sealed private key does not open: the
	// record belongs to another tenant or kid, or it was tampered with.
	ErrRejected = errors.New("keys: sealed key rejected (wrong tenant or kid, or tampered record)")
	// ErrNoCurrentKey is returned by Current when no key is current.
	ErrNoCurrentKey = errors.New("keys: no current signing key")
	// ErrUnknownMode is returned by a Cache asked to open a record whose mode it
	// has no sealer for.
	ErrUnknownMode = errors.New("keys: no sealer for the record's mode")
	// ErrMasterKey is returned for a local master key that is not 32 bytes.
	ErrMasterKey = errors.New("keys: master key must be 32 bytes")
)

// kmsErr marks a KMS failure that a later retry may not meet (throttling, a
// timeout, KMS's own trouble) as store.ErrUnavailable, so that the request
// answers 503 temporarily_unavailable; other failures pass unchanged.
func kmsErr(err error) error {
	if awserr.Transient(err) {
		return fmt.Errorf("%w: %w", store.ErrUnavailable, err)
	}
	return err
}
