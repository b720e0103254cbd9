package ids

import (
	"testing"
	"time"
)

func TestTaggedTimeID(t *testing.T) {
	for i := range len(sortable) {
		if sortableIndex(sortable[i]) != i {
			t.Fatalf("sortableIndex(%q) = %d, want %d", sortable[i], sortableIndex(sortable[i]), i)
		}
	}
	at := time.Date(2026, 12, 6, 1, 2, 3, 456_789_000, time.UTC)
	for tag := range 64 {
		id := TaggedTimeID(at, tag)
		ms, got, ok := ParseTimeID(id)
		if !ok || ms != at.UnixMilli() || got != tag || len(id) != 24 {
			t.Fatalf("TaggedTimeID(%d) = %q: parsed %d %d %v", tag, id, ms, got, ok)
		}
	}
	if ms, _, ok := ParseTimeID(TimeID(at)); !ok || ms != at.UnixMilli() {
		t.Fatalf("ParseTimeID(TimeID) = %d %v", ms, ok)
	}
	for _, bad := range []string{"", "short", "aud_0123456789abcdefghjkmnpqr", "0123456789abcdefghijklm!", "0123456789abcdefghijklmno"} {
		if _, _, ok := ParseTimeID(bad); ok {
			t.Fatalf("ParseTimeID(%q) ok", bad)
		}
	}
}

func TestDerivedTimeID(t *testing.T) {
	at := time.UnixMilli(1_800_000_000_123)
	a := DerivedTimeID(at, 5, []byte("jkt|proof-1"))
	b := DerivedTimeID(at.Add(time.Hour), 7, []byte("jkt|proof-1"))
	c := DerivedTimeID(at, 5, []byte("jkt|proof-2"))
	ms, tag, ok := ParseTimeID(a)
	if !ok || ms != at.UnixMilli() || tag != 5 {
		t.Fatalf("ParseTimeID(%q) = %d %d %v", a, ms, tag, ok)
	}
	ra, _ := RandomPart(a)
	rb, _ := RandomPart(b)
	rc, _ := RandomPart(c)
	if ra != rb || ra == rc || len(ra) != 15 || ra != DerivedPart([]byte("jkt|proof-1")) {
		t.Fatalf("random parts %q %q %q", ra, rb, rc)
	}
	if _, ok := RandomPart("short"); ok {
		t.Fatal("RandomPart of a malformed id")
	}
}
