package dynamodb

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"

	"github.com/sharkauth/serverless/shared/awserr"
	"github.com/sharkauth/serverless/shared/store/table"
)

// Attribute names of the table (infra/table.yaml).
const (
	attrPK        = "PK"
	attrSK        = "SK"
	attrGSI1PK    = "GSI1PK"
	attrGSI1SK    = "GSI1SK"
	attrGSI2PK    = "GSI2PK"
	attrGSI2SK    = "GSI2SK"
	attrExpiresAt = "ExpiresAt"
	attrVersion   = "Version"
	attrData      = "Data"

	indexGSI1 = "GSI1"
	indexGSI2 = "GSI2"
)

// maxAlwaysRounds bounds how often an unconditional put switches between its
// "absent or live" and "expired" forms while other writers race it.
const maxAlwaysRounds = 4

// Table is table.Table over one DynamoDB table.
type Table struct {
	client calls
	name   string
	now    func() time.Time
}

var _ table.Table = (*Table)(nil)

// New returns the engine for the table called name. now is the clock that
// decides expiry; nil means time.Now.
func New(client *dynamodb.Client, name string, now func() time.Time) *Table {
	if now == nil {
		now = time.Now
	}
	return &Table{client: callsOf(client), name: name, now: now}
}

func (t *Table) unixNow() int64 { return t.now().Unix() }

