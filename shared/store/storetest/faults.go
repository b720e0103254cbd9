package storetest

import (
	"context"
	"errors"
	"sync"

	"github.com/sharkauth/serverless/shared/store"
)

// ErrInjected is the error a Faulty table returns instead of doing the call.
var ErrInjected = errors.New("storetest: injected fault")

// Faulty wraps a table and fails its FailAt-th call (1-based) without running
// it; 0 never fails. Calls counts every call.
type Faulty struct {
	store.Table
	mu     sync.Mutex
	FailAt int
	Calls  int
	// Before, when set, runs before call BeforeAt (1-based, counted like
	// FailAt): a concurrent change between two calls of one operation.
	Before   func()
	BeforeAt int
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

func (f *Faulty) Get(ctx context.Context, k store.Key) (store.Item, error) {
	if err := f.fault(); err != nil {
		return store.Item{}, err
	}
	return f.Table.Get(ctx, k)
}

func (f *Faulty) Put(ctx context.Context, it store.Item, c store.Cond) (int64, error) {
	if err := f.fault(); err != nil {
		return 0, err
	}
	return f.Table.Put(ctx, it, c)
}

func (f *Faulty) Delete(ctx context.Context, k store.Key, c store.Cond) error {
	if err := f.fault(); err != nil {
		return err
	}
	return f.Table.Delete(ctx, k, c)
}

func (f *Faulty) Query(ctx context.Context, q store.Query) (store.Page, error) {
	if err := f.fault(); err != nil {
		return store.Page{}, err
	}
	return f.Table.Query(ctx, q)
}

func (f *Faulty) Transact(ctx context.Context, w []store.Write) error {
	if err := f.fault(); err != nil {
		return err
	}
	return f.Table.Transact(ctx, w)
}
