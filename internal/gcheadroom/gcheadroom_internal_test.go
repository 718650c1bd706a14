package gcheadroom

import (
	"runtime"
	"runtime/debug"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/minik8s/minik8s/internal/testpoll"
)

func TestPercentFor(t *testing.T) {
	const mi, gi = 1 << 20, 1 << 30
	for _, c := range []struct {
		live     int64
		min, max int64
		want     int
	}{
		{live: 200 * mi, max: gi, want: 100},      // a heap between the bounds keeps Go's default
		{live: gi, max: gi, want: 100},            // the bound is the default's headroom
		{live: 2 * gi, max: gi, want: 50},         // twice as much: half the percentage
		{live: 4 * gi, max: gi, want: minPercent}, // never below minPercent
		{live: 40 * gi, max: gi, want: minPercent},
		{live: 2 * gi, want: 100},                         // no bound
		{live: 0, min: 48 * mi, max: gi, want: 100},       // nothing measured yet
		{live: 16 * mi, min: 48 * mi, max: gi, want: 300}, // the floor: 48 MiB more
		{live: 48 * mi, min: 48 * mi, max: gi, want: 100}, // the floor is the default's headroom
		{live: 10_000_000, min: 48 * mi, want: 504},       // rounded up: at least the floor
		{live: 16 * mi, min: 0, max: gi, want: 100},       // no floor
	} {
		if got := percentFor(c.live, Bounds{Min: c.min, Max: c.max}); got != c.want {
			t.Errorf("percentFor(%d, {%d, %d}) = %d, want %d", c.live, c.min, c.max, got, c.want)
		}
	}
}

// gcPercent reads the GC percentage in force.
func gcPercent() int {
	p := debug.SetGCPercent(100)
	debug.SetGCPercent(p)
	return p
}

// TestStartFollowsTheLiveHeap holds 64 MiB live with a 16 MiB bound: the
// collections after it lower the percentage to minPercent, and once the
// heap is small again they put Go's default back; stop restores it too.
func TestStartFollowsTheLiveHeap(t *testing.T) {
	tu := start(Bounds{Max: 16 << 20}, zerolog.Nop())
	defer tu.stop()
	held := make([][]byte, 64)
	for i := range held {
		held[i] = make([]byte, 1<<20)
	}
	collect := func(want int) func() bool {
		return func() bool {
			runtime.GC()
			return tu.percent() == want && gcPercent() == want
		}
	}
	testpoll.Eventually(t, 10*time.Second, "the percentage lowered to minPercent", collect(minPercent))
	runtime.KeepAlive(held)
	held = nil
	testpoll.Eventually(t, 10*time.Second, "Go's default back once the heap is small", collect(basePercent))

	held = make([][]byte, 64)
	for i := range held {
		held[i] = make([]byte, 1<<20)
	}
	testpoll.Eventually(t, 10*time.Second, "the percentage lowered again", collect(minPercent))
	tu.stop()
	if p := gcPercent(); p != basePercent {
		t.Fatalf("after stop the GC percentage is %d, want %d", p, basePercent)
	}
	runtime.GC()
	runtime.GC()
	runtime.KeepAlive(held)
	if p := gcPercent(); p != basePercent {
		t.Fatalf("a collection after stop set the GC percentage to %d", p)
	}
}

func TestStartLeavesAUsersGOGC(t *testing.T) {
	t.Setenv("GOGC", "50")
	if tu := start(Bounds{Min: 1 << 20, Max: 1 << 20}, zerolog.Nop()); tu != nil {
		tu.stop()
		t.Fatal("start bounded the headroom although GOGC is set")
	}
}

// TestStartRaisesTheFloor: with a floor far above the test's live heap,
// a collection raises the percentage above Go's default, to what lets the
// heap grow by the floor; stop puts the default back.
func TestStartRaisesTheFloor(t *testing.T) {
	const floor = 256 << 20
	tu := start(Bounds{Min: floor}, zerolog.Nop())
	defer tu.stop()
	testpoll.Eventually(t, 10*time.Second, "the percentage raised", func() bool {
		runtime.GC()
		return tu.percent() > basePercent && gcPercent() == tu.percent()
	})
	tu.stop()
	if p := gcPercent(); p != basePercent {
		t.Fatalf("after stop the GC percentage is %d, want %d", p, basePercent)
	}
}
