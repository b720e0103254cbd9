// Package audittest owns the test helpers of the audit trail: the check that
// a mutation wrote exactly its events (the catalog test of WIRE §8), and the
// scan of stored events for secrets.
package audittest
