package store

import (
	"sync"

	"modernc.org/libc"
)

// pinSQLiteAllocator keeps one slot of each of the C allocator's size
// classes allocated for the life of the process. modernc.org/memory
// returns a 64 KiB page to the kernel as soon as its last slot is freed,
// so a class with a single slot in use at a time (a row's blob bound for
// one statement, then freed) maps and unmaps a page on every statement.
var pinSQLiteAllocator = sync.OnceFunc(func() {
	tls := libc.NewTLS()
	defer tls.Close()
	for class := 4; class <= 14; class++ { // 16 B to 16 KiB: the slotted classes
		libc.Xmalloc(tls, libc.Tsize_t(1)<<class)
	}
})
