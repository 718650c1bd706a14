package bench

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"
)

// Sample is the outcome of a run: how many operations completed, over how
// long, and each one's latency.
type Sample struct {
	N       int
	Want    int // operations asked for; N < Want when the run timed out
	Elapsed time.Duration
	Lat     []time.Duration // sorted ascending
}

// Rate is completed operations per second.
func (s Sample) Rate() float64 {
	if s.Elapsed <= 0 {
		return 0
	}
	return float64(s.N) / s.Elapsed.Seconds()
}

// Pct is the q-quantile (0 < q ≤ 1) of the latencies by nearest rank, or 0
// with no latencies.
func (s Sample) Pct(q float64) time.Duration { return percentile(s.Lat, q) }

// percentile returns the nearest-rank q-quantile of sorted.
func percentile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(q*float64(len(sorted)))) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

// cut says how far a run got when it timed out, or "" when it finished.
func (s Sample) cut() string {
	if s.N >= s.Want {
		return ""
	}
	return fmt.Sprintf(" (timed out after %d of %d)", s.N, s.Want)
}

// merge is the run of s then o: their counts and times added, their
// latencies together.
func (s Sample) merge(o Sample) Sample {
	lat := append(slices.Clone(s.Lat), o.Lat...)
	slices.Sort(lat)
	return Sample{N: s.N + o.N, Want: s.Want + o.Want, Elapsed: s.Elapsed + o.Elapsed, Lat: lat}
}

// drive performs operations 0..n-1 with clients goroutines, each taking the
// next index as soon as its previous operation returns (a closed loop), and
// times each call of op. It stops early, without error, once timeout has
// passed; it fails on the first error of op.
func drive(ctx context.Context, n, clients int, timeout time.Duration, op func(ctx context.Context, i int) error) (Sample, error) {
	var (
		next atomic.Int64
		mu   sync.Mutex
		lat  = make([]time.Duration, 0, n)
	)
	deadline := time.Now().Add(timeout)
	g, gctx := errgroup.WithContext(ctx)
	start := time.Now()
	for range clients {
		g.Go(func() error {
			mine := make([]time.Duration, 0, n/clients+1)
			defer func() {
				mu.Lock()
				lat = append(lat, mine...)
				mu.Unlock()
			}()
			for {
				i := int(next.Add(1)) - 1
				if i >= n || time.Now().After(deadline) {
					return nil
				}
				t := time.Now()
				if err := op(gctx, i); err != nil {
					return err
				}
				mine = append(mine, time.Since(t))
			}
		})
	}
	err := g.Wait()
	elapsed := time.Since(start)
	if err != nil {
		return Sample{}, err
	}
	slices.Sort(lat)
	return Sample{N: len(lat), Want: n, Elapsed: elapsed, Lat: lat}, nil
}
