// Package table is the storage contract both engines implement (embedded,
// dynamodb): one table of items addressed by a partition and a sort key, one
// secondary index, expiry, versions, conditional writes and transactions.
// It knows nothing of the domain: the domain store (shared/store) builds every
// key and record and is the only code above it. The engines import this
// package and never the domain store.
package table
