package dynamodb

import (
	"strings"
	"testing"

	"github.com/sharkauth/serverless/shared/store/table"
)

// The sizes and units follow DynamoDB's rules for the attributes this engine
// stores: names count, numbers take 1 byte plus 1 per two significant digits.
func TestWriteUnits(t *testing.T) {
	small := table.Item{Key: table.Key{PK: "T#a#X#1", SK: "X"}, ExpiresAt: 1_800_000_000, Data: []byte("{}")}
	// PK 2+7, SK 2+1, ExpiresAt 9+2 ("18"), Data 4+2, Version 7+2 ("1").
	if got, want := ItemSize(small), 9+3+11+6+9; got != want {
		t.Errorf("ItemSize = %d, want %d", got, want)
	}
	if u := PutUnits(small, false); u != (Units{Table: 1}) {
		t.Errorf("PutItem of a small item: %+v, want 1 table unit", u)
	}
	if u := PutUnits(small, true); u != (Units{Table: 2}) {
		t.Errorf("transactional put of a small item: %+v, want 2 table units", u)
	}
	indexed := small
	indexed.GSI1PK, indexed.GSI1SK = "T#a#IDX", "1"
	if u := PutUnits(indexed, false); u != (Units{Table: 1, Index: 1}) {
		t.Errorf("PutItem of an indexed item: %+v, want 1 + 1", u)
	}
	// In both indexes: one entry each, and GSI2's attributes count in the size.
	twice := indexed
	twice.GSI2PK, twice.GSI2SK = "T#a#I2", "2"
	if got, want := ItemSize(twice), ItemSize(indexed)+6+6+6+1; got != want {
		t.Errorf("ItemSize with GSI2 keys = %d, want %d", got, want)
	}
	if u := PutUnits(twice, false); u != (Units{Table: 1, Index: 2}) {
		t.Errorf("PutItem of an item in GSI1 and GSI2: %+v, want 1 + 2", u)
	}
	// An item just under 1 KB whose index entry (+100 bytes) is over it.
	near := indexed
	near.Data = []byte(strings.Repeat("x", 1000-ItemSize(indexed)+len(indexed.Data)))
	if ItemSize(near) != 1000 {
		t.Fatalf("ItemSize = %d, want 1000", ItemSize(near))
	}
	if u := PutUnits(near, false); u != (Units{Table: 1, Index: 2}) {
		t.Errorf("PutItem of a 1000-byte indexed item: %+v, want 1 + 2", u)
	}
	big := small
	big.Data = []byte(strings.Repeat("x", 2048))
	if u := PutUnits(big, true); u != (Units{Table: 6}) {
		t.Errorf("transactional put of a 2 KB+ item: %+v, want 6", u)
	}
	tx := TransactUnits([]table.Write{{Op: table.OpPut, Item: indexed}, {Op: table.OpCheck, Key: small.Key}})
	if tx != (Units{Table: 4, Index: 1}) {
		t.Errorf("TransactUnits = %+v, want 4 + 1", tx)
	}
}
