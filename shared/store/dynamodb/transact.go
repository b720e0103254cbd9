package dynamodb

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go/middleware"

	"github.com/sharkauth/serverless/shared/store/table"
)

// Cancellation reason codes of TransactWriteItems.
const (
	reasonConditionFailed = "ConditionalCheckFailed"
	reasonConflict        = "TransactionConflict"
	reasonNone            = "None"
	reasonThrottled       = "ThrottlingError"
	reasonThroughput      = "ProvisionedThroughputExceeded"
)

// Transact applies every write or none with one TransactWriteItems call (two
// when an unconditional put meets an expired item; see the package docs).
func (t *Table) Transact(ctx context.Context, writes []table.Write) error {
	if err := table.ValidateWrites(writes); err != nil {
		return err
	}
	for i, w := range writes {
		if w.Op == table.OpPut {
			if err := table.ValidateItem(w.Item); err != nil {
				return fmt.Errorf("dynamodb: transact: write %d: %w", i, err)
			}
		}
		if w.Cond.Kind > table.IfVersion {
			return fmt.Errorf("dynamodb: transact: write %d has unknown condition %d", i, w.Cond.Kind)
		}
	}
	now := t.unixNow()
	// replaceExpired[i]: write i is an Always put that met an expired item
	// and now replaces it at Version 1.
	replaceExpired := make([]bool, len(writes))
	for range maxAlwaysRounds {
		items := make([]types.TransactWriteItem, len(writes))
		for i, w := range writes {
			items[i] = t.txItem(w, replaceExpired[i], now)
		}
		// The token makes the SDK's own retries of this call idempotent: a
		// retry after a lost answer does not run the writes again (and so
		// cannot fail its own conditions).
		attempts := 0
		_, err := t.client.transactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items, ClientRequestToken: aws.String(requestToken())}, countAttempts(&attempts))
		if err == nil {
			return nil
		}
		var canceled *types.TransactionCanceledException
		if !errors.As(err, &canceled) {
			return opError("transact", err)
		}
		retry, err := cancellation(writes, canceled.CancellationReasons, replaceExpired)
		if !retry {
			var tc *table.TxCanceled
			if attempts > 1 && errors.As(err, &tc) && t.applied(ctx, writes) {
				// An SDK retry of a call whose first attempt was applied
				// (its answer lost) fails its own conditions: the writes
				// are in place, so it succeeded. DynamoDB itself would
				// say so through the ClientRequestToken; emulators may not.
				return nil
			}
			return err
		}
	}
	return fmt.Errorf("dynamodb: transact: concurrent writers kept keys changing: %w", table.ErrTxConflict)
}

// cancellation reads the reasons of a canceled transaction. A failed
// condition of a write other than an Always put is the answer. Failed Always
// puts flip between their two forms (replaceExpired) and ask for a retry.
func cancellation(writes []table.Write, reasons []types.CancellationReason, replaceExpired []bool) (retry bool, err error) {
	if len(reasons) != len(writes) {
		return false, fmt.Errorf("dynamodb: transact: canceled with %d reasons for %d writes", len(reasons), len(writes))
	}
	conflict, throttled := false, false
	var other []string
	for i, r := range reasons {
		switch code := aws.ToString(r.Code); code {
		case reasonConditionFailed:
			if !isAlwaysPut(writes[i]) {
				return false, &table.TxCanceled{Index: i}
			}
			replaceExpired[i] = !replaceExpired[i]
			retry = true
		case reasonConflict:
			conflict = true
		case reasonThrottled, reasonThroughput:
			throttled = true
		case reasonNone, "":
		default:
			other = append(other, fmt.Sprintf("write %d: %s", i, code))
		}
	}
	switch {
	case retry:
		return true, nil
	case conflict:
		return false, fmt.Errorf("dynamodb: transact: %w", table.ErrTxConflict)
	case throttled:
		return false, fmt.Errorf("dynamodb: transact: throttled: %w", table.ErrUnavailable)
	}
	return false, fmt.Errorf("dynamodb: transact: canceled (%s)", strings.Join(other, ", "))
}

