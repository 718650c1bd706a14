package store

import (
	"syscall"
	"testing"

	"modernc.org/libc"
)

// TestSQLiteAllocatorPinned: once pinned, a C allocation freed right
// after use (SQLite's bound blobs) does not map a fresh page each time. A
// freshly mapped page faults when first written, so count page faults.
func TestSQLiteAllocatorPinned(t *testing.T) {
	pinSQLiteAllocator()
	tls := libc.NewTLS()
	defer tls.Close()
	faults := func() int64 {
		var ru syscall.Rusage
		if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
			t.Fatal(err)
		}
		return ru.Minflt
	}
	const rounds = 2000
	before := faults()
	for range rounds {
		p := libc.Xmalloc(tls, 6000) // a pod's JSON: the 8 KiB class
		libc.Xmemset(tls, p, 1, 1)   // touch it
		libc.Xfree(tls, p)
	}
	if n := faults() - before; n > rounds/10 {
		t.Errorf("%d page faults for %d allocations freed at once, want few: pages are mapped again", n, rounds)
	}
}
