// Package growstack grows a goroutine's stack in one step, early, rather
// than in several as its calls go deeper.
//
// A goroutine starts with a small stack (the runtime's average, a few KiB
// in a process of many idle goroutines) and doubles it whenever a call
// needs more, copying it and walking every frame on it each time. An API
// request's goroutine (net/http starts one per request) goes through the
// middleware, the handler, JSON, the store and the watch hub, and grew its
// stack two or three times, deep in those calls: 4% of `minik8s all`'s CPU
// at 10,000 pods was runtime.copystack. Growing it once at the start,
// while the stack is shallow, costs one copy of a few frames.
// (CockroachDB's util/growstack does the same for the same reason.)
package growstack

// Grow makes the calling goroutine's stack at least 32 KiB: its frame
// holds 16 KiB, so the runtime grows the stack to fit it in one copy.
//
//go:noinline
func Grow() {
	var buf [16 << 10]byte
	keep(buf[:])
}

// keep makes the compiler keep buf.
//
//go:noinline
func keep([]byte) {}
