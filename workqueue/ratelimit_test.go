package workqueue

import (
	"testing"
	"time"
)

func TestExponential(t *testing.T) {
	ms := time.Millisecond
	tests := []struct {
		name      string
		base, max time.Duration
		calls     int
		want      []time.Duration
	}{
		{"doubles from base", 5 * ms, time.Hour, 5, []time.Duration{5 * ms, 10 * ms, 20 * ms, 40 * ms, 80 * ms}},
		{"capped at max", 5 * ms, 30 * ms, 5, []time.Duration{5 * ms, 10 * ms, 20 * ms, 30 * ms, 30 * ms}},
		{"default max after many failures", 5 * ms, 1000 * time.Second, 200, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := NewExponential[string](tc.base, tc.max)
			var got []time.Duration
			for range tc.calls {
				got = append(got, e.When("k"))
			}
			if tc.want == nil {
				if last := got[len(got)-1]; last != tc.max {
					t.Fatalf("after %d failures: got %v, want %v", tc.calls, last, tc.max)
				}
			} else {
				for i := range tc.want {
					if got[i] != tc.want[i] {
						t.Fatalf("call %d: got %v, want %v (all %v)", i, got[i], tc.want[i], got)
					}
				}
			}
			if n := e.NumRequeues("k"); n != tc.calls {
				t.Fatalf("NumRequeues = %d, want %d", n, tc.calls)
			}
			if n := e.NumRequeues("other"); n != 0 {
				t.Fatalf("other key NumRequeues = %d, want 0", n)
			}
			e.Forget("k")
			if n := e.NumRequeues("k"); n != 0 {
				t.Fatalf("NumRequeues after Forget = %d", n)
			}
			if d := e.When("k"); d != min(tc.base, tc.max) {
				t.Fatalf("first When after Forget = %v, want base", d)
			}
		})
	}
}

func TestBucket(t *testing.T) {
	clock := newFakeClock()
	b := NewBucket[string](10, 3, clock)
	for i := range 3 {
		if d := b.When("k"); d != 0 {
			t.Fatalf("burst call %d: delay %v, want 0", i, d)
		}
	}
	if d := b.When("k"); d != 100*time.Millisecond {
		t.Fatalf("after burst: delay %v, want 100ms", d)
	}
	if d := b.When("other"); d != 200*time.Millisecond {
		t.Fatalf("bucket is shared by keys: delay %v, want 200ms", d)
	}
	clock.Step(time.Second)
	if d := b.When("k"); d != 0 {
		t.Fatalf("after refill: delay %v, want 0", d)
	}
}

func TestDefaultRateLimiterTakesMax(t *testing.T) {
	clock := newFakeClock()
	rl := DefaultRateLimiter[int](clock)
	// The bucket's burst of 100 absorbs the first calls, so the per-key
	// backoff decides: 5ms, 10ms, 20ms for key 1.
	for i, want := range []time.Duration{5 * time.Millisecond, 10 * time.Millisecond, 20 * time.Millisecond} {
		if d := rl.When(1); d != want {
			t.Fatalf("call %d: %v, want %v", i, d, want)
		}
	}
	// Exhaust the bucket with fresh keys: key 1000's own backoff is 5ms but
	// the bucket now makes it wait longer.
	for k := 2; k < 100; k++ {
		rl.When(k)
	}
	if d := rl.When(1000); d <= 5*time.Millisecond {
		t.Fatalf("bucket exhausted: delay %v, want > 5ms", d)
	}
	if n := rl.NumRequeues(1); n != 3 {
		t.Fatalf("NumRequeues = %d, want 3", n)
	}
	rl.Forget(1)
	if n := rl.NumRequeues(1); n != 0 {
		t.Fatalf("NumRequeues after Forget = %d", n)
	}
}
