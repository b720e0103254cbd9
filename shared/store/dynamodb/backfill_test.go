package dynamodb

import (
	"errors"
	"testing"

	"github.com/aws/smithy-go"

	"github.com/sharkauth/serverless/shared/store/table"
)

// A query of GSI2 while DynamoDB backfills it (the deploy that adds it) is
// unavailable for a while (503 with Retry-After), not a server error; other
// validation errors stay what they are.
func TestBackfillingIndexIsUnavailable(t *testing.T) {
	backfill := &smithy.GenericAPIError{Code: "ValidationException", Message: "Cannot read from backfilling global secondary index: GSI2"}
	if err := opError("query", backfill); !errors.Is(err, table.ErrUnavailable) {
		t.Fatalf("backfilling index: %v, want ErrUnavailable", err)
	}
	other := &smithy.GenericAPIError{Code: "ValidationException", Message: "One or more parameter values were invalid"}
	if err := opError("query", other); errors.Is(err, table.ErrUnavailable) {
		t.Fatalf("a validation error became ErrUnavailable: %v", err)
	}
}
