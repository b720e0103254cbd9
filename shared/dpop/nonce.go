package dpop

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"time"
)

// Nonces issues and checks stateless server nonces (RFC 9449 §8): a nonce is
// an HMAC of the tenant and a time step, so any process holding Key accepts
// it during its step and the next one. Off unless a tenant turns it on.
type Nonces struct {
	Key  []byte
	Now  func() time.Time
	Step time.Duration // default 5 minutes
}

func (n *Nonces) step() time.Duration {
	if n.Step <= 0 {
		return 5 * time.Minute
	}
	return n.Step
}

func (n *Nonces) at(tenant string, step int64) string {
	m := hmac.New(sha256.New, n.Key)
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(step))
	m.Write(b[:])
	m.Write([]byte(tenant))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:18])
}

func (n *Nonces) current() int64 {
	now := time.Now
	if n.Now != nil {
		now = n.Now
	}
	return now().UnixNano() / int64(n.step())
}

// Issue returns the tenant's current nonce.
func (n *Nonces) Issue(tenant string) string { return n.at(tenant, n.current()) }

// Valid reports whether nonce is the tenant's current or previous nonce.
func (n *Nonces) Valid(tenant, nonce string) bool {
	s := n.current()
	for _, step := range []int64{s, s - 1} {
		if hmac.Equal([]byte(nonce), []byte(n.at(tenant, step))) {
			return true
		}
	}
	return false
}
