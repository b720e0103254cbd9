package dynamodb

import (
	"testing"

	"github.com/sharkauth/serverless/shared/store/table"
)

func TestSortKeyCondition(t *testing.T) {
	tests := []struct {
		name string
		r    table.KeyRange
		want string
	}{
		{name: "open", r: table.Query{Prefix: "", From: "", To: ""}.SortRange(), want: ""},
		{name: "prefix", r: table.Query{Prefix: "E#", From: "", To: ""}.SortRange(), want: "begins_with(#SK, :prefix)"},
		{name: "lower", r: table.Query{Prefix: "", From: "a", To: ""}.SortRange(), want: "#SK >= :lo"},
		{name: "upper", r: table.Query{Prefix: "", From: "", To: "b"}.SortRange(), want: "#SK < :hi"},
		{name: "both", r: table.Query{Prefix: "E#", From: "E#1", To: ""}.SortRange(), want: "#SK BETWEEN :lo AND :hi"},
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
