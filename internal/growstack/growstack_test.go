package growstack

import (
	"sync"
	"testing"
)

// deep uses about n KiB of stack in frames of 1 KiB each, as a request's
// calls do, so that its stack grows one doubling at a time.
//
//go:noinline
func deep(n int) byte {
	var frame [1 << 10]byte
	frame[n%len(frame)] = byte(n)
	if n == 0 {
		return frame[0]
	}
	return deep(n-1) + frame[n%len(frame)]
}

// BenchmarkGoroutine: a goroutine that needs 24 KiB of stack, as an API
// request's does, started fresh each time (go test ./internal/growstack
// -bench .). Growing first replaces three growths deep in the calls with
// one at the top; the saving grows with the depth of the frames.
func BenchmarkGoroutine(b *testing.B) {
	for _, grow := range []bool{false, true} {
		name := "as-is"
		if grow {
			name = "grown"
		}
		b.Run(name, func(b *testing.B) {
			var wg sync.WaitGroup
			for b.Loop() {
				wg.Go(func() {
					if grow {
						Grow()
					}
					deep(24)
				})
				wg.Wait()
			}
		})
	}
}
