// Package awserr classifies AWS SDK errors: it owns the decision of which
// failures of DynamoDB and KMS mean "temporarily unavailable" (throttling,
// timeouts, a service's internal error), so that the store engine and the key
// modes wrap them in store.ErrUnavailable and the API answers 503 instead of 500.
package awserr
