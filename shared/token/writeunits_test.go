package token

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/sharkauth/serverless/shared/store"
	"github.com/sharkauth/serverless/shared/store/dynamodb"
)

// writeRecorder records what the store writes, as the table sees it (after
// the store's audit wrapper has added the event's expiry and target item).
type writeRecorder struct {
	store.Table
	mu    sync.Mutex
	calls []recordedWrite
}

type recordedWrite struct {
	op     string
	writes []store.Write
}

func (r *writeRecorder) record(op string, ws []store.Write) {
	r.mu.Lock()
	r.calls = append(r.calls, recordedWrite{op, ws})
	r.mu.Unlock()
}

func (r *writeRecorder) Put(ctx context.Context, it store.Item, c store.Cond) (int64, error) {
	r.record("PutItem", []store.Write{{Op: store.OpPut, Item: it, Cond: c}})
	return r.Table.Put(ctx, it, c)
}

func (r *writeRecorder) Delete(ctx context.Context, k store.Key, c store.Cond) error {
	r.record("DeleteItem", []store.Write{{Op: store.OpDelete, Key: k, Cond: c}})
	return r.Table.Delete(ctx, k, c)
}

func (r *writeRecorder) Transact(ctx context.Context, ws []store.Write) error {
	r.record("TransactWriteItems", ws)
	return r.Table.Transact(ctx, ws)
}

func (r *writeRecorder) reset() {
	r.mu.Lock()
	r.calls = nil
	r.mu.Unlock()
}

// units is the DynamoDB write units of the recorded calls and a line per item.
func (r *writeRecorder) units() (dynamodb.Units, []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var total dynamodb.Units
	var lines []string
	for _, c := range r.calls {
		for _, w := range c.writes {
			var u dynamodb.Units
			switch {
			case w.Op == store.OpPut:
				u = dynamodb.PutUnits(w.Item, c.op == "TransactWriteItems")
			case c.op == "TransactWriteItems":
				u = dynamodb.TransactUnits([]store.Write{w})
			default:
				u = dynamodb.Units{Table: 1}
			}
			total = total.Add(u)
			k := w.Target()
			lines = append(lines, fmt.Sprintf("%s %s/%s: %d bytes, %d table + %d index units",
				c.op, kind(k.PK), k.SK[:min(len(k.SK), 12)], dynamodb.ItemSize(w.Item), u.Table, u.Index))
		}
	}
	return total, lines
}

// kind is the record kind of a partition key (T#<tenant>#KIND#...).
func kind(pk string) string {
	parts := strings.SplitN(pk, "#", 4)
	if len(parts) < 3 {
		return pk
	}
	return parts[2]
}

// wruBudget is the most DynamoDB write units one client_credentials + DPoP
// token may cost, counting item sizes, the transaction surcharge and every
// GSI write (issue 23, budget 5: 3). Today's layout costs wruToday: ONE
// PutItem, conditioned on the key's absence, of one token item under 1 KB
// (the token record and its issue event together; its key derives from the
// DPoP proof, so the proof's replay mark is the item itself), in GSI1 (the
// client's tokens) and GSI2 (the trail's time order): 1 + 1 + 1. Before,
// it was one TransactWriteItems of three items: 3 × 2 + 2 index entries = 8.
const (
	wruBudget = 3
	wruToday  = 3
	// wruMaxItem is the largest item whose index entries cost 1 unit each:
	// 1 KB less DynamoDB's 100 bytes of index-entry overhead.
	wruMaxItem = 1024 - 100
)

