package store

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/rs/zerolog"
)

// openSQLite opens a store with cfg on a new SQLite file, closed when the
// test ends.
func openSQLite(tb testing.TB, cfg Config) *SQLStore {
	tb.Helper()
	cfg.DSN = filepath.Join(tb.TempDir(), "db")
	s, err := Open(context.Background(), cfg, zerolog.Nop())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

// TestCompactKeepsAnInterval: a compaction keeps every revision made since
// the tick before, however many more than CompactWindow there are, and
// compacts nothing at its first tick. (With few writes, CompactWindow
// keeps more: TestRunCompactor.)
func TestCompactKeepsAnInterval(t *testing.T) {
	ctx := context.Background()
	s := openSQLite(t, Config{CompactWindow: 3})
	made := 0
	create := func(n int) {
		t.Helper()
		for range n {
			made++
			if _, err := s.Create(ctx, &Record{Key: Key{Resource: "leases", Name: fmt.Sprint(made)}, Value: []byte(`{}`)}); err != nil {
				t.Fatal(err)
			}
		}
	}
	oldest := func() int64 { // the oldest revision Changes still serves
		t.Helper()
		for rev := int64(0); ; rev++ {
			if _, err := s.Changes(ctx, rev, 1); !errors.Is(err, ErrCompacted) {
				return rev
			}
		}
	}
	create(10)
	tick1, err := s.compactOnce(ctx, 0)
	if err != nil || oldest() != 0 {
		t.Fatalf("first tick at %d (%v): oldest served revision %d, want nothing compacted", tick1, err, oldest())
	}
	create(20) // far more than the window within one interval
	tick2, err := s.compactOnce(ctx, tick1)
	if err != nil || oldest() != tick1 {
		t.Fatalf("second tick: oldest served revision %d (%v), want %d: the revisions since the first tick kept", oldest(), err, tick1)
	}
	create(10)
	if _, err := s.compactOnce(ctx, tick2); err != nil || oldest() != tick2 {
		t.Fatalf("third tick: oldest served revision %d (%v), want %d", oldest(), err, tick2)
	}
}

// TestCompactDeletesInChunks: a compaction larger than a chunk still drops
// every change up to its revision, and none after.
func TestCompactDeletesInChunks(t *testing.T) {
	ctx := context.Background()
	s := openSQLite(t, Config{})
	s.compactChunk = 4
	for i := range 30 {
		if _, err := s.Create(ctx, &Record{Key: Key{Resource: "leases", Name: fmt.Sprint(i)}, Value: []byte(`{}`)}); err != nil {
			t.Fatal(err)
		}
	}
	rev, err := s.Revision(ctx)
	if err != nil {
		t.Fatal(err)
	}
	keep := rev - 5
	if err := s.Compact(ctx, keep); err != nil {
		t.Fatal(err)
	}
	var left []int64
	if err := s.db.Raw(`SELECT revision FROM changes ORDER BY revision`).Scan(&left).Error; err != nil {
		t.Fatal(err)
	}
	if len(left) != 5 || left[0] != keep+1 {
		t.Fatalf("changes left after compacting to %d of %d: %v, want the 5 after it", keep, rev, left)
	}
	if _, err := s.Changes(ctx, keep-1, 0); !errors.Is(err, ErrCompacted) {
		t.Fatalf("Changes after %d: %v, want ErrCompacted", keep-1, err)
	}
}
