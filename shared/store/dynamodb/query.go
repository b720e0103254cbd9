package dynamodb

import (
	"context"
	"errors"
	"fmt"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/sharkauth/serverless/shared/store/table"
)

// Query reads one page of the live items of a partition of the table or of
// an index. It reads as many DynamoDB pages as it takes to fill the page with live
// items and one more, which proves that a next page exists.
func (t *Table) Query(ctx context.Context, q table.Query) (table.Page, error) {
	if err := q.Validate(); err != nil {
		return table.Page{}, err
	}
	for _, s := range [...]string{q.Partition, q.Prefix, q.From, q.To} {
		if !utf8.ValidString(s) {
			return table.Page{}, errors.New("dynamodb: query: key bounds must be valid UTF-8")
		}
	}
	r := q.SortRange()
	if r.Empty {
		return table.Page{}, nil
	}
	now := t.unixNow()
	limit := q.EffectiveLimit()

	pkAttr, skAttr := attrPK, attrSK
	in := &dynamodb.QueryInput{
		TableName:        aws.String(t.name),
		ScanIndexForward: aws.Bool(!q.Desc),
	}
	if q.Index != table.Primary {
		pkAttr, skAttr, in.IndexName = indexAttrs(q.Index) // GSIs are eventually consistent only
	} else {
		in.ConsistentRead = aws.Bool(true)
	}
	var e exprBuilder
	kc := e.name(pkAttr) + " = " + e.value(":part", str(q.Partition))
	if skc := e.sortKeyCondition(skAttr, r); skc != "" {
		kc += " AND " + skc
	}
	in.KeyConditionExpression = aws.String(kc)
	exp := e.name(attrExpiresAt)
	in.FilterExpression = aws.String(fmt.Sprintf("attribute_not_exists(%s) OR %s > %s", exp, exp, e.value(":now", number(now))))
	in.ExpressionAttributeNames, in.ExpressionAttributeValues = e.names, e.values

	if q.After != nil {
		sk := q.After.SortKey(q.Index)
		// DynamoDB rejects a start key outside the key condition: a position
		// before or past the range means "from the start" or "nothing left".
		switch pos := r.Locate(sk); {
		case pos == table.Inside:
			start, err := startKey(q)
			if err != nil {
				return table.Page{}, err
			}
			in.ExclusiveStartKey = start
		case (pos == table.Below) == q.Desc:
			return table.Page{}, nil // everything in the range comes before it
		}
	}

	var items []table.Item
	for {
		in.Limit = aws.Int32(int32(limit + 1 - len(items)))
		out, err := t.client.query(ctx, in)
		if err != nil {
			return table.Page{}, opError("query", err)
		}
		for _, m := range out.Items {
			it, err := decodeItem(m)
			if err != nil {
				return table.Page{}, err
			}
			// The filter already dropped expired items; the BETWEEN of a
			// two-sided range still lets the key equal to its end through.
			if _, sk := it.IndexKeys(q.Index); !it.Live(now) || r.Locate(sk) != table.Inside {
				continue
			}
			items = append(items, it)
		}
		if len(items) > limit || out.LastEvaluatedKey == nil {
			break
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
	}

	if len(items) <= limit {
		return table.Page{Items: items}, nil
	}
	last := items[limit-1]
	return table.Page{
		Items: items[:limit:limit],
		Next:  table.PositionOf(last, q.Index),
	}, nil
}

// indexAttrs is the key attributes and the name of a secondary index.
func indexAttrs(ix table.Index) (pk, sk string, name *string) {
	if ix == table.GSI2 {
		return attrGSI2PK, attrGSI2SK, aws.String(indexGSI2)
	}
	return attrGSI1PK, attrGSI1SK, aws.String(indexGSI1)
}

// startKey turns a position into the ExclusiveStartKey of q's index.
func startKey(q table.Query) (map[string]types.AttributeValue, error) {
	a := q.After
	if q.Index != table.Primary {
		pkAttr, skAttr, _ := indexAttrs(q.Index)
		if a.PK == "" || a.SK == "" || a.SortKey(q.Index) == "" {
			return nil, errors.New("dynamodb: query: incomplete index position")
		}
		return map[string]types.AttributeValue{
			pkAttr: str(q.Partition), skAttr: str(a.SortKey(q.Index)),
			attrPK: str(a.PK), attrSK: str(a.SK),
		}, nil
	}
	if a.SK == "" {
		return nil, errors.New("dynamodb: query: incomplete position")
	}
	return map[string]types.AttributeValue{attrPK: str(q.Partition), attrSK: str(a.SK)}, nil
}
