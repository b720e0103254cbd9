package dynamodb

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestPrefixEnd(t *testing.T) {
	tests := []struct {
		name, prefix, want string
		bounded            bool
	}{
		{name: "ascii", prefix: "T#a#", want: "T#a$", bounded: true},
		{name: "single byte", prefix: "a", want: "b", bounded: true},
		{name: "DEL becomes two bytes", prefix: "a\x7f", want: "a\u0080", bounded: true},
		{name: "multibyte", prefix: "caf\u00e9", want: "caf\u00ea", bounded: true},
		{name: "before surrogates", prefix: "x\ud7ff", want: "x\ue000", bounded: true},
		{name: "max rune carries", prefix: "a\U0010FFFF", want: "b", bounded: true},
		{name: "max runes carry twice", prefix: "ab\U0010FFFF\U0010FFFF", want: "ac", bounded: true},
		{name: "only max runes", prefix: "\U0010FFFF\U0010FFFF", bounded: false},
		{name: "empty", prefix: "", bounded: false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := prefixEnd(tc.prefix)
			if got != tc.want || ok != tc.bounded {
				t.Fatalf("prefixEnd(%q) = %q, %v; want %q, %v", tc.prefix, got, ok, tc.want, tc.bounded)
			}
			if ok && !utf8.ValidString(got) {
				t.Fatalf("prefixEnd(%q) = %q is not valid UTF-8", tc.prefix, got)
			}
		})
	}
}

func TestSortRange(t *testing.T) {
	tests := []struct {
		name             string
		prefix, from, to string
		want             skRange
	}{
		{name: "open", want: skRange{}},
		{name: "prefix", prefix: "E#", want: skRange{lo: "E#", hi: "E$", hasHi: true, prefix: "E#"}},
		{name: "from only", from: "b", want: skRange{lo: "b"}},
		{name: "to only", to: "b", want: skRange{hi: "b", hasHi: true}},
		{name: "from and to", from: "a", to: "c", want: skRange{lo: "a", hi: "c", hasHi: true}},
		{name: "from inside prefix", prefix: "E#", from: "E#5", want: skRange{lo: "E#5", hi: "E$", hasHi: true}},
		{name: "from below prefix", prefix: "E#", from: "A", want: skRange{lo: "E#", hi: "E$", hasHi: true, prefix: "E#"}},
		{name: "to inside prefix", prefix: "E#", to: "E#5", want: skRange{lo: "E#", hi: "E#5", hasHi: true}},
		{name: "to past prefix", prefix: "E#", to: "F", want: skRange{lo: "E#", hi: "E$", hasHi: true, prefix: "E#"}},
		{name: "to at prefix end", prefix: "E#", to: "E$", want: skRange{lo: "E#", hi: "E$", hasHi: true, prefix: "E#"}},
		{name: "both inside prefix", prefix: "E#", from: "E#2", to: "E#5", want: skRange{lo: "E#2", hi: "E#5", hasHi: true}},
		{name: "unbounded prefix", prefix: "\U0010FFFF", want: skRange{lo: "\U0010FFFF", prefix: "\U0010FFFF"}},
		{name: "unbounded prefix with to", prefix: "\U0010FFFF", to: "\U0010FFFFz", want: skRange{lo: "\U0010FFFF", hi: "\U0010FFFFz", hasHi: true}},
		// Empty ranges never reach DynamoDB.
		{name: "from equals to", from: "b", to: "b", want: skRange{empty: true}},
		{name: "from after to", from: "c", to: "b", want: skRange{empty: true}},
		{name: "from past prefix", prefix: "E#", from: "F", want: skRange{empty: true}},
		{name: "from at prefix end", prefix: "E#", from: "E$", want: skRange{empty: true}},
		{name: "to before prefix", prefix: "E#", to: "E", want: skRange{empty: true}},
		{name: "to at prefix", prefix: "E#", to: "E#", want: skRange{empty: true}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := sortRange(tc.prefix, tc.from, tc.to); got != tc.want {
				t.Fatalf("sortRange(%q, %q, %q) = %+v, want %+v", tc.prefix, tc.from, tc.to, got, tc.want)
			}
		})
	}
}

func TestSortKeyCondition(t *testing.T) {
	tests := []struct {
		name string
		r    skRange
		want string
	}{
		{name: "open", r: sortRange("", "", ""), want: ""},
		{name: "prefix", r: sortRange("E#", "", ""), want: "begins_with(#SK, :prefix)"},
		{name: "lower", r: sortRange("", "a", ""), want: "#SK >= :lo"},
		{name: "upper", r: sortRange("", "", "b"), want: "#SK < :hi"},
		{name: "both", r: sortRange("E#", "E#1", ""), want: "#SK BETWEEN :lo AND :hi"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var e exprBuilder
			if got := e.sortKeyCondition(attrSK, tc.r); got != tc.want {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
			if tc.want != "" && len(e.values) == 0 {
				t.Fatal("no values recorded")
			}
		})
	}
}

// FuzzSortRange checks that the one DynamoDB range selects exactly the keys the
// query's Prefix, From and To select, and that a begins_with range agrees.
func FuzzSortRange(f *testing.F) {
	for _, s := range [][4]string{
		{"E#", "", "", "E#1"},
		{"E#", "E#2", "E#5", "E#5"},
		{"E#", "E#2", "E#5", "E#2"},
		{"E#", "", "", "E$"},
		{"a\x7f", "", "", "a\u0080"},
		{"a\U0010FFFF", "", "", "b"},
		{"a\U0010FFFF", "", "", "a\U0010FFFF\U0010FFFF"},
		{"\U0010FFFF", "", "\U0010FFFF1", "\U0010FFFF0"},
		{"x\ud7ff", "", "", "x\ue000"},
		{"", "b", "a", "a"},
		{"caf\u00e9", "caf", "cag", "caf\u00e9s"},
	} {
		f.Add(s[0], s[1], s[2], s[3])
	}
	f.Fuzz(func(t *testing.T, prefix, from, to, key string) {
		for _, s := range []string{prefix, from, to, key} {
			if !utf8.ValidString(s) {
				return // DynamoDB strings are UTF-8; Query rejects the rest
			}
		}
		want := strings.HasPrefix(key, prefix) && (from == "" || key >= from) && (to == "" || key < to)
		r := sortRange(prefix, from, to)
		got := !r.empty && r.locate(key) == inside
		if got != want {
			t.Fatalf("sortRange(%q, %q, %q) = %+v selects %q: %v, want %v", prefix, from, to, r, key, got, want)
		}
		if r.prefix != "" && strings.HasPrefix(key, r.prefix) != got {
			t.Fatalf("begins_with(%q) disagrees with the range %+v on %q", r.prefix, r, key)
		}
		if r.hasHi && !utf8.ValidString(r.hi) {
			t.Fatalf("range end %q is not valid UTF-8", r.hi)
		}
	})
}
