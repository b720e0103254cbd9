package table

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
		want             KeyRange
	}{
		{name: "open", want: KeyRange{}},
		{name: "prefix", prefix: "E#", want: KeyRange{Lo: "E#", Hi: "E$", HasHi: true, Prefix: "E#"}},
		{name: "from only", from: "b", want: KeyRange{Lo: "b"}},
		{name: "to only", to: "b", want: KeyRange{Hi: "b", HasHi: true}},
		{name: "from and to", from: "a", to: "c", want: KeyRange{Lo: "a", Hi: "c", HasHi: true}},
		{name: "from inside prefix", prefix: "E#", from: "E#5", want: KeyRange{Lo: "E#5", Hi: "E$", HasHi: true}},
		{name: "from below prefix", prefix: "E#", from: "A", want: KeyRange{Lo: "E#", Hi: "E$", HasHi: true, Prefix: "E#"}},
		{name: "to inside prefix", prefix: "E#", to: "E#5", want: KeyRange{Lo: "E#", Hi: "E#5", HasHi: true}},
		{name: "to past prefix", prefix: "E#", to: "F", want: KeyRange{Lo: "E#", Hi: "E$", HasHi: true, Prefix: "E#"}},
		{name: "to at prefix end", prefix: "E#", to: "E$", want: KeyRange{Lo: "E#", Hi: "E$", HasHi: true, Prefix: "E#"}},
		{name: "both inside prefix", prefix: "E#", from: "E#2", to: "E#5", want: KeyRange{Lo: "E#2", Hi: "E#5", HasHi: true}},
		{name: "unbounded prefix", prefix: "\U0010FFFF", want: KeyRange{Lo: "\U0010FFFF", Prefix: "\U0010FFFF"}},
		{name: "unbounded prefix with to", prefix: "\U0010FFFF", to: "\U0010FFFFz", want: KeyRange{Lo: "\U0010FFFF", Hi: "\U0010FFFFz", HasHi: true}},
		// Empty ranges never reach DynamoDB.
		{name: "from equals to", from: "b", to: "b", want: KeyRange{Empty: true}},
		{name: "from after to", from: "c", to: "b", want: KeyRange{Empty: true}},
		{name: "from past prefix", prefix: "E#", from: "F", want: KeyRange{Empty: true}},
		{name: "from at prefix end", prefix: "E#", from: "E$", want: KeyRange{Empty: true}},
		{name: "to before prefix", prefix: "E#", to: "E", want: KeyRange{Empty: true}},
		{name: "to at prefix", prefix: "E#", to: "E#", want: KeyRange{Empty: true}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := (Query{Prefix: tc.prefix, From: tc.from, To: tc.to}).SortRange(); got != tc.want {
				t.Fatalf("Query{Prefix: %q, From: %q, To: %q}.SortRange() = %+v, want %+v", tc.prefix, tc.from, tc.to, got, tc.want)
			}
		})
	}
}

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
		r := Query{Prefix: prefix, From: from, To: to}.SortRange()
		got := !r.Empty && r.Locate(key) == Inside
		if got != want {
			t.Fatalf("Query{Prefix: %q, From: %q, To: %q}.SortRange() = %+v selects %q: %v, want %v", prefix, from, to, r, key, got, want)
		}
		if r.Prefix != "" && strings.HasPrefix(key, r.Prefix) != got {
			t.Fatalf("begins_with(%q) disagrees with the range %+v on %q", r.Prefix, r, key)
		}
		if r.HasHi && !utf8.ValidString(r.Hi) {
			t.Fatalf("range end %q is not valid UTF-8", r.Hi)
		}
	})
}
