package embedded

import (
	"encoding/binary"
	"errors"

	"github.com/sharkauth/serverless/shared/store/table"
)

// Layout of the buckets:
//
//	items:  partKey(PK) + SK                        → encoded item
//	gsi1:   partKey(GSI1PK) + GSI1SK + 0x00 + pkKey → (empty)
//	gsi2:   partKey(GSI2PK) + GSI2SK + 0x00 + pkKey → (empty)
//	expiry: 8-byte big-endian ExpiresAt + pkKey     → (empty), for items that expire
//
// partKey length-prefixes the partition so partitions never interleave; the sort
// key follows unprefixed so bbolt's byte order is DynamoDB's string order. Keys
// never contain 0x00 (checked on write), so the separator keeps GSI ties ordered
// by primary key without breaking the GSI1SK order.

func partKey(pk string) []byte {
	b := binary.AppendUvarint(make([]byte, 0, len(pk)+2), uint64(len(pk)))
	return append(b, pk...)
}

func itemKey(k table.Key) []byte {
	return append(partKey(k.PK), k.SK...)
}

func gsiPrefix(gpk string) []byte { return partKey(gpk) }

// gsiKey is the entry of it in index ix (GSI1 or GSI2).
func gsiKey(it table.Item, ix table.Index) []byte {
	pk, sk := it.IndexKeys(ix)
	b := append(partKey(pk), sk...)
	b = append(b, 0)
	return append(b, itemKey(it.Key)...)
}

// expiryKey orders an expiring item by its expiry, so that the sweep reads
// only what has expired (a negative expiry, already past, sorts first).
func expiryKey(it table.Item) []byte {
	b := binary.BigEndian.AppendUint64(make([]byte, 0, 8+len(it.PK)+len(it.SK)+2), uint64(max(it.ExpiresAt, 0)))
	return append(b, itemKey(it.Key)...)
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func encode(it table.Item) []byte {
	n := len(it.PK) + len(it.SK) + len(it.GSI1PK) + len(it.GSI1SK) + len(it.GSI2PK) + len(it.GSI2SK) + len(it.Data) + 48
	b := make([]byte, 0, n)
	b = appendString(b, it.PK)
	b = appendString(b, it.SK)
	b = appendString(b, it.GSI1PK)
	b = appendString(b, it.GSI1SK)
	b = binary.AppendVarint(b, it.ExpiresAt)
	b = binary.AppendVarint(b, it.Version)
	b = appendString(b, string(it.Data))
	if it.GSI2PK != "" {
		// A trailer, so that items written before GSI2 decode unchanged.
		b = appendString(b, it.GSI2PK)
		b = appendString(b, it.GSI2SK)
	}
	return b
}

var errCorrupt = errors.New("embedded: corrupt item")

type reader struct {
	b   []byte
	err error
}

func (r *reader) str() string {
	if r.err != nil {
		return ""
	}
	n, k := binary.Uvarint(r.b)
	if k <= 0 || uint64(len(r.b)-k) < n {
		r.err = errCorrupt
		return ""
	}
	s := string(r.b[k : k+int(n)])
	r.b = r.b[k+int(n):]
	return s
}

func (r *reader) int() int64 {
	if r.err != nil {
		return 0
	}
	v, k := binary.Varint(r.b)
	if k <= 0 {
		r.err = errCorrupt
		return 0
	}
	r.b = r.b[k:]
	return v
}

func decode(b []byte) (table.Item, error) {
	r := reader{b: b}
	var it table.Item
	it.PK = r.str()
	it.SK = r.str()
	it.GSI1PK = r.str()
	it.GSI1SK = r.str()
	it.ExpiresAt = r.int()
	it.Version = r.int()
	if d := r.str(); r.err == nil {
		it.Data = []byte(d)
	}
	if r.err == nil && len(r.b) != 0 {
		it.GSI2PK = r.str()
		it.GSI2SK = r.str()
	}
	if r.err == nil && len(r.b) != 0 {
		r.err = errCorrupt
	}
	return it, r.err
}
