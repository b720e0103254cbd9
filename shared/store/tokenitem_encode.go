package store

import (
	"bytes"
	"encoding/json"
	"slices"
	"strconv"
	"sync"
	"unicode/utf8"
)

// The token item is written once per token, so its encoding is on the hot
// path. encodeTokenItem writes the bytes marshalCompact would (encoding/json
// without HTML escaping, fields in struct order, omitempty), without
// reflection: one allocation of the item's exact size beside a pooled
// scratch buffer. The metadata an event part keeps (what the record cannot
// give, usually none) is a map of arbitrary values and still goes through
// encoding/json. TestTokenItemGolden pins the bytes and
// TestEncodeTokenItemMatchesJSON compares the two encoders.

var tokenItemScratch = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

// encodeTokenItem is marshalCompact(d).
func encodeTokenItem(d *tokenItemData) []byte {
	bp := tokenItemScratch.Get().(*[]byte)
	b, ok := appendTokenItem((*bp)[:0], d)
	var out []byte
	if ok {
		out = bytes.Clone(b)
	}
	if cap(b) <= 64<<10 { // a huge metadata map's buffer is not kept
		*bp = b[:0]
		tokenItemScratch.Put(bp)
	}
	if !ok {
		return marshalCompact(d) // its metadata does not encode: marshalCompact panics with the cause
	}
	return out
}

func appendTokenItem(b []byte, d *tokenItemData) ([]byte, bool) {
	b = append(b, `{"j":`...)
	b = appendJSONString(b, d.JTI)
	b = append(b, `,"c":`...)
	b = appendJSONString(b, d.ClientID)
	b = appendStringField(b, `,"ag":`, d.AgentID)
	b = appendStringField(b, `,"s":`, d.Subject)
	b = appendStringField(b, `,"sc":`, d.Scope)
	b = appendStringsField(b, `,"au":`, d.Audience)
	b = appendStringField(b, `,"k":`, d.JKT)
	b = appendStringField(b, `,"ki":`, d.KID)
	b = appendStringField(b, `,"g":`, d.GrantType)
	b = append(b, `,"i":`...)
	b = strconv.AppendInt(b, d.IssuedAt, 10)
	b = append(b, `,"e":`...)
	b = strconv.AppendInt(b, d.ExpiresAt, 10)
	if d.RevokedAt != 0 {
		b = append(b, `,"r":`...)
		b = strconv.AppendInt(b, d.RevokedAt, 10)
	}
	b = appendStringsField(b, `,"d":`, d.Delegation)
	b = appendStringField(b, `,"f":`, d.Family)
	b = appendStringField(b, `,"u":`, d.User)
	if te := d.Event; te != nil {
		b = append(b, `,"v":{`...)
		if te.Derived != 0 {
			b = append(b, `"z":`...)
			b = strconv.AppendUint(b, uint64(te.Derived), 10)
			b = append(b, ',')
		}
		b = append(b, `"n":`...)
		b = appendJSONString(b, te.Event)
		b = appendStringField(b, `,"at":`, te.ActorType)
		b = appendStringField(b, `,"a":`, te.ActorID)
		b = appendStringField(b, `,"tt":`, te.TargetType)
		if len(te.Metadata) > 0 {
			var ok bool
			b = append(b, `,"m":`...)
			if b, ok = appendJSONCompact(b, te.Metadata); !ok {
				return b, false
			}
		}
		b = appendStringField(b, `,"st":`, te.Status)
		b = appendStringField(b, `,"ip":`, te.IP)
		b = appendStringField(b, `,"ua":`, te.UserAgent)
		if te.CreatedAt != 0 {
			b = append(b, `,"t":`...)
			b = strconv.AppendInt(b, te.CreatedAt, 10)
		}
		b = append(b, '}')
	}
	b = appendStringField(b, `,"w":`, d.Writer)
	return append(b, '}'), true
}

// appendStringField appends an omitempty string field (name includes its
// leading comma and colon).
func appendStringField(b []byte, name, s string) []byte {
	if s == "" {
		return b
	}
	return appendJSONString(append(b, name...), s)
}

// appendStringsField appends an omitempty []string field.
func appendStringsField(b []byte, name string, ss []string) []byte {
	if len(ss) == 0 {
		return b
	}
	b = append(append(b, name...), '[')
	for i, s := range ss {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, s)
	}
	return append(b, ']')
}

// appendJSONCompact appends v as encoding/json encodes it without HTML
// escaping.
func appendJSONCompact(b []byte, v any) ([]byte, bool) {
	buf := bytes.NewBuffer(b)
	enc := json.NewEncoder(buf)
	enc.SetEscapeHTML(false)
	if enc.Encode(v) != nil {
		return b, false
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), true
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string the way encoding/json does
// with HTML escaping off: '"' and '\\' escaped, \b \f \n \r \t short, other
// control characters \u00XX, invalid UTF-8 as \ufffd, U+2028 and U+2029
// escaped (for JSONP), everything else as it is.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// derivedSame reports whether the metadata value v is what derivedKeys[i]
// gives of rec: whether they encode to the same JSON (sameJSON), deciding
// the common cases (a string, a string list) without encoding or boxing.
func derivedSame(i int, v any, rec TokenRecord) bool {
	switch derivedKeys[i].bit {
	case derivedScope:
		return sameString(v, rec.Scope)
	case derivedJKT:
		return sameString(v, rec.JKT)
	case derivedAud:
		return sameStrings(v, rec.Audience)
	case derivedGrant:
		return sameString(v, rec.GrantType)
	case derivedJTI:
		return sameString(v, rec.JTI)
	}
	return sameJSON(v, derivedKeys[i].of(rec))
}

func sameString(v any, s string) bool {
	if x, ok := v.(string); ok {
		if x == s {
			return true
		}
		if utf8.ValidString(x) && utf8.ValidString(s) {
			return false // distinct valid strings encode distinctly
		}
	}
	return sameJSON(v, s)
}

func sameStrings(v any, ss []string) bool {
	if x, ok := v.([]string); ok && (x == nil) == (ss == nil) {
		if slices.Equal(x, ss) {
			return true
		}
		if validAll(x) && validAll(ss) {
			return false
		}
	}
	return sameJSON(v, ss)
}

func validAll(ss []string) bool {
	for _, s := range ss {
		if !utf8.ValidString(s) {
			return false
		}
	}
	return true
}
