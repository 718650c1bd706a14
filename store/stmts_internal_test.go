package store

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	"github.com/rs/zerolog"
)

// TestCommitterKeepsItsStatements: however many batches of creates,
// updates, deletes and misses the committer runs, it prepares each of its
// few statements once and keeps them (SQLite would otherwise parse every
// statement of every batch again).
func TestCommitterKeepsItsStatements(t *testing.T) {
	s, err := Open(context.Background(), Config{DSN: filepath.Join(t.TempDir(), "db")}, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	counts := map[int]int{} // batches written → statements kept
	for round := range 3 {
		var wg sync.WaitGroup
		for i := range 20 { // concurrent, so that batches hold several writes
			wg.Go(func() {
				k := Key{Resource: "pods", Namespace: "ns", Name: fmt.Sprintf("p-%d-%d", round, i)}
				r, err := s.Create(ctx, &Record{Key: k, UID: "u", Value: []byte(`{}`)})
				if err != nil {
					t.Error(err)
					return
				}
				if _, err := s.Create(ctx, &Record{Key: k, UID: "u", Value: []byte(`{}`)}); err != ErrAlreadyExists {
					t.Errorf("second create: %v, want ErrAlreadyExists", err)
				}
				if r, err = s.Update(ctx, &Record{Key: k, Value: []byte(`{"a":1}`)}, r.ResourceVersion); err != nil {
					t.Error(err)
					return
				}
				if _, err := s.Update(ctx, &Record{Key: k, Value: []byte(`{}`)}, r.ResourceVersion-1); err != ErrConflict {
					t.Errorf("stale update: %v, want ErrConflict", err)
				}
				if _, err := s.Delete(ctx, k, r.ResourceVersion); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		s.stmts.mu.Lock()
		counts[round] = len(s.stmts.m)
		s.stmts.mu.Unlock()
	}
	// Lock the revision, create, read, update, delete if unchanged, log
	// the change, advance the revision: 7 statements, whatever the batches
	// were.
	if counts[0] != 7 || counts[1] != 7 || counts[2] != 7 {
		t.Fatalf("statements kept after each round: %v, want 7 each", counts)
	}
}

func TestStmtsBind(t *testing.T) {
	q := `UPDATE t SET a = ? WHERE b = ? AND c = ?`
	if got := (&stmts{}).bind(q); got != q {
		t.Errorf("SQLite: %q", got)
	}
	if got, want := (&stmts{dollar: true}).bind(q), `UPDATE t SET a = $1 WHERE b = $2 AND c = $3`; got != want {
		t.Errorf("Postgres: %q, want %q", got, want)
	}
}
