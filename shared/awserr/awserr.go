package awserr

import (
	"context"
	"errors"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/smithy-go"
)

// transientCodes are the AWS error codes of DynamoDB and KMS that a later
// retry may not meet. The SDK's own retryer already retried them within the
// request's deadline before the error reached us.
var transientCodes = map[string]bool{
	// DynamoDB
	"ProvisionedThroughputExceededException": true,
	"ThrottlingException":                    true,
	"RequestLimitExceeded":                   true,
	"InternalServerError":                    true,
	"ServiceUnavailable":                     true,
	"TransactionInProgressException":         true,
	"LimitExceededException":                 true,
	// KMS (and its ThrottlingException, LimitExceededException above)
	"KMSInternalException":       true,
	"DependencyTimeoutException": true,
	"KeyUnavailableException":    true,
	"InternalFailure":            true,
	"RequestTimeout":             true,
	"RequestTimeoutException":    true,
	"SlowDown":                   true,
	"PriorRequestNotComplete":    true,
	"EC2ThrottledException":      true,
	"TooManyRequestsException":   true,
	"BandwidthLimitExceeded":     true,
	"RequestThrottled":           true,
	"RequestThrottledException":  true,
}

// Transient reports whether err is a failure that may not recur: an AWS error
// code of throttling or of the service's own trouble, a transport error the
// SDK deems retryable, the retryer giving up (max attempts), or
// the request's deadline.
func Transient(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return true
	}
	var maxAttempts *retry.MaxAttemptsError
	if errors.As(err, &maxAttempts) {
		return true
	}
	var api smithy.APIError
	if errors.As(err, &api) {
		if transientCodes[api.ErrorCode()] {
			return true
		}
		if api.ErrorFault() == smithy.FaultServer {
			return true
		}
	}
	if retry.IsErrorThrottles(retry.DefaultThrottles).IsErrorThrottle(err) == aws.TrueTernary {
		return true
	}
	return retry.IsErrorRetryables(retry.DefaultRetryables).IsErrorRetryable(err) == aws.TrueTernary
}
