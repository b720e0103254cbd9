package tabletest

import (
	"context"
	"errors"
	"sync"

	"github.com/sharkauth/serverless/shared/store/table"
)

// ErrInjected is the error a Faulty table returns instead of doing the call.
var ErrInjected = errors.New("tabletest: injected fault")

// Faulty wraps a table and fails its FailAt-th call (1-based) without running
// it; 0 never fails. Calls counts every call.
type Faulty struct {
	table.Table
	mu     sync.Mutex
	FailAt int
	Calls  int
	// Before, when set, runs before call BeforeAt (1-based, counted like
	// FailAt): a concurrent change between two calls of one operation.
	Before   func()
	BeforeAt int
	// refuse, when set (RefuseReads), answers the reads of a partition
	// (a Get's PK, a Query's partition) with its error instead.
	refuse func(partition string) error
}

// RefuseReads makes every Get and Query of a partition for which refuse
// answers an error fail with it (nil refuse reads everything again): an
// unreadable kind of record, e.g. a user's cascade marker.
func (f *Faulty) RefuseReads(refuse func(partition string) error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.refuse = refuse
}

func (f *Faulty) refused(partition string) error {
	f.mu.Lock()
	refuse := f.refuse
	f.mu.Unlock()
	if refuse == nil {
		return nil
	}
	return refuse(partition)
}

func (f *Faulty) fault() error {
	f.mu.Lock()
	f.Calls++
	fail := f.Calls == f.FailAt
	var before func()
	if f.Before != nil && f.Calls == f.BeforeAt {
		before, f.Before = f.Before, nil
	}
	f.mu.Unlock()
	if before != nil {
		before()
	}
	if fail {
		return ErrInjected
	}
	return nil
}

// Count is how many calls the table received so far (Calls, read under the
// lock: a harness reads it while requests run).
func (f *Faulty) Count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.Calls
}

// Interleave resets the call count and runs fn before the n-th call from now.
func (f *Faulty) Interleave(n int, fn func()) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.Calls, f.FailAt, f.BeforeAt, f.Before = 0, 0, n, fn
}

// Arm resets the call count and fails the n-th call from now.
func (f *Faulty) Arm(n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.Calls, f.FailAt = 0, n
}

func (f *Faulty) Get(ctx context.Context, k table.Key) (table.Item, error) {
	if err := f.fault(); err != nil {
		return table.Item{}, err
	}
	if err := f.refused(k.PK); err != nil {
		return table.Item{}, err
	}
	return f.Table.Get(ctx, k)
}

func (f *Faulty) Put(ctx context.Context, it table.Item, c table.Cond) (int64, error) {
	if err := f.fault(); err != nil {
		return 0, err
	}
	return f.Table.Put(ctx, it, c)
}

func (f *Faulty) Delete(ctx context.Context, k table.Key, c table.Cond) error {
	if err := f.fault(); err != nil {
		return err
	}
	return f.Table.Delete(ctx, k, c)
}

func (f *Faulty) Query(ctx context.Context, q table.Query) (table.Page, error) {
	if err := f.fault(); err != nil {
		return table.Page{}, err
	}
	if err := f.refused(q.Partition); err != nil {
		return table.Page{}, err
	}
	return f.Table.Query(ctx, q)
}

func (f *Faulty) Transact(ctx context.Context, w []table.Write) error {
	if err := f.fault(); err != nil {
		return err
	}
	return f.Table.Transact(ctx, w)
}

// Outage wraps a table and answers its FailAt-th call (1-based, counted from
// the last Arm) with Err(op) instead of running it, op being "get", "put",
// "delete", "query" or "transact"; 0 never fails. It also records the keys of
// the writes that succeeded since the last Arm, so a test can check that a
// request answered with an error left nothing half written.
type Outage struct {
	table.Table
	Err func(op string) error

	mu      sync.Mutex
	failAt  int
	calls   int
	failed  bool
	written []table.Key
}

// Arm resets the count and the recorded writes and fails the n-th call from
// now (0: none).
func (o *Outage) Arm(n int) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.failAt, o.calls, o.failed, o.written = n, 0, false, nil
}

// Calls is the number of calls since the last Arm; Failed reports whether
// the armed call was reached.
func (o *Outage) Calls() (calls int, failed bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.calls, o.failed
}

// Written returns the keys of the writes that succeeded since the last Arm.
func (o *Outage) Written() []table.Key {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]table.Key(nil), o.written...)
}

func (o *Outage) call(op string) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.calls++
	if o.calls == o.failAt {
		o.failed = true
		return o.Err(op)
	}
	return nil
}

func (o *Outage) wrote(err error, keys ...table.Key) {
	if err != nil {
		return
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	o.written = append(o.written, keys...)
}

func (o *Outage) Get(ctx context.Context, k table.Key) (table.Item, error) {
	if err := o.call("get"); err != nil {
		return table.Item{}, err
	}
	return o.Table.Get(ctx, k)
}

func (o *Outage) Put(ctx context.Context, it table.Item, c table.Cond) (int64, error) {
	if err := o.call("put"); err != nil {
		return 0, err
	}
	v, err := o.Table.Put(ctx, it, c)
	o.wrote(err, it.Key)
	return v, err
}

func (o *Outage) Delete(ctx context.Context, k table.Key, c table.Cond) error {
	if err := o.call("delete"); err != nil {
		return err
	}
	err := o.Table.Delete(ctx, k, c)
	o.wrote(err, k)
	return err
}

func (o *Outage) Query(ctx context.Context, q table.Query) (table.Page, error) {
	if err := o.call("query"); err != nil {
		return table.Page{}, err
	}
	return o.Table.Query(ctx, q)
}

func (o *Outage) Transact(ctx context.Context, w []table.Write) error {
	if err := o.call("transact"); err != nil {
		return err
	}
	err := o.Table.Transact(ctx, w)
	keys := make([]table.Key, 0, len(w))
	for _, x := range w {
		if x.Op != table.OpCheck {
			keys = append(keys, x.Target())
		}
	}
	o.wrote(err, keys...)
	return err
}
