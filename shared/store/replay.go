package store

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/sharkauth/serverless/shared/tenant"
)

// replayWrite is the conditional put of one replay mark: absent until now,
// expiring at its Until. A DPoP proof's mark is a placeholder at the token
// item's key the proof derives (tokenitem.go): the key a token issued with
// that proof is written at, so either refuses the other.
func replayWrite(sc scope, m ReplayMark) (write, error) {
	if m.Kind == "" || m.Value == "" || m.Until.IsZero() {
		return write{}, errors.New("store: replay mark without kind, value or expiry")
	}
	if m.Kind == "dpop" {
		return dpopPlaceholder(sc, m), nil
	}
	return put(Item{Key: replayKey(sc, m.Kind, m.Value), ExpiresAt: expirySeconds(m.Until), Data: []byte(m.Kind)}, CondAbsent), nil
}

// SpendMarks records replay marks outside a token issue: the DPoP proof and
// client assertion of a request refused after their signatures verified are
// spent all the same (RFC 9449 §11.1, RFC 7523 §3), so IssueToken later
// refuses them as ErrReplay. A mark already spent is no error and keeps its
// own expiry (a spend never shortens one). Fresh marks cost one table call;
// each mark found spent costs one more. On error nothing is written.
func (s *Store) SpendMarks(ctx context.Context, t tenant.ID, marks []ReplayMark) error {
	sc, err := scopeOf(t)
	if err != nil {
		return err
	}
	writes := make([]write, 0, len(marks))
	for _, m := range marks {
		w, err := replayWrite(sc, m)
		if err != nil {
			return err
		}
		writes = append(writes, w)
	}
	for attempt := 0; len(writes) > 0; attempt++ {
		if len(writes) == 1 {
			_, err = s.table.Put(ctx, writes[0].Item, writes[0].Cond)
			if errors.Is(err, ErrConditionFailed) {
				return nil
			}
			return err
		}
		err = s.table.Transact(ctx, writes)
		var canceled *TxCanceled
		switch {
		case err == nil:
			return nil
		case errors.As(err, &canceled) && canceled.Index >= 0 && canceled.Index < len(writes):
			writes = slices.Delete(slices.Clone(writes), canceled.Index, canceled.Index+1) // spent already
		case errors.Is(err, ErrTxConflict) && attempt < 2:
			// lost to a concurrent transaction: try again
		default:
			return fmt.Errorf("store: spend replay marks: %w", err)
		}
	}
	return nil
}