// TestDPoPTokenWriteUnits counts, from the items the store really writes for
// one DPoP client_credentials token, the write units DynamoDB bills for them
// (dynamodb.PutUnits: 1 per started KB, ×2 in a transaction, plus the GSI1
// entry of every item that has GSI1 keys).
func TestDPoPTokenWriteUnits(t *testing.T) {
	rec := &writeRecorder{}
	hs := newHarness(t, func(tb store.Table) store.Table { rec.Table = tb; return rec })
	p := newProver(t)
	hs.client("acme", store.Client{ClientID: "budget", Scopes: []string{"mcp:read"}, Active: true, DPoPBound: true})
	token := func() {
		w := hs.do(call{form: form("grant_type", "client_credentials", "client_id", "budget", "client_secret", secret, "audience", "https://mcp.example.com"),
			dpop: []string{p.proofAt(t, "POST", tokenURL, hs.now, "")}})
		if w.Code != 200 {
			t.Fatalf("token: %d %s", w.Code, w.Body)
		}
	}
	token() // warm-up
	rec.reset()
	token()
	u, lines := rec.units()
	for _, l := range lines {
		t.Log(l)
	}
	t.Logf("one DPoP token: %d write units (%d table, %d index)", u.Total(), u.Table, u.Index)
	// $0.625 per million write request units (on-demand, us-east-1).
	t.Logf("DynamoDB writes per million tokens: $%.2f (budget %d units: $%.2f)", 0.625*float64(u.Total()), wruBudget, 0.625*wruBudget)
	if u.Total() > wruToday {
		t.Errorf("one DPoP token costs %d DynamoDB write units, more than today's %d (budget %d)", u.Total(), wruToday, wruBudget)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.calls) != 1 || rec.calls[0].op != "PutItem" || len(rec.calls[0].writes) != 1 {
		t.Fatalf("one DPoP token: %d calls (%v), want one PutItem of one item", len(rec.calls), lines)
	}
	if size := dynamodb.ItemSize(rec.calls[0].writes[0].Item); size > wruMaxItem {
		t.Errorf("the token item is %d bytes, more than %d", size, wruMaxItem)
	}
}

// TestDPoPTokenWriteUnitsWorstCase: the largest DPoP client_credentials token
// the endpoint accepts (a 4,096-byte scope, ten audiences as long as the
// 64 KB form leaves them, both of a character JSON escapes sixfold, a long
// user agent) is still ONE PutItem
// and is issued: its item is far over 924 bytes, so it costs more units
// (1 per started KB, twice more for its two index entries), never a failure
// (DynamoDB's item limit is 400 KB). The stored user agent is capped.
func TestDPoPTokenWriteUnitsWorstCase(t *testing.T) {
	rec := &writeRecorder{}
	hs := newHarness(t, func(tb store.Table) store.Table { rec.Table = tb; return rec })
	p := newProver(t)
	var scopes []string
	for i := 0; len(strings.Join(scopes, " ")) < 4096-70; i++ {
		scopes = append(scopes, fmt.Sprintf("s%02d%s", i, strings.Repeat("<", 60)))
	}
	scope := strings.Join(scopes, " ")
	hs.client("acme", store.Client{ClientID: "worst", Scopes: scopes, Active: true, DPoPBound: true})
	fv := form("grant_type", "client_credentials", "client_id", "worst", "client_secret", secret, "scope", scope)
	for i := range 10 {
		a := fmt.Sprintf("https://mcp%d.example.com/", i)
		fv.Add("audience", a+strings.Repeat("<", 1600))
	}
	rec.reset()
	w := hs.do(call{form: fv, dpop: []string{p.proofAt(t, "POST", tokenURL, hs.now, "")},
		headers: map[string]string{"User-Agent": strings.Repeat("ü", 400)}})
	if w.Code != 200 {
		t.Fatalf("worst-case token: %d %s", w.Code, w.Body)
	}
	u, lines := rec.units()
	for _, l := range lines {
		t.Log(l)
	}
	rec.mu.Lock()
	calls := rec.calls
	rec.mu.Unlock()
	var item store.Item
	for _, c := range calls {
		if c.op == "PutItem" && strings.Contains(c.writes[0].Item.PK, "#TOKEN2#") {
			item = c.writes[0].Item
		}
	}
	size := dynamodb.ItemSize(item)
	kb := func(n int) int { return (n + 1023) / 1024 }
	if want := kb(size) + 2*kb(size+100); u.Total() != want || size > 400*1024 {
		t.Errorf("worst case: %d bytes, %d units, want %d", size, u.Total(), want)
	}
	t.Logf("worst-case DPoP token: item %d bytes, %d write units (%d table, %d index)", size, u.Total(), u.Table, u.Index)
	if strings.Contains(string(item.Data), strings.Repeat("ü", 65)) {
		t.Error("the stored user agent is not capped at 128 bytes")
	}
}
