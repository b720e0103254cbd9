package ids

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"math/big"
	"time"
)

const nanoAlphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_-"

// NanoID returns a 21-character random id over the URL-safe alphabet (126 bits).
func NanoID() string {
	var b [21]byte
	rand.Read(b[:])
	for i := range b {
		b[i] = nanoAlphabet[b[i]&63]
	}
	return string(b[:])
}

// New returns prefix followed by a NanoID, e.g. New("agent_").
func New(prefix string) string { return prefix + NanoID() }

const base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// Base62 encodes b as base62, left-padded with '0' to the length that any
// len(b)-byte value needs (43 characters for 32 bytes).
func Base62(b []byte) string {
	width := (len(b)*8*1000 + 5953) / 5954 // ceil(bits / log2(62))
	n := new(big.Int).SetBytes(b)
	out := make([]byte, width)
	base := big.NewInt(62)
	mod := new(big.Int)
	for i := width - 1; i >= 0; i-- {
		n.DivMod(n, base, mod)
		out[i] = base62[mod.Int64()]
	}
	return string(out)
}

// Prefixes of the bearer keys.
const (
	AdminKeyPrefix    = "sk_live_"
	PlatformKeyPrefix = "sk_platform_"
)

// NewKey returns prefix + base62 of 32 random bytes.
func NewKey(prefix string) string {
	var b [32]byte
	rand.Read(b[:])
	return prefix + Base62(b[:])
}

// NewSecret returns a client secret: 64 lowercase hex characters (256 bits).
func NewSecret() string {
	var b [32]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Hash is the SHA-256 digest under which a key or secret is stored. The
// secrets are 256-bit random, so a slow hash adds nothing.
func Hash(secret string) []byte {
	h := sha256.Sum256([]byte(secret))
	return h[:]
}

// HashHex is Hash as lowercase hex, for use in table keys.
func HashHex(secret string) string { return hex.EncodeToString(Hash(secret)) }

// Matches reports in constant time whether secret hashes to want.
func Matches(secret string, want []byte) bool {
	got := Hash(secret)
	return len(want) == len(got) && subtle.ConstantTimeCompare(got, want) == 1
}

// sortable is the URL-safe base64 alphabet in byte order: ids written with it
// sort as the numbers they encode.
const sortable = "-0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz"

// TimeID returns a 24-character URL-safe id: 8 characters of at's Unix
// milliseconds, then 16 random ones (96 bits). Ids made later sort after, so
// records keyed by them are appended to the table's order rather than
// scattered through it.
func TimeID(at time.Time) string {
	var b [24]byte
	ms := uint64(at.UnixMilli())
	for i := 7; i >= 0; i-- {
		b[i] = sortable[ms&63]
		ms >>= 6
	}
	rand.Read(b[8:])
	for i := 8; i < len(b); i++ {
		b[i] = sortable[b[i]&63]
	}
	return string(b[:])
}
