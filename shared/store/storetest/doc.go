// Package storetest is the exported conformance suite of the domain store
// (shared/store) that every storage engine runs: Run checks the domain store
// over an engine. (The table contract's own suite, RunTable, is
// shared/store/table/tabletest.) Tiers (CRUD, isolation, conditional writes and
// concurrency, transactions and faults, pagination, expiry) are subtests named
// for what they check, so the output names each tier for each engine.
package storetest
