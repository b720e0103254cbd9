package store

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"strconv"
	"testing"
	"time"
)

// pieces are what the random strings are made of: every class of character
// encoding/json treats apart (control characters with and without a short
// escape, quotes, backslashes, HTML characters, DEL, multi-byte runes, the
// JSONP separators, invalid and truncated UTF-8).
var pieces = []string{"a", "Z", "0", " ", "/", "\"", "\\", "<", ">", "&", "\x00", "\x01", "\b", "\f", "\n", "\r", "\t", "\x1f", "\x7f",
	"é", "€", "🦈", "\u2028", "\u2029", "\u2027", "\u202a", "\xff", "\xc3", "\xe2\x80", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\ufffd"}

func randString(r *rand.Rand) string {
	if r.IntN(4) == 0 {
		return ""
	}
	var b []byte
	for range r.IntN(12) {
		b = append(b, pieces[r.IntN(len(pieces))]...)
	}
	return string(b)
}

func randStrings(r *rand.Rand) []string {
	switch r.IntN(4) {
	case 0:
		return nil
	case 1:
		return []string{}
	}
	out := make([]string, 1+r.IntN(3))
	for i := range out {
		out[i] = randString(r)
	}
	return out
}

func randInt(r *rand.Rand) int64 {
	switch r.IntN(4) {
	case 0:
		return 0
	case 1:
		return -r.Int64()
	case 2:
		return math.MaxInt64
	}
	return r.Int64()
}

func randMetadata(r *rand.Rand) map[string]any {
	if r.IntN(3) == 0 {
		return nil
	}
	m := map[string]any{}
	for range r.IntN(4) {
		switch r.IntN(5) {
		case 0:
			m[randString(r)] = randString(r)
		case 1:
			m[randString(r)] = randStrings(r)
		case 2:
			m[randString(r)] = r.Float64() * 1e6
		case 3:
			m[randString(r)] = r.IntN(2) == 0
		default:
			m[randString(r)] = map[string]any{randString(r): []any{1, "x<y", nil}}
		}
	}
	return m
}

// encodeTokenItem writes, byte for byte, what encoding/json writes
// (marshalCompact) for any token item data: random fields made of every
// class of character JSON escapes, empty and absent values, extreme numbers,
// with and without an event part and its metadata.
func TestEncodeTokenItemMatchesJSON(t *testing.T) {
	r := rand.New(rand.NewPCG(23, 42))
	for i := range 20000 {
		d := tokenItemData{JTI: randString(r), ClientID: randString(r), AgentID: randString(r), Subject: randString(r),
			Scope: randString(r), Audience: randStrings(r), JKT: randString(r), KID: randString(r), GrantType: randString(r),
			IssuedAt: randInt(r), ExpiresAt: randInt(r), RevokedAt: randInt(r), Delegation: randStrings(r),
			Family: randString(r), User: randString(r), Writer: randString(r)}
		if r.IntN(4) > 0 {
			d.Event = &tokenEvent{Derived: uint16(r.IntN(3) * r.IntN(1<<16)), Event: randString(r), ActorType: randString(r),
				ActorID: randString(r), TargetType: randString(r), Metadata: randMetadata(r), Status: randString(r),
				IP: randString(r), UserAgent: randString(r), CreatedAt: randInt(r)}
		}
		got, want := encodeTokenItem(&d), marshalCompact(d)
		if !bytes.Equal(got, want) {
			t.Fatalf("case %d: encodeTokenItem\n%q\nmarshalCompact\n%q", i, got, want)
		}
	}
}

// Every single byte and every rune class, alone, as a string.
func TestAppendJSONStringEveryByte(t *testing.T) {
	for c := range 256 {
		for _, s := range []string{string([]byte{byte(c)}), "x" + string([]byte{byte(c)}) + "y"} {
			got := appendJSONString(nil, s)
			want := marshalCompact(s)
			if !bytes.Equal(got, want) {
				t.Errorf("byte %#x: %q, want %q", c, got, want)
			}
		}
	}
	for _, s := range pieces {
		if got, want := appendJSONString(nil, s), marshalCompact(s); !bytes.Equal(got, want) {
			t.Errorf("%q: %q, want %q", s, got, want)
		}
	}
}

// derivedSame decides as sameJSON does, on equal, distinct, invalid-UTF-8,
// nil-versus-empty and differently typed values.
func TestDerivedSameMatchesJSON(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 9))
	values := func() any {
		switch r.IntN(6) {
		case 0:
			return randString(r)
		case 1:
			return randStrings(r)
		case 2:
			return []any{randString(r)}
		case 3:
			return nil
		case 4:
			return 3
		}
		return "mcp:read"
	}
	for range 20000 {
		rec := TokenRecord{Scope: randString(r), JKT: randString(r), Audience: randStrings(r), GrantType: randString(r), JTI: randString(r)}
		if r.IntN(3) == 0 {
			rec.Scope, rec.Audience = "mcp:read", []string{"mcp:read"}
		}
		for i, d := range derivedKeys {
			v := values()
			if r.IntN(3) == 0 {
				v = d.of(rec) // the same value, as the token endpoint gives it
			}
			if got, want := derivedSame(i, v, rec), sameJSON(v, d.of(rec)); got != want {
				t.Fatalf("%s: derivedSame(%#v, %#v) = %v, sameJSON %v", d.key, v, d.of(rec), got, want)
			}
		}
	}
}

