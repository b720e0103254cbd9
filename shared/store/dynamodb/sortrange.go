package dynamodb

import "github.com/sharkauth/serverless/shared/store/table"

// sortKeyCondition returns the sort-key part of a key condition expression
// (without the partition part), or "" when the range is open.
func (e *exprBuilder) sortKeyCondition(attr string, r table.KeyRange) string {
	switch {
	case r.Prefix != "":
		return "begins_with(" + e.name(attr) + ", " + e.value(":prefix", str(r.Prefix)) + ")"
	case r.Lo != "" && r.HasHi:
		// BETWEEN is inclusive: Query drops the key equal to hi.
		return e.name(attr) + " BETWEEN " + e.value(":lo", str(r.Lo)) + " AND " + e.value(":hi", str(r.Hi))
	case r.Lo != "":
		return e.name(attr) + " >= " + e.value(":lo", str(r.Lo))
	case r.HasHi:
		return e.name(attr) + " < " + e.value(":hi", str(r.Hi))
	}
	return ""
}
