// Package audit owns the audit trail's vocabulary: event names (WIRE §8), actors,
// and the construction of an event from the request that caused it. Events are
// written by the store in the same transaction as the change they record.
package audit
