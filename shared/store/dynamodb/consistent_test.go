package dynamodb_test

import (
	"context"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	sdk "github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/smithy-go/middleware"

	"github.com/sharkauth/serverless/shared/awstest"
	"github.com/sharkauth/serverless/shared/store/dynamodb"
	"github.com/sharkauth/serverless/shared/store/table"
)

// Every read is strongly consistent. moto is always consistent, so this
// asserts the requests' shape rather than their results.
func TestReadsAreStronglyConsistent(t *testing.T) {
	base, name := awstest.NewTable(t)
	var mu sync.Mutex
	var inputs []any
	client := sdk.New(base.Options(), func(o *sdk.Options) {
		o.APIOptions = append(o.APIOptions, func(s *middleware.Stack) error {
			return s.Initialize.Add(middleware.InitializeMiddlewareFunc("capture", func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
				mu.Lock()
				inputs = append(inputs, in.Parameters)
				mu.Unlock()
				return next.HandleInitialize(ctx, in)
			}), middleware.Before)
		})
	})
	tab := dynamodb.New(client, name, nil)
	ctx := t.Context()
	k := table.Key{PK: "T#acme#X", SK: "x"}
	if _, err := tab.Put(ctx, table.Item{Key: k, Data: []byte("{}")}, table.CondAbsent); err != nil {
		t.Fatal(err)
	}
	if _, err := tab.Get(ctx, k); err != nil {
		t.Fatal(err)
	}
	if _, err := tab.Query(ctx, table.Query{Partition: k.PK, Limit: 10}); err != nil {
		t.Fatal(err)
	}
	var gets, queries int
	for _, in := range inputs {
		switch in := in.(type) {
		case *sdk.GetItemInput:
			gets++
			if !aws.ToBool(in.ConsistentRead) {
				t.Error("GetItem without ConsistentRead")
			}
		case *sdk.QueryInput:
			queries++
			if in.IndexName == nil && !aws.ToBool(in.ConsistentRead) {
				t.Error("table Query without ConsistentRead")
			}
		}
	}
	if gets == 0 || queries == 0 {
		t.Fatalf("captured %d gets and %d queries", gets, queries)
	}
}
