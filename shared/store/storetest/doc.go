// Package storetest is the exported conformance suite every storage engine runs:
// RunTable checks the store.Table contract, Run checks the domain store over an
// engine. Tiers (CRUD, isolation, conditional writes and concurrency,
// transactions and faults, pagination, expiry) are subtests named for what
// they check, so the output names each tier for each engine.
package storetest
