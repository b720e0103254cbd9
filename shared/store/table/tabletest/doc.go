// Package tabletest is the exported conformance suite of the table contract
// (shared/store/table) that every storage engine runs (RunTable), and the
// table-level test helpers: a settable Clock, and the Faulty and Outage
// wrappers that inject failures into any table. The domain store's suite,
// which runs over the same engines, is shared/store/storetest.
package tabletest
