package dynamodb_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awsdynamodb "github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"

	"github.com/sharkauth/serverless/shared/httpx"
	"github.com/sharkauth/serverless/shared/store/dynamodb"
	"github.com/sharkauth/serverless/shared/store/table"
)

// faultClient is a DynamoDB client whose every attempt fails with fault
// (or, when fault is nil, waits for its context to end) before anything is
// sent; attempts counts them. Its retryer is the standard one with at most
// maxAttempts attempts and no backoff.
func faultClient(fault error, maxAttempts int, attempts *int) *awsdynamodb.Client {
	inject := middleware.FinalizeMiddlewareFunc("inject", func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
		*attempts++
		if fault == nil {
			<-ctx.Done()
			return middleware.FinalizeOutput{}, middleware.Metadata{}, ctx.Err()
		}
		return middleware.FinalizeOutput{}, middleware.Metadata{}, fault
	})
	return awsdynamodb.New(awsdynamodb.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String("http://127.0.0.1:9"),
		Credentials:  aws.AnonymousCredentials{},
		Retryer: retry.NewStandard(func(o *retry.StandardOptions) {
			o.MaxAttempts = maxAttempts
			o.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return 0, nil })
		}),
		APIOptions: []func(*middleware.Stack) error{func(s *middleware.Stack) error {
			return s.Finalize.Add(inject, middleware.After)
		}},
	})
}

// TestEngineClassifiesAWSFaults: the engine turns throttling, service
// errors and timeouts into table.ErrUnavailable (answered 503), a lost
// transaction into table.ErrTxConflict (503 too), a throttled transaction
// item into ErrUnavailable, and leaves the rest (a validation error, access
// denied) as plain errors (500); the SDK retries at most its max attempts.
func TestEngineClassifiesAWSFaults(t *testing.T) {
	tests := []struct {
		name        string
		fault       error
		wantIs      error // nil: neither ErrUnavailable nor ErrTxConflict
		wantRetried bool
		anyAttempts bool
	}{
		{name: "ProvisionedThroughputExceeded", fault: &types.ProvisionedThroughputExceededException{Message: aws.String("x")}, wantIs: table.ErrUnavailable, wantRetried: true},
		{name: "ThrottlingException", fault: &smithy.GenericAPIError{Code: "ThrottlingException", Fault: smithy.FaultClient}, wantIs: table.ErrUnavailable, wantRetried: true},
		{name: "RequestLimitExceeded", fault: &types.RequestLimitExceeded{Message: aws.String("x")}, wantIs: table.ErrUnavailable, wantRetried: true},
		// The SDK retries these two on the HTTP status (500, 400 with the
		// conflict code) of a response, which an injected error has none of:
		// their attempts are not checked.
		{name: "InternalServerError", fault: &types.InternalServerError{Message: aws.String("x")}, wantIs: table.ErrUnavailable, anyAttempts: true},
		{name: "TransactionConflict", fault: &types.TransactionConflictException{Message: aws.String("x")}, wantIs: table.ErrTxConflict, anyAttempts: true},
		{name: "throttled transaction item", fault: &types.TransactionCanceledException{Message: aws.String("x"), CancellationReasons: []types.CancellationReason{{Code: aws.String("ThrottlingError")}}}, wantIs: table.ErrUnavailable},
		{name: "validation error", fault: &smithy.GenericAPIError{Code: "ValidationException", Fault: smithy.FaultClient}},
		{name: "access denied", fault: &smithy.GenericAPIError{Code: "AccessDeniedException", Fault: smithy.FaultClient}},
		{name: "missing table", fault: &types.ResourceNotFoundException{Message: aws.String("x")}},
	}
	ops := []struct {
		name string
		run  func(context.Context, *dynamodb.Table) error
	}{
		{"get", func(ctx context.Context, tb *dynamodb.Table) error {
			_, err := tb.Get(ctx, table.Key{PK: "p", SK: "s"})
			return err
		}},
		{"put", func(ctx context.Context, tb *dynamodb.Table) error {
			_, err := tb.Put(ctx, table.Item{Key: table.Key{PK: "p", SK: "s"}}, table.CondAbsent)
			return err
		}},
		{"query", func(ctx context.Context, tb *dynamodb.Table) error {
			_, err := tb.Query(ctx, table.Query{Partition: "p"})
			return err
		}},
		{"transact", func(ctx context.Context, tb *dynamodb.Table) error {
			return tb.Transact(ctx, []table.Write{{Op: table.OpPut, Item: table.Item{Key: table.Key{PK: "p", SK: "s"}}, Cond: table.CondAbsent}})
		}},
	}
	for _, tc := range tests {
		for _, op := range ops {
			if _, tx := tc.fault.(*types.TransactionCanceledException); tx && op.name != "transact" {
				continue
			}
			t.Run(tc.name+"/"+op.name, func(t *testing.T) {
				attempts := 0
				tb := dynamodb.New(faultClient(tc.fault, 3, &attempts), "t", nil)
				err := op.run(t.Context(), tb)
				if err == nil {
					t.Fatal("no error")
				}
				if tc.wantIs != nil {
					if !errors.Is(err, tc.wantIs) || !httpx.Unavailable(err) {
						t.Fatalf("err = %v, want errors.Is %v and httpx.Unavailable", err, tc.wantIs)
					}
				} else if errors.Is(err, table.ErrUnavailable) || errors.Is(err, table.ErrTxConflict) || httpx.Unavailable(err) {
					t.Fatalf("err = %v is classified transient; it is not", err)
				}
				if tc.wantRetried && attempts != 3 {
					t.Errorf("%d attempts, want the retryer's 3", attempts)
				}
				if !tc.wantRetried && !tc.anyAttempts && attempts != 1 {
					t.Errorf("%d attempts, want 1 (not retryable)", attempts)
				}
			})
		}
	}
}

// TestEngineTimeoutIsUnavailable: a call still running at the request's
// deadline ends with it, as ErrUnavailable.
func TestEngineTimeoutIsUnavailable(t *testing.T) {
	attempts := 0
	tb := dynamodb.New(faultClient(nil, 3, &attempts), "t", nil)
	ctx, cancel := context.WithDeadline(t.Context(), time.Unix(0, 0)) // already past: no wall clock
	defer cancel()
	_, err := tb.Get(ctx, table.Key{PK: "p", SK: "s"})
	if !errors.Is(err, table.ErrUnavailable) || !httpx.Unavailable(err) {
		t.Fatalf("err = %v, want ErrUnavailable", err)
	}
	if attempts > 1 {
		t.Errorf("%d attempts after the deadline", attempts)
	}
}
