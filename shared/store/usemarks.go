package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/sharkauth/serverless/shared/tenant"
)

// UseMarks records single-use marks where no token is issued (the client
// assertion of a revocation or introspection request, RFC 7523 §3): all of
// them, or none when one was used already (ErrReplay). Unlike SpendMarks, a
// mark found spent is a refusal.
func (s *Store) UseMarks(ctx context.Context, t tenant.ID, marks []ReplayMark) error {
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
	switch len(writes) {
	case 0:
		return nil
	case 1:
		_, err = s.table.Put(ctx, writes[0].Item, writes[0].Cond)
		if errors.Is(err, ErrConditionFailed) {
			return marks[0].refused(0)
		}
		return err
	}
	err = s.table.Transact(ctx, writes)
	var canceled *TxCanceled
	switch {
	case errors.As(err, &canceled) && canceled.Index >= 0 && canceled.Index < len(marks):
		return marks[canceled.Index].refused(canceled.Index)
	case err != nil:
		return fmt.Errorf("store: use replay marks: %w", err)
	}
	return nil
}
