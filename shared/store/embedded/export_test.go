package embedded

// PagesWritten is how many pages this table's commits have written to the
// file so far (bbolt's transaction statistics), for the benchmarks.
func (t *Table) PagesWritten() int64 {
	s := t.db.Stats()
	return s.TxStats.GetWrite()
}