// Get reads one item with strong consistency.
func (t *Table) Get(ctx context.Context, key table.Key) (table.Item, error) {
	if err := checkKey(key); err != nil {
		return table.Item{}, fmt.Errorf("dynamodb: get: %w", err)
	}
	out, err := t.client.getItem(ctx, &dynamodb.GetItemInput{
		TableName:      aws.String(t.name),
		Key:            keyAttrs(key),
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return table.Item{}, opError("get", err)
	}
	if out.Item == nil {
		return table.Item{}, table.ErrNotFound
	}
	it, err := decodeItem(out.Item)
	if err != nil {
		return table.Item{}, err
	}
	if !it.Live(t.unixNow()) {
		return table.Item{}, table.ErrNotFound
	}
	return it, nil
}

// Put writes a whole item if cond holds and returns its new Version (see the
// package documentation for how each condition computes it).
func (t *Table) Put(ctx context.Context, item table.Item, cond table.Cond) (int64, error) {
	if err := table.ValidateItem(item); err != nil {
		return 0, fmt.Errorf("dynamodb: put: %w", err)
	}
	now := t.unixNow()
	switch cond.Kind {
	case table.IfAbsent:
		return versionOf(1, t.putItem(ctx, item, 1, condAbsent, 0, now))
	case table.IfVersion:
		return versionOf(cond.Version+1, t.putItem(ctx, item, cond.Version+1, condVersion, cond.Version, now))
	case table.IfExists:
		return t.updateItem(ctx, item, condExists, now)
	case table.Always:
		for range maxAlwaysRounds {
			v, err := t.updateItem(ctx, item, condAbsentOrLive, now)
			if !errors.Is(err, table.ErrConditionFailed) {
				return v, err
			}
			// An expired item is in the way: replace it, starting over at 1.
			err = t.putItem(ctx, item, 1, condAbsent, 0, now)
			if !errors.Is(err, table.ErrConditionFailed) {
				return versionOf(1, err)
			}
			// A live item appeared in between: update it after all.
		}
		return 0, fmt.Errorf("dynamodb: put: concurrent writers kept the key changing: %w", table.ErrTxConflict)
	default:
		return 0, fmt.Errorf("dynamodb: put: unknown condition %d", cond.Kind)
	}
}

// versionOf returns v when the write succeeded and 0 with its error otherwise.
func versionOf(v int64, err error) (int64, error) {
	if err != nil {
		return 0, err
	}
	return v, nil
}

func (t *Table) putItem(ctx context.Context, item table.Item, version int64, c condition, condVer, now int64) error {
	var e exprBuilder
	in := &dynamodb.PutItemInput{
		TableName:           aws.String(t.name),
		Item:                itemAttrs(item, version),
		ConditionExpression: e.condition(c, condVer, now),
	}
	in.ExpressionAttributeNames, in.ExpressionAttributeValues = e.names, e.values
	if _, err := t.client.putItem(ctx, in); err != nil {
		return opError("put", err)
	}
	return nil
}

func (t *Table) updateItem(ctx context.Context, item table.Item, c condition, now int64) (int64, error) {
	var e exprBuilder
	in := &dynamodb.UpdateItemInput{
		TableName:           aws.String(t.name),
		Key:                 keyAttrs(item.Key),
		UpdateExpression:    e.update(item),
		ConditionExpression: e.condition(c, 0, now),
		ReturnValues:        types.ReturnValueUpdatedNew,
	}
	in.ExpressionAttributeNames, in.ExpressionAttributeValues = e.names, e.values
	out, err := t.client.updateItem(ctx, in)
	if err != nil {
		return 0, opError("put", err)
	}
	v, err := numberAttr(out.Attributes, attrVersion)
	if err != nil {
		return 0, fmt.Errorf("dynamodb: put: updated item: %w", err)
	}
	return v, nil
}

// Delete removes the item at key if cond holds.
func (t *Table) Delete(ctx context.Context, key table.Key, cond table.Cond) error {
	if err := checkKey(key); err != nil {
		return fmt.Errorf("dynamodb: delete: %w", err)
	}
	c, err := deleteCondition(cond)
	if err != nil {
		return fmt.Errorf("dynamodb: delete: %w", err)
	}
	var e exprBuilder
	in := &dynamodb.DeleteItemInput{
		TableName:           aws.String(t.name),
		Key:                 keyAttrs(key),
		ConditionExpression: e.condition(c, cond.Version, t.unixNow()),
	}
	in.ExpressionAttributeNames, in.ExpressionAttributeValues = e.names, e.values
	if _, err := t.client.deleteItem(ctx, in); err != nil {
		return opError("delete", err)
	}
	return nil
}

// deleteCondition maps a store condition of a delete or check to a condition.
func deleteCondition(cond table.Cond) (condition, error) {
	switch cond.Kind {
	case table.Always:
		return condNone, nil
	case table.IfAbsent:
		return condAbsent, nil
	case table.IfExists:
		return condExists, nil
	case table.IfVersion:
		return condVersion, nil
	}
	return condNone, fmt.Errorf("unknown condition %d", cond.Kind)
}

// condition is a DynamoDB condition expression over one item.
type condition uint8

const (
	condNone condition = iota
	// condAbsent: no live item (absent, or expired and not yet deleted).
	condAbsent
	// condExists: a live item.
	condExists
	// condVersion: a live item at a given version.
	condVersion
	// condAbsentOrLive: anything but an expired item.
	condAbsentOrLive
	// condTrue always holds (a ConditionCheck needs some expression).
	condTrue
)

// exprBuilder collects the placeholders an expression uses: DynamoDB rejects
// names and values that no expression refers to.
type exprBuilder struct {
	names  map[string]string
	values map[string]types.AttributeValue
}

func (e *exprBuilder) name(attr string) string {
	if e.names == nil {
		e.names = make(map[string]string)
	}
	ph := "#" + attr
	e.names[ph] = attr
	return ph
}

func (e *exprBuilder) value(ph string, v types.AttributeValue) string {
	if e.values == nil {
		e.values = make(map[string]types.AttributeValue)
	}
	e.values[ph] = v
	return ph
}

// condition returns the expression for c, or nil for condNone.
func (e *exprBuilder) condition(c condition, version, now int64) *string {
	pk, exp := "", ""
	if c != condNone {
		pk = e.name(attrPK)
	}
	live := func() string {
		exp = e.name(attrExpiresAt)
		return fmt.Sprintf("(attribute_not_exists(%s) OR %s > %s)", exp, exp, e.value(":now", number(now)))
	}
	var s string
	switch c {
	case condNone:
		return nil
	case condAbsent:
		exp = e.name(attrExpiresAt)
		s = fmt.Sprintf("attribute_not_exists(%s) OR %s <= %s", pk, exp, e.value(":now", number(now)))
	case condExists:
		s = fmt.Sprintf("attribute_exists(%s) AND %s", pk, live())
	case condVersion:
		s = fmt.Sprintf("attribute_exists(%s) AND %s AND %s = %s", pk, live(), e.name(attrVersion), e.value(":ver", number(version)))
	case condAbsentOrLive:
		s = fmt.Sprintf("attribute_not_exists(%s) OR %s", pk, live())
	case condTrue:
		s = fmt.Sprintf("attribute_exists(%s) OR attribute_not_exists(%s)", pk, pk)
	default:
		panic(fmt.Sprintf("dynamodb: unknown condition %d", c))
	}
	return aws.String(s)
}

// update returns the update expression that makes the stored item equal to it,
// with Version = the stored Version + 1 (1 when there is none).
func (e *exprBuilder) update(it table.Item) *string {
	var set, remove []string
	opt := func(attr string, present bool, v func() types.AttributeValue) {
		if present {
			set = append(set, e.name(attr)+" = "+e.value(":"+attr, v()))
		} else {
			remove = append(remove, e.name(attr))
		}
	}
	opt(attrGSI1PK, it.GSI1PK != "", func() types.AttributeValue { return str(it.GSI1PK) })
	opt(attrGSI1SK, it.GSI1SK != "", func() types.AttributeValue { return str(it.GSI1SK) })
	opt(attrGSI2PK, it.GSI2PK != "", func() types.AttributeValue { return str(it.GSI2PK) })
	opt(attrGSI2SK, it.GSI2SK != "", func() types.AttributeValue { return str(it.GSI2SK) })
	opt(attrExpiresAt, it.ExpiresAt != 0, func() types.AttributeValue { return number(it.ExpiresAt) })
	opt(attrData, len(it.Data) > 0, func() types.AttributeValue { return &types.AttributeValueMemberB{Value: it.Data} })
	ver := e.name(attrVersion)
	set = append(set, fmt.Sprintf("%s = if_not_exists(%s, %s) + %s", ver, ver, e.value(":zero", number(0)), e.value(":one", number(1))))
	s := "SET " + strings.Join(set, ", ")
	if len(remove) > 0 {
		s += " REMOVE " + strings.Join(remove, ", ")
	}
	return aws.String(s)
}

func str(s string) types.AttributeValue { return &types.AttributeValueMemberS{Value: s} }

func number(n int64) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(n, 10)}
}

