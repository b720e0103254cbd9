package store

import (
	"context"
	"testing"
)

// memTable is just enough of a Table for the cursor secret.
type memTable struct {
	Table
	items map[Key]Item
}

func (m *memTable) Get(_ context.Context, k Key) (Item, error) {
	it, ok := m.items[k]
	if !ok {
		return Item{}, ErrNotFound
	}
	return it, nil
}

func (m *memTable) Put(_ context.Context, it Item, c Cond) (int64, error) {
	if _, ok := m.items[it.Key]; ok && c.Kind == IfAbsent {
		return 0, ErrConditionFailed
	}
	m.items[it.Key] = it
	return 1, nil
}

// FuzzCursor: a token opens only under the binding it was sealed with, and
// nothing else a client can send opens at all.
func FuzzCursor(f *testing.F) {
	c := cursorSealer{table: &memTable{items: map[Key]Item{}}}
	ctx := context.Background()
	good, err := c.seal(ctx, Position{PK: "T#a#CLIENTS", SK: "x", GSI1SK: "1"}, "T#a|clients")
	if err != nil {
		f.Fatal(err)
	}
	// The last character with other low bits: the same bytes under a lax decoder.
	last := good[len(good)-1]
	twin := good[:len(good)-1] + string(last^1)
	for _, s := range []string{good, twin, good[:len(good)-1], good + "A", "", "AAAA", "not a cursor"} {
		f.Add(s, "T#a|clients")
		f.Add(s, "T#b|clients")
	}
	f.Fuzz(func(t *testing.T, token, binding string) {
		pos, err := c.open(ctx, token, binding)
		if err != nil {
			if err != ErrBadCursor {
				t.Fatalf("open failed with %v, not ErrBadCursor", err)
			}
			return
		}
		if token != good || binding != "T#a|clients" || pos.SK != "x" {
			t.Fatalf("opened a cursor that was never sealed for this binding: %q %q → %+v", token, binding, pos)
		}
	})
}
