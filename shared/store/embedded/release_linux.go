package embedded

import (
	"syscall"

	bolt "go.etcd.io/bbolt"
)

// releaseMapped drops this process's mapping of the file's pages; they stay
// in the kernel's page cache, and a later read maps them again with a minor
// fault. Without this the resident set grows with the pages that commits and
// reads touch (random keys touch a different leaf each time), up to the size
// of the file, though the process holds nothing of it. It must run inside a
// read transaction of the file, which keeps bbolt from remapping it meanwhile. bbolt maps the file shared
// and read-only and writes through the file, so no write is lost.
func releaseMapped(tx *bolt.Tx) {
	data, size := tx.DB().Info().Data, tx.Size()
	if data == 0 || size <= 0 {
		return
	}
	// The address is bbolt's mapping, passed as a number to the system call
	// (never turned into a Go pointer); an error only means nothing was released.
	_, _, _ = syscall.Syscall(syscall.SYS_MADVISE, data, uintptr(size), syscall.MADV_DONTNEED)
}
