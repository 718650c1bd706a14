package store

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

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

// TestGroupCommit: a lone writer never waits for company, and once a
// batch held several writes, the next waits (up to GroupCommitWait) for
// as many before it commits.
func TestGroupCommit(t *testing.T) {
	s, err := Open(context.Background(), Config{DSN: filepath.Join(t.TempDir(), "db"), GroupCommitWait: time.Minute}, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	create := func(name string) chan error {
		done := make(chan error, 1)
		go func() {
			_, err := s.Create(ctx, &Record{Key: Key{Resource: "pods", Namespace: "ns", Name: name}, UID: "u", Value: []byte(`{}`)})
			done <- err
		}()
		return done
	}
	for i := range 20 {
		if err := <-create(fmt.Sprint("lone-", i)); err != nil {
			t.Fatalf("a lone writer: %v", err)
		}
	}

	// Hold SQLite's write lock, so that the committer stalls on a first
	// write while three more queue behind it: they make the next batch.
	// (Should a goroutine be slow to queue, the round is tried again.)
	conn, err := s.wsql.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for round := 0; ; round++ {
		if round == 5 {
			t.Fatal("three queued writes never made one batch")
		}
		if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
			t.Fatal(err)
		}
		before := s.BatchStats().InOrder
		first := create(fmt.Sprint("first-", round))
		time.Sleep(100 * time.Millisecond) // the committer has taken it
		three := []chan error{create(fmt.Sprint("a-", round)), create(fmt.Sprint("b-", round)), create(fmt.Sprint("c-", round))}
		time.Sleep(100 * time.Millisecond) // they wait on the committer
		if _, err := conn.ExecContext(ctx, "ROLLBACK"); err != nil {
			t.Fatal(err)
		}
		for _, done := range append(three, first) {
			if err := <-done; err != nil {
				t.Fatal(err)
			}
		}
		if s.BatchStats().InOrder-before == 2 {
			break
		}
	}
	before := s.BatchStats().InOrder

	// The last batch held three: a write now waits for two more.
	alone := create("d")
	select {
	case err := <-alone:
		t.Fatalf("a write after a batch of three did not wait for two more: %v", err)
	case <-time.After(200 * time.Millisecond):
	}
	e, f := create("e"), create("f")
	for _, done := range []chan error{alone, e, f} {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	if got := s.BatchStats().InOrder - before; got != 1 {
		t.Fatalf("the three writes took %d batches, want 1", got)
	}
}
