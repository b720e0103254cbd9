package dynamodb

import (
	"testing"

	"github.com/sharkauth/serverless/shared/store"
)

func TestSortKeyCondition(t *testing.T) {
	tests := []struct {
		name string
		r    store.KeyRange
		want string
	}{
		{name: "open", r: store.Query{Prefix: "", From: "", To: ""}.SortRange(), want: ""},
		{name: "prefix", r: store.Query{Prefix: "E#", From: "", To: ""}.SortRange(), want: "begins_with(#SK, :prefix)"},
		{name: "lower", r: store.Query{Prefix: "", From: "a", To: ""}.SortRange(), want: "#SK >= :lo"},
		{name: "upper", r: store.Query{Prefix: "", From: "", To: "b"}.SortRange(), want: "#SK < :hi"},
		{name: "both", r: store.Query{Prefix: "E#", From: "E#1", To: ""}.SortRange(), want: "#SK BETWEEN :lo AND :hi"},
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
