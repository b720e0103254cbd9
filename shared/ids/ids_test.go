package ids

import (
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestFormats(t *testing.T) {
	cases := []struct {
		name string
		got  string
		re   string
	}{
		{"nanoid", NanoID(), `^[0-9A-Za-z_-]{21}$`},
		{"agent id", New("agent_"), `^agent_[0-9A-Za-z_-]{21}$`},
		{"admin key", NewKey(AdminKeyPrefix), `^sk_live_[0-9A-Za-z]{43}$`},
		{"platform key", NewKey(PlatformKeyPrefix), `^sk_platform_[0-9A-Za-z]{43}$`},
		{"secret", NewSecret(), `^[0-9a-f]{64}$`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if !regexp.MustCompile(c.re).MatchString(c.got) {
				t.Fatalf("%q does not match %s", c.got, c.re)
			}
		})
	}
	if NanoID() == NanoID() || NewKey("x") == NewKey("x") {
		t.Fatal("ids repeat")
	}
}

func TestBase62Width(t *testing.T) {
	max := make([]byte, 32)
	for i := range max {
		max[i] = 0xff
	}
	for _, b := range [][]byte{make([]byte, 32), max, {1}} {
		if got := Base62(b); len(got) != (len(b)*8*1000+5953)/5954 {
			t.Fatalf("Base62(%x) = %q: wrong width", b, got)
		}
	}
	if Base62([]byte{0, 61}) != "00z" {
		t.Fatalf("Base62 = %q", Base62([]byte{0, 61}))
	}
}

func TestMatches(t *testing.T) {
	k := NewKey(AdminKeyPrefix)
	h := Hash(k)
	cases := []struct {
		name   string
		secret string
		want   []byte
		ok     bool
	}{
		{"same", k, h, true},
		{"other key", NewKey(AdminKeyPrefix), h, false},
		{"truncated key", k[:len(k)-1], h, false},
		{"empty digest", k, nil, false},
		{"short digest", k, h[:16], false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if Matches(c.secret, c.want) != c.ok {
				t.Fatalf("Matches = %v", !c.ok)
			}
		})
	}
}

// Token ids made later sort after (the table appends their records), are
// URL-safe, and do not repeat.
func TestTimeID(t *testing.T) {
	at := time.Date(2026, 12, 1, 6, 0, 0, 0, time.UTC)
	seen := map[string]bool{}
	prev := ""
	for i := range 2000 {
		id := TimeID(at.Add(time.Duration(i/2) * time.Millisecond))
		if len(id) != 24 || strings.Trim(id, sortable) != "" {
			t.Fatalf("TimeID = %q: want 24 URL-safe characters", id)
		}
		if seen[id] {
			t.Fatalf("TimeID repeated %q", id)
		}
		seen[id] = true
		if i%2 == 0 && id[:8] <= prev {
			t.Fatalf("TimeID %q of a later millisecond does not sort after %q", id, prev)
		}
		prev = id[:8]
	}
	// The byte order of the alphabet is the order of the digits.
	for i := 1; i < len(sortable); i++ {
		if sortable[i-1] >= sortable[i] {
			t.Fatalf("alphabet out of order at %d", i)
		}
	}
}
