package chaos

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/minik8s/minik8s/bench"
)

// ack is one create the server acknowledged (201).
type ack struct {
	name        string
	rv          int64
	sent, acked time.Time // the attempt that got the 201
}

// writeLoad is what concurrent writers did: the creates acknowledged,
// and the names that exist though no create of theirs was acknowledged
// (an attempt cut by a crash that committed, found on retry).
type writeLoad struct {
	mu       sync.Mutex
	acks     []ack
	unacked  []string
	failures int // attempts that failed (connection errors, 5xx, 429)
	wg       sync.WaitGroup
}

// startWriters starts writers goroutines that create Events named
// w<writer>-<i> in namespace ns through s until ctx ends, all together at
// most perSecond (0: as fast as they can). A failed attempt is retried
// with the same name after 50 ms, so that a create the server committed
// but could not acknowledge shows as AlreadyExists. Wait waits for them.
func startWriters(ctx context.Context, s *bench.Server, ns string, writers int, perSecond float64) *writeLoad {
	wl := &writeLoad{}
	lim := rate.NewLimiter(rate.Inf, 0)
	if perSecond > 0 {
		lim = rate.NewLimiter(rate.Limit(perSecond), 1)
	}
	for w := range writers {
		wl.wg.Add(1)
		go func() {
			defer wl.wg.Done()
			for i := 0; ; i++ {
				if lim.Wait(ctx) != nil {
					return
				}
				name := fmt.Sprintf("w%d-%d", w, i)
				if !wl.create(ctx, s, ns, name) {
					return
				}
			}
		}()
	}
	return wl
}

