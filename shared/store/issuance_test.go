package store

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/sharkauth/serverless/shared/tenant"
)

// failingTable cancels every transaction at write index, after recording it.
type failingTable struct {
	Table
	index  int
	writes []Write
}

func (f *failingTable) Transact(_ context.Context, w []Write) error {
	f.writes = w
	return &TxCanceled{Index: f.index}
}

// twoWrites is a step of two writes (as a refresh rotation will be: the old
// token's update and the new one's put) with its own refusal.
type twoWrites struct{ err error }

func (s twoWrites) writes(sc scope) ([]write, error) {
	return []write{put(Item{Key: replayKey(sc, "a", "1")}, CondAbsent), put(Item{Key: replayKey(sc, "b", "1")}, CondAbsent)}, nil
}

func (s twoWrites) refused(i int) error {
	return errors.Join(s.err, errors.New("write "+string(rune('0'+i))))
}

// A failing write answers the error of the step that made it, with the
// write's index within the step, whatever the steps before it.
func TestIssueStepRefusals(t *testing.T) {
	errFirst, errSecond := errors.New("first step"), errors.New("second step")
	now := time.Unix(1_800_000_000, 0)
	is := Issuance{
		Token: TokenRecord{JTI: "j", ClientID: "c", ExpiresAt: now.Add(time.Hour)},
		Marks: []ReplayMark{{Kind: "dpop", Value: "p", Until: now.Add(time.Minute)}},
		Steps: []IssueStep{twoWrites{errFirst}, twoWrites{errSecond}},
	}
	cases := []struct {
		index int
		want  error
		write string
	}{
		{0, ErrReplay, ""},
		{1, errFirst, "write 0"},
		{2, errFirst, "write 1"},
		{3, errSecond, "write 0"},
		{4, errSecond, "write 1"},
		{5, ErrConflict, ""}, // the token's own put
	}
	for _, tc := range cases {
		tbl := &failingTable{index: tc.index}
		err := New(tbl, func() time.Time { return now }).IssueToken(t.Context(), tenant.MustID("acme"), is)
		if !errors.Is(err, tc.want) || (tc.write != "" && !containsText(err, tc.write)) {
			t.Errorf("write %d failing: %v, want %v %s", tc.index, err, tc.want, tc.write)
		}
		if len(tbl.writes) != 7 {
			t.Fatalf("%d writes in the transaction, want 7 (mark, 2×2 steps, token, event)", len(tbl.writes))
		}
	}
}

func containsText(err error, s string) bool {
	for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
		if e.Error() == s {
			return true
		}
	}
	return false
}
