package dynamodb

import (
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/sharkauth/serverless/shared/store/table"
)

// Write units, as DynamoDB bills them (on-demand write request units; the
// same arithmetic gives provisioned write capacity units):
//
//   - an item's size is the sum, over its attributes, of the name's UTF-8
//     length plus the value's size: a string's UTF-8 length, a binary's byte
//     count, a number's 1 byte plus 1 per two significant digits;
//   - a write costs 1 unit per started KB of the item (at least 1);
//   - inside TransactWriteItems every write costs twice that;
//   - an item whose GSI1 keys are set is also written to GSI1, and one whose
//     GSI2 keys are set to GSI2 (projection ALL, infra/table.yaml): 1 more
//     unit per started KB of each index entry,
//     counted here as the item plus 100 bytes of index overhead (DynamoDB's
//     figure for an index entry's size), which can only round up.
//
// These functions size the attributes this engine stores (itemAttrs), so a
// test can count the units of the real items the store writes.

// indexEntryOverhead is the per-entry overhead DynamoDB counts in an index.
const indexEntryOverhead = 100

// ItemSize is the size DynamoDB counts for the stored form of it.
func ItemSize(it table.Item) int {
	n := 0
	for name, v := range itemAttrs(it, max(it.Version, 1)) {
		n += len(name) + valueSize(v)
	}
	return n
}

func valueSize(v types.AttributeValue) int {
	switch v := v.(type) {
	case *types.AttributeValueMemberS:
		return len(v.Value)
	case *types.AttributeValueMemberB:
		return len(v.Value)
	case *types.AttributeValueMemberN:
		digits := strings.Trim(strings.TrimLeft(v.Value, "-"), "0")
		digits = strings.ReplaceAll(digits, ".", "")
		return 1 + (len(digits)+1)/2
	}
	return 0
}

// units is 1 per started KB, at least 1.
func units(size int) int { return max(1, (size+1023)/1024) }

// Units is the write units of one write: to the table, and to its indexes.
type Units struct {
	Table, Index int
}

// Total is the units of the table and its index.
func (u Units) Total() int { return u.Table + u.Index }

// Add sums two counts.
func (u Units) Add(v Units) Units { return Units{u.Table + v.Table, u.Index + v.Index} }

// PutUnits is the write units of writing a new item it, alone (PutItem) or
// inside TransactWriteItems (transactional).
func PutUnits(it table.Item, transactional bool) Units {
	size := ItemSize(it)
	u := Units{Table: units(size)}
	if transactional {
		u.Table *= 2
	}
	for _, ix := range table.Indexes {
		if pk, _ := it.IndexKeys(ix); pk != "" {
			u.Index += units(size + indexEntryOverhead)
		}
	}
	return u
}

// TransactUnits is the write units of one TransactWriteItems of writes, all
// of whose puts create new items. A delete or a condition check is counted
// as a transactional write of a 1 KB item (its size is not known here).
func TransactUnits(writes []table.Write) Units {
	var u Units
	for _, w := range writes {
		if w.Op == table.OpPut {
			u = u.Add(PutUnits(w.Item, true))
		} else {
			u = u.Add(Units{Table: 2})
		}
	}
	return u
}
