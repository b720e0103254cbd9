package embedded

// PagesWritten is how many pages this table's commits have written to the
// file so far (bbolt's transaction statistics), for the benchmarks; 0 on
// other bindings.
func (t *Table) PagesWritten() int64 {
	if b, ok := t.kv.(*boltKV); ok {
		return b.pagesWritten()
	}
	return 0
}
