// Package keystest holds test doubles of KMS for the key modes: an in-memory
// KMS that wraps data keys (envelope mode) and a wrapper that injects KMS
// failures, for tests of the handlers under AWS faults.
package keystest
