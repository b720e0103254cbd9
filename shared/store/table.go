package store

import "github.com/sharkauth/serverless/shared/store/table"

// The table contract lives in shared/store/table, which the engines import
// without the domain. These aliases let the domain store and its callers keep
// writing store.Table, store.Item, store.ErrNotFound...

type (
	Table      = table.Table
	Key        = table.Key
	Item       = table.Item
	CondKind   = table.CondKind
	Cond       = table.Cond
	WriteOp    = table.WriteOp
	Write      = table.Write
	Index      = table.Index
	Query      = table.Query
	Position   = table.Position
	Page       = table.Page
	TxCanceled = table.TxCanceled
)

// Condition kinds, write ops and indexes (table.*).
const (
	Always    = table.Always
	IfAbsent  = table.IfAbsent
	IfExists  = table.IfExists
	IfVersion = table.IfVersion

	OpPut    = table.OpPut
	OpDelete = table.OpDelete
	OpCheck  = table.OpCheck

	Primary = table.Primary
	GSI1    = table.GSI1
	GSI2    = table.GSI2

	MaxTransactItems  = table.MaxTransactItems
	DefaultQueryLimit = table.DefaultQueryLimit
	MaxQueryLimit     = table.MaxQueryLimit
)

// Conditions and engine errors (table.*).
var (
	CondAlways = table.CondAlways
	CondAbsent = table.CondAbsent
	CondExists = table.CondExists

	ErrNotFound        = table.ErrNotFound
	ErrConditionFailed = table.ErrConditionFailed
	ErrTxConflict      = table.ErrTxConflict
	ErrUnavailable     = table.ErrUnavailable
)

// CondVersion requires the live item to be at version v (table.CondVersion).
func CondVersion(v int64) Cond { return table.CondVersion(v) }

// transient is an error that a later retry may not meet (ErrContended). Its
// Unavailable method is how packages that cannot import the store (httpx)
// recognise it.
type transient string

func (e transient) Error() string { return string(e) }

// Unavailable reports that the error is transient.
func (transient) Unavailable() bool { return true }