func isAlwaysPut(w table.Write) bool { return w.Op == table.OpPut && w.Cond.Kind == table.Always }

// txItem is one write of TransactWriteItems, with the conditions and versions
// of Put and Delete.
func (t *Table) txItem(w table.Write, replaceExpired bool, now int64) types.TransactWriteItem {
	var e exprBuilder
	tableName := aws.String(t.name)
	switch w.Op {
	case table.OpPut:
		put := func(version int64, c condition) types.TransactWriteItem {
			p := &types.Put{TableName: tableName, Item: itemAttrs(w.Item, version), ConditionExpression: e.condition(c, w.Cond.Version, now)}
			p.ExpressionAttributeNames, p.ExpressionAttributeValues = e.names, e.values
			return types.TransactWriteItem{Put: p}
		}
		update := func(c condition) types.TransactWriteItem {
			u := &types.Update{TableName: tableName, Key: keyAttrs(w.Item.Key), UpdateExpression: e.update(w.Item), ConditionExpression: e.condition(c, 0, now)}
			u.ExpressionAttributeNames, u.ExpressionAttributeValues = e.names, e.values
			return types.TransactWriteItem{Update: u}
		}
		switch w.Cond.Kind {
		case table.IfAbsent:
			return put(1, condAbsent)
		case table.IfVersion:
			return put(w.Cond.Version+1, condVersion)
		case table.IfExists:
			return update(condExists)
		default: // table.Always
			if replaceExpired {
				return put(1, condAbsent)
			}
			return update(condAbsentOrLive)
		}
	case table.OpDelete:
		c, _ := deleteCondition(w.Cond) // conditions checked by Transact
		d := &types.Delete{TableName: tableName, Key: keyAttrs(w.Key), ConditionExpression: e.condition(c, w.Cond.Version, now)}
		d.ExpressionAttributeNames, d.ExpressionAttributeValues = e.names, e.values
		return types.TransactWriteItem{Delete: d}
	default: // table.OpCheck
		c, _ := deleteCondition(w.Cond)
		if c == condNone {
			c = condTrue
		}
		cc := &types.ConditionCheck{TableName: tableName, Key: keyAttrs(w.Key), ConditionExpression: e.condition(c, w.Cond.Version, now)}
		cc.ExpressionAttributeNames, cc.ExpressionAttributeValues = e.names, e.values
		return types.TransactWriteItem{ConditionCheck: cc}
	}
}

// requestToken is a ClientRequestToken: 32 random hex characters.
func requestToken() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// countAttempts counts the HTTP attempts of one call, SDK retries included.
func countAttempts(n *int) func(*dynamodb.Options) {
	return func(o *dynamodb.Options) {
		o.APIOptions = append(o.APIOptions, func(s *middleware.Stack) error {
			return s.Finalize.Add(middleware.FinalizeMiddlewareFunc("sharkauthCountAttempts",
				func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
					*n++
					return next.HandleFinalize(ctx, in)
				}), middleware.After)
		})
	}
}

// applied reports whether every write of a transaction is in place: each put's
// item stored with exactly its data, each deleted key absent. Puts carry
// unique ids (an audit event's at least), so their data identifies them.
func (t *Table) applied(ctx context.Context, writes []table.Write) bool {
	puts := 0
	for _, w := range writes {
		switch w.Op {
		case table.OpPut:
			it, err := t.Get(ctx, w.Item.Key)
			if err != nil || !bytes.Equal(it.Data, w.Item.Data) {
				return false
			}
			puts++
		case table.OpDelete:
			if _, err := t.Get(ctx, w.Key); !errors.Is(err, table.ErrNotFound) {
				return false
			}
		}
	}
	return puts > 0
}
