package ids

import (
	"regexp"
	"testing"
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