func keyAttrs(k table.Key) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{attrPK: str(k.PK), attrSK: str(k.SK)}
}

// itemAttrs is the whole stored form of it at the given version.
func itemAttrs(it table.Item, version int64) map[string]types.AttributeValue {
	m := keyAttrs(it.Key)
	if it.GSI1PK != "" {
		m[attrGSI1PK] = str(it.GSI1PK)
		m[attrGSI1SK] = str(it.GSI1SK)
	}
	if it.GSI2PK != "" {
		m[attrGSI2PK] = str(it.GSI2PK)
		m[attrGSI2SK] = str(it.GSI2SK)
	}
	if it.ExpiresAt != 0 {
		m[attrExpiresAt] = number(it.ExpiresAt)
	}
	if len(it.Data) > 0 {
		m[attrData] = &types.AttributeValueMemberB{Value: it.Data}
	}
	m[attrVersion] = number(version)
	return m
}

// decodeItem reads a stored item. Errors name the attribute, never its value.
func decodeItem(m map[string]types.AttributeValue) (table.Item, error) {
	var it table.Item
	var err error
	strAttr := func(name string, required bool) string {
		v, ok := m[name]
		if !ok {
			if required && err == nil {
				err = fmt.Errorf("dynamodb: stored item without %s", name)
			}
			return ""
		}
		s, ok := v.(*types.AttributeValueMemberS)
		if !ok {
			if err == nil {
				err = fmt.Errorf("dynamodb: stored item's %s is not a string", name)
			}
			return ""
		}
		return s.Value
	}
	it.PK = strAttr(attrPK, true)
	it.SK = strAttr(attrSK, true)
	it.GSI1PK = strAttr(attrGSI1PK, false)
	it.GSI1SK = strAttr(attrGSI1SK, false)
	it.GSI2PK = strAttr(attrGSI2PK, false)
	it.GSI2SK = strAttr(attrGSI2SK, false)
	if err != nil {
		return table.Item{}, err
	}
	if _, ok := m[attrExpiresAt]; ok {
		if it.ExpiresAt, err = numberAttr(m, attrExpiresAt); err != nil {
			return table.Item{}, err
		}
	}
	if it.Version, err = numberAttr(m, attrVersion); err != nil {
		return table.Item{}, err
	}
	if v, ok := m[attrData]; ok {
		b, ok := v.(*types.AttributeValueMemberB)
		if !ok {
			return table.Item{}, errors.New("dynamodb: stored item's Data is not binary")
		}
		it.Data = b.Value
	}
	return it, nil
}