// The key helpers write what their fmt-based forms wrote, for every instant
// an int64 of nanoseconds holds (negative ones included) and every shard.
func TestSortableKeysMatchFormat(t *testing.T) {
	sc := scope("T#acme")
	r := rand.New(rand.NewPCG(1, 2))
	times := []time.Time{time.Unix(0, 0), time.Unix(0, 1), time.Unix(0, -1), time.Unix(0, math.MaxInt64), time.Unix(0, math.MinInt64),
		time.Unix(0, math.MinInt64+1), time.Date(1969, 12, 31, 23, 59, 59, 999, time.UTC), time.Date(2026, 12, 6, 7, 0, 0, 0, time.FixedZone("x", -3600*11))}
	for range 2000 {
		times = append(times, time.Unix(0, r.Int64N(math.MaxInt64)-r.Int64N(math.MaxInt64)).In(time.FixedZone("z", r.IntN(50000)-25000)))
	}
	for _, at := range times {
		if got, want := sortableTime(at), fmt.Sprintf("%019s", strconv.FormatInt(at.UnixNano(), 10)); got != want {
			t.Fatalf("sortableTime(%v) = %q, want %q", at, got, want)
		}
		id := "aud_x"
		if got, want := auditSK(at, id), fmt.Sprintf("%019s", strconv.FormatInt(at.UnixNano(), 10))+"#"+id; got != want {
			t.Fatalf("auditSK(%v) = %q, want %q", at, got, want)
		}
		for _, shard := range []int{0, 7, MaxAuditShards - 1} {
			want := sc.pkOf("AUDIT", at.UTC().Format("2006-01")+"#"+strconv.Itoa(shard))
			if got := auditPartition(sc, at, shard); got != want {
				t.Fatalf("auditPartition(%v, %d) = %q, want %q", at, shard, got, want)
			}
		}
	}
}

// A field added to the token item (or its event) must reach the hand-written
// encoder: every field of both structs, set by reflection to a value that
// is not its zero, encodes as encoding/json encodes it. The random test above
// names its fields, so it would not notice a new one.
func TestEncodeTokenItemCoversEveryField(t *testing.T) {
	var fill func(v reflect.Value)
	fill = func(v reflect.Value) {
		for i := range v.NumField() {
			f, name := v.Field(i), v.Type().Field(i).Name
			switch f.Kind() {
			case reflect.String:
				f.SetString("v-" + name)
			case reflect.Int64:
				f.SetInt(int64(1000 + i))
			case reflect.Uint16:
				f.SetUint(uint64(1 + i))
			case reflect.Slice:
				f.Set(reflect.ValueOf([]string{"a-" + name, "b"}))
			case reflect.Map:
				f.Set(reflect.ValueOf(map[string]any{"k-" + name: "v"}))
			case reflect.Pointer:
				f.Set(reflect.New(f.Type().Elem()))
				fill(f.Elem())
			default:
				t.Fatalf("%s.%s: a %s field; teach this test (and encodeTokenItem) its kind", v.Type().Name(), name, f.Kind())
			}
		}
	}
	var d tokenItemData
	fill(reflect.ValueOf(&d).Elem())
	if got, want := encodeTokenItem(&d), marshalCompact(d); !bytes.Equal(got, want) {
		t.Fatalf("encodeTokenItem\n%s\nmarshalCompact\n%s", got, want)
	}
}