// create creates one Event, retrying until it is acknowledged or found to
// exist; it returns false once ctx ends.
func (wl *writeLoad) create(ctx context.Context, s *bench.Server, ns, name string) bool {
	body := eventJSON(ns, name, "chaos")
	for retried := false; ; retried = true {
		// A request of its own: ctx's end must not cut an attempt in flight,
		// or its outcome would be unknown.
		rctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		sent := time.Now()
		code, b, err := s.Do(rctx, http.MethodPost, "/api/v1/namespaces/"+ns+"/events", body)
		cancel()
		switch {
		case err == nil && code == http.StatusCreated:
			rv, perr := resourceVersion(b)
			wl.mu.Lock()
			if perr != nil {
				wl.failures++
			}
			wl.acks = append(wl.acks, ack{name: name, rv: rv, sent: sent, acked: time.Now()})
			wl.mu.Unlock()
			return true
		case err == nil && code == http.StatusConflict && retried:
			wl.mu.Lock()
			wl.unacked = append(wl.unacked, name)
			wl.mu.Unlock()
			return true
		}
		wl.mu.Lock()
		wl.failures++
		wl.mu.Unlock()
		select {
		case <-ctx.Done():
			return false
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// wait waits for the writers, which stop when their ctx ends.
func (wl *writeLoad) wait() { wl.wg.Wait() }

// acked returns the acknowledged creates, in the order they were sent.
func (wl *writeLoad) acked() []ack {
	wl.mu.Lock()
	defer wl.mu.Unlock()
	out := slices.Clone(wl.acks)
	slices.SortFunc(out, func(a, b ack) int { return a.sent.Compare(b.sent) })
	return out
}

// latencies is the sorted latencies of the acknowledged creates.
func (wl *writeLoad) latencies() bench.Sample {
	wl.mu.Lock()
	defer wl.mu.Unlock()
	lat := make([]time.Duration, len(wl.acks))
	for i, a := range wl.acks {
		lat[i] = a.acked.Sub(a.sent)
	}
	slices.Sort(lat)
	return bench.Sample{N: len(lat), Lat: lat}
}

// revisionViolations checks that the revisions of acks are linearizable:
// distinct, and a create sent after another was acknowledged has the
// higher one. It returns a description of each violation (at most 10).
func revisionViolations(acks []ack) []string {
	var out []string
	seen := map[int64]string{}
	for _, a := range acks {
		if prev, ok := seen[a.rv]; ok && len(out) < 10 {
			out = append(out, fmt.Sprintf("%s and %s both got revision %d", prev, a.name, a.rv))
		}
		seen[a.rv] = a.name
	}
	// byAck in acknowledgement order; walk acks in sending order, keeping
	// the highest revision acknowledged before each send.
	byAck := slices.Clone(acks)
	slices.SortFunc(byAck, func(a, b ack) int { return a.acked.Compare(b.acked) })
	var (
		j       int
		maxRV   int64
		maxName string
	)
	for _, a := range acks { // sorted by sent
		for j < len(byAck) && byAck[j].acked.Before(a.sent) {
			if byAck[j].rv > maxRV {
				maxRV, maxName = byAck[j].rv, byAck[j].name
			}
			j++
		}
		if a.rv <= maxRV && len(out) < 10 {
			out = append(out, fmt.Sprintf("%s got revision %d, sent after %s was acknowledged with %d", a.name, a.rv, maxName, maxRV))
		}
	}
	return out
}

// eventJSON is a small Event named name in ns.
func eventJSON(ns, name, message string) []byte {
	b, _ := json.Marshal(map[string]any{
		"apiVersion": "v1", "kind": "Event",
		"metadata":       map[string]any{"name": name, "namespace": ns},
		"involvedObject": map[string]any{"kind": "Pod", "namespace": ns, "name": "chaos"},
		"reason":         "Chaos", "type": "Normal", "message": message,
	})
	return b
}

// resourceVersion reads metadata.resourceVersion of an object.
func resourceVersion(b []byte) (int64, error) {
	var o struct {
		Metadata struct {
			ResourceVersion string `json:"resourceVersion"`
		} `json:"metadata"`
	}
	if err := json.Unmarshal(b, &o); err != nil {
		return 0, fmt.Errorf("decode object: %w", err)
	}
	return strconv.ParseInt(o.Metadata.ResourceVersion, 10, 64)
}

// readyzProbe polls a server's /readyz every 100 ms until the test ends,
// and keeps how long it did not answer 200, and its latencies.
type readyzProbe struct {
	mu       sync.Mutex
	notReady time.Duration
	longest  time.Duration // the longest stretch without a 200
	since    time.Time     // start of the current stretch without a 200
	lat      []time.Duration
}

func probeReadyz(t *testing.T, s *bench.Server) *readyzProbe {
	p := &readyzProbe{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			start := time.Now()
			rctx, rcancel := context.WithTimeout(ctx, 30*time.Second)
			code, _, err := s.Do(rctx, http.MethodGet, "/readyz", nil)
			rcancel()
			if ctx.Err() != nil {
				return
			}
			now := time.Now()
			p.mu.Lock()
			p.lat = append(p.lat, now.Sub(start))
			if err == nil && code == http.StatusOK {
				if !p.since.IsZero() {
					p.notReady += now.Sub(p.since)
					p.longest = max(p.longest, now.Sub(p.since))
					p.since = time.Time{}
				}
			} else if p.since.IsZero() {
				p.since = start
			}
			p.mu.Unlock()
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
		}
	}()
	t.Cleanup(func() { cancel(); <-done })
	return p
}

// slowRun is the longest run of consecutive probes that took longer than
// limit.
func (p *readyzProbe) slowRun(limit time.Duration) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	run, longest := 0, 0
	for _, l := range p.lat { // in the order the probes ran
		if l > limit {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	return longest
}

// result is the time /readyz did not answer 200 in all, the longest
// stretch of it, and the latencies.
func (p *readyzProbe) result() (notReady, longest time.Duration, lat bench.Sample) {
	p.mu.Lock()
	defer p.mu.Unlock()
	notReady, longest = p.notReady, p.longest
	if !p.since.IsZero() { // not ready still
		notReady += time.Since(p.since)
		longest = max(longest, time.Since(p.since))
	}
	l := slices.Clone(p.lat)
	slices.Sort(l)
	return notReady, longest, bench.Sample{N: len(l), Lat: l}
}

// ms formats a duration in milliseconds, or seconds from 10 s.
func ms(d time.Duration) string {
	if d >= 10*time.Second {
		return fmt.Sprintf("%.1fs", d.Seconds())
	}
	return fmt.Sprintf("%dms", d.Milliseconds())
}
