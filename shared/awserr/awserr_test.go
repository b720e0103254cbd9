package awserr_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/smithy-go"

	"github.com/sharkauth/serverless/shared/awserr"
)

func TestTransient(t *testing.T) {
	api := func(code string) error { return &smithy.GenericAPIError{Code: code, Fault: smithy.FaultClient} }
	op := func(err error) error { return &smithy.OperationError{ServiceID: "X", OperationName: "Op", Err: err} }
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"DynamoDB throughput", op(&ddbtypes.ProvisionedThroughputExceededException{Message: aws.String("x")}), true},
		{"throttling code", op(api("ThrottlingException")), true},
		{"request limit", op(&ddbtypes.RequestLimitExceeded{}), true},
		{"KMS internal", op(&kmstypes.KMSInternalException{}), true},
		{"KMS dependency timeout", op(&kmstypes.DependencyTimeoutException{}), true},
		{"KMS key unavailable", op(&kmstypes.KeyUnavailableException{}), true},
		{"server fault", op(&smithy.GenericAPIError{Code: "Whatever", Fault: smithy.FaultServer}), true},
		{"retries exhausted", &retry.MaxAttemptsError{Attempt: 3, Err: api("ValidationException")}, true},
		{"deadline", op(context.DeadlineExceeded), true},
		{"wrapped deadline", fmt.Errorf("x: %w", context.DeadlineExceeded), true},
		{"nil", nil, false},
		{"plain", errors.New("boom"), false},
		{"validation", op(api("ValidationException")), false},
		{"access denied", op(api("AccessDeniedException")), false},
		{"conditional check", op(&ddbtypes.ConditionalCheckFailedException{}), false},
		{"KMS disabled key", op(&kmstypes.DisabledException{}), false},
		{"KMS bad ciphertext", op(&kmstypes.InvalidCiphertextException{}), false},
		{"KMS not found", op(&kmstypes.NotFoundException{}), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := awserr.Transient(tc.err); got != tc.want {
				t.Fatalf("Transient(%v) = %v, want %v", tc.err, got, tc.want)
			}
		})
	}
}