func numberAttr(m map[string]types.AttributeValue, name string) (int64, error) {
	v, ok := m[name]
	if !ok {
		return 0, fmt.Errorf("dynamodb: stored item without %s", name)
	}
	n, ok := v.(*types.AttributeValueMemberN)
	if !ok {
		return 0, fmt.Errorf("dynamodb: stored item's %s is not a number", name)
	}
	i, err := strconv.ParseInt(n.Value, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("dynamodb: stored item's %s is not an integer", name)
	}
	return i, nil
}

func checkKey(k table.Key) error {
	if k.PK == "" || k.SK == "" {
		return errors.New("empty key")
	}
	return nil
}

// OpError maps an error of the DynamoDB client in operation op ("get",
// "put", "transact", ...) to the store's errors as the engine does: a failed
// condition is table.ErrConditionFailed, a transaction conflict
// table.ErrTxConflict, and throttling, timeouts and DynamoDB's own trouble
// table.ErrUnavailable. Tests of the handlers under AWS faults inject its
// results through a table wrapper.
func OpError(op string, err error) error { return opError(op, err) }

// indexBackfilling reports DynamoDB's refusal to query a global secondary
// index that is still being created ("Cannot read from backfilling global
// secondary index").
func indexBackfilling(err error) bool {
	var api smithy.APIError
	return errors.As(err, &api) && api.ErrorCode() == "ValidationException" &&
		strings.Contains(strings.ToLower(api.ErrorMessage()), "backfilling")
}

// opError maps a DynamoDB error of a single-item call to the store's errors.
func opError(op string, err error) error {
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return table.ErrConditionFailed
	}
	var conflict *types.TransactionConflictException
	if errors.As(err, &conflict) {
		return fmt.Errorf("dynamodb: %s: %w: %w", op, table.ErrTxConflict, err)
	}
	if indexBackfilling(err) {
		// An index added by a stack update is queried before DynamoDB has
		// filled it (minutes after the deploy): unavailable, not broken.
		return fmt.Errorf("dynamodb: %s: %w: %w", op, table.ErrUnavailable, err)
	}
	if awserr.Transient(err) {
		// Throttled, timed out or failed inside DynamoDB after the SDK's
		// retries: nothing was written (a single-item call is atomic, and a
		// transaction's token makes a repeat of it a no-op).
		return fmt.Errorf("dynamodb: %s: %w: %w", op, table.ErrUnavailable, err)
	}
	return fmt.Errorf("dynamodb: %s: %w", op, err)
}
