package store_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/glebarez/sqlite"
	"github.com/rs/zerolog"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/minik8s/minik8s/internal/testsvc"
	"github.com/minik8s/minik8s/store"
	"github.com/minik8s/minik8s/store/storetest"
)

// backend opens fresh, empty stores of one kind and gives raw access to
// their database.
type backend struct {
	name string
	dsn  func(t testing.TB) string // a fresh, empty database
	raw  func(t testing.TB, dsn string) *gorm.DB
}

var sqliteBackend = backend{
	name: "sqlite",
	dsn: func(t testing.TB) string {
		return filepath.Join(t.TempDir(), "store.db")
	},
	raw: func(t testing.TB, dsn string) *gorm.DB {
		return rawOpen(t, sqlite.Open(dsn+"?_pragma=busy_timeout(5000)"))
	},
}

// postgresBackend gives each store a fresh schema of the database named by
// MINIK8S_TEST_POSTGRES (through search_path), dropped when the test ends.
var postgresBackend = backend{
	name: "postgres",
	dsn: func(t testing.TB) string {
		base := testsvc.Require(t, testsvc.Postgres)
		u, err := url.Parse(base)
		if err != nil {
			t.Fatalf("parse MINIK8S_TEST_POSTGRES: %v", err)
		}
		var b [6]byte
		rand.Read(b[:])
		schema := "store_test_" + hex.EncodeToString(b[:])
		admin := rawOpen(t, postgres.Open(base))
		if err := admin.Exec("CREATE SCHEMA " + schema).Error; err != nil {
			t.Fatalf("create schema: %v", err)
		}
		t.Cleanup(func() {
			if err := admin.Exec("DROP SCHEMA " + schema + " CASCADE").Error; err != nil {
				t.Errorf("drop schema: %v", err)
			}
		})
		q := u.Query()
		q.Set("search_path", schema)
		u.RawQuery = q.Encode()
		return u.String()
	},
	raw: func(t testing.TB, dsn string) *gorm.DB { return rawOpen(t, postgres.Open(dsn)) },
}

func rawOpen(t testing.TB, d gorm.Dialector) *gorm.DB {
	t.Helper()
	db, err := gorm.Open(d, &gorm.Config{Logger: logger.Discard})
	if err != nil {
		t.Fatalf("open raw database: %v", err)
	}
	t.Cleanup(func() {
		if sqlDB, err := db.DB(); err == nil {
			sqlDB.Close()
		}
	})
	return db
}

// backends are the databases every store test runs on. Postgres is at
// MINIK8S_TEST_POSTGRES; a test fails if that is unset.
var backends = []backend{sqliteBackend, postgresBackend}

func openStore(t testing.TB, cfg store.Config) *store.SQLStore {
	t.Helper()
	s, err := store.Open(t.Context(), cfg, zerolog.Nop())
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("close store: %v", err)
		}
	})
	return s
}

func TestConformance(t *testing.T) {
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			storetest.Run(t, func(t *testing.T) store.Store {
				return openStore(t, store.Config{DSN: be.dsn(t)})
			})
		})
	}
}

// TestConformanceSharedDatabase runs the suite with every write going to one
// of two stores on one database in turn, as with two API servers on one
// Postgres: each store's guess of the revision is often stale, and the
// contract must hold all the same.
func TestConformanceSharedDatabase(t *testing.T) {
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			storetest.RunShared(t, func(t *testing.T) store.Store {
				dsn := be.dsn(t)
				return storetest.Shared(openStore(t, store.Config{DSN: dsn}), openStore(t, store.Config{DSN: dsn}))
			})
		})
	}
}

// TestBatchPaths follows one store's batches through both committers, with
// a second store on the same database making its guesses stale: on Postgres
// a batch is pipelined when the revision is as guessed and every write hits,
// and otherwise rolled back and committed in order, with the same outcome.
func TestBatchPaths(t *testing.T) {
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			dsn := be.dsn(t)
			a := openStore(t, store.Config{DSN: dsn})
			b := openStore(t, store.Config{DSN: dsn})
			ctx := t.Context()
			pod := func(name string) *store.Record {
				return &store.Record{Key: store.Key{Resource: "pods", Namespace: "ns", Name: name}, UID: "u-" + name, Value: []byte(`{"n":"` + name + `"}`)}
			}
			var results []*store.Record
			type stats = store.BatchStats
			steps := []struct {
				what    string
				write   func() (*store.Record, error)
				wantErr error
				wantRV  int64
				want    stats // a's, after the step
			}{
				{"a's first batch goes in order", func() (*store.Record, error) { return a.Create(ctx, pod("x")) },
					nil, 1, stats{InOrder: 1}},
				{"it went as a guessed: pipelined", func() (*store.Record, error) { return a.Create(ctx, pod("y")) },
					nil, 2, stats{InOrder: 1, Pipelined: 1}},
				{"b writes, and compacts the log", func() (*store.Record, error) {
					r, err := b.Create(ctx, pod("z"))
					if err == nil {
						// So that only the counter, not the change log's
						// primary key, stops a from reusing revision 3.
						err = b.Compact(ctx, 3)
					}
					return r, err
				}, nil, 3, stats{InOrder: 1, Pipelined: 1}},
				{"a's guess is stale: retried in order", func() (*store.Record, error) { return a.Update(ctx, pod("x"), 1) },
					nil, 4, stats{InOrder: 2, Pipelined: 1, Retried: 1}},
				{"so in order again, and a create misses", func() (*store.Record, error) { return a.Create(ctx, pod("z")) },
					store.ErrAlreadyExists, 0, stats{InOrder: 3, Pipelined: 1, Retried: 1}},
				{"so in order again, and an update conflicts", func() (*store.Record, error) { return a.Update(ctx, pod("y"), 1) },
					store.ErrConflict, 0, stats{InOrder: 4, Pipelined: 1, Retried: 1}},
				{"so in order again, an update finds nothing", func() (*store.Record, error) { return a.Update(ctx, pod("w"), 1) },
					store.ErrNotFound, 0, stats{InOrder: 5, Pipelined: 1, Retried: 1}},
				{"so in order again, a delete at a revision hits", func() (*store.Record, error) { return a.Delete(ctx, pod("y").Key, 2) },
					nil, 5, stats{InOrder: 6, Pipelined: 1, Retried: 1}},
				{"pipelined: a delete at any revision", func() (*store.Record, error) { return a.Delete(ctx, pod("x").Key, 0) },
					nil, 6, stats{InOrder: 6, Pipelined: 2, Retried: 1}},
				{"pipelined: a create misses, retried", func() (*store.Record, error) { return a.Create(ctx, pod("z")) },
					store.ErrAlreadyExists, 0, stats{InOrder: 7, Pipelined: 2, Retried: 2}},
				{"in order: a create hits", func() (*store.Record, error) { return a.Create(ctx, pod("v")) },
					nil, 7, stats{InOrder: 8, Pipelined: 2, Retried: 2}},
				{"pipelined: an update conflicts, retried", func() (*store.Record, error) { return a.Update(ctx, pod("v"), 1) },
					store.ErrConflict, 0, stats{InOrder: 9, Pipelined: 2, Retried: 3}},
				{"in order: an update hits", func() (*store.Record, error) { return a.Update(ctx, pod("v"), 7) },
					nil, 8, stats{InOrder: 10, Pipelined: 2, Retried: 3}},
				{"pipelined: a delete finds nothing, retried", func() (*store.Record, error) { return a.Delete(ctx, pod("x").Key, 0) },
					store.ErrNotFound, 0, stats{InOrder: 11, Pipelined: 2, Retried: 4}},
				{"in order: a delete at a revision hits", func() (*store.Record, error) { return a.Delete(ctx, pod("v").Key, 8) },
					nil, 9, stats{InOrder: 12, Pipelined: 2, Retried: 4}},
				{"pipelined: an update hits", func() (*store.Record, error) { return a.Update(ctx, pod("z"), 3) },
					nil, 10, stats{InOrder: 12, Pipelined: 3, Retried: 4}},
			}
			for _, st := range steps {
				r, err := st.write()
				if !errors.Is(err, st.wantErr) || (err == nil && r.ResourceVersion != st.wantRV) {
					t.Fatalf("%s: %+v, %v; want revision %d, error %v", st.what, r, err, st.wantRV, st.wantErr)
				}
				want := st.want
				if be.name == "sqlite" { // no fast path: every batch in order
					want = stats{InOrder: want.InOrder + want.Pipelined}
				}
				if got := a.BatchStats(); got != want {
					t.Fatalf("%s: a's batches %+v, want %+v", st.what, got, want)
				}
				if err == nil {
					results = append(results, r)
				}
			}
			// Each write returned its object as stored: a deletion the object
			// as it was, an update the stored uid.
			for _, r := range results {
				if r.UID != "u-"+r.Name || string(r.Value) != `{"n":"`+r.Name+`"}` {
					t.Errorf("returned %+v", r)
				}
			}
			log, err := a.Changes(ctx, 3, 0)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for i, c := range log {
				if c.Revision != int64(i+4) {
					t.Fatalf("change %d has revision %d", i, c.Revision)
				}
				got = append(got, fmt.Sprintf("%s %s %s", c.Type, c.Name, c.UID))
			}
			want := []string{"MODIFIED x u-x", "DELETED y u-y", "DELETED x u-x",
				"ADDED v u-v", "MODIFIED v u-v", "DELETED v u-v", "MODIFIED z u-z"}
			if !slices.Equal(got, want) {
				t.Errorf("change log %q, want %q", got, want)
			}
		})
	}
}

func TestOpenConfig(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name    string
		cfg     store.Config
		wantErr bool
	}{
		{"sqlite path", store.Config{DSN: filepath.Join(dir, "a.db")}, false},
		{"sqlite url", store.Config{DSN: "sqlite://" + filepath.Join(dir, "b.db")}, false},
		{"empty dsn", store.Config{}, true},
		{"empty sqlite url", store.Config{DSN: "sqlite://"}, true},
		{"missing directory", store.Config{DSN: filepath.Join(dir, "nope", "c.db")}, true},
		{"negative window", store.Config{DSN: filepath.Join(dir, "d.db"), CompactWindow: -1}, true},
		{"batch too large", store.Config{DSN: filepath.Join(dir, "e.db"), MaxBatch: 5000}, true},
		{"postgres unreachable", store.Config{DSN: "postgres://u:p@127.0.0.1:1/db?sslmode=disable&connect_timeout=2"}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := store.Open(t.Context(), tc.cfg, zerolog.Nop())
			if err == nil {
				s.Close()
			}
			if (err != nil) != tc.wantErr {
				t.Fatalf("Open: error %v, want error %v", err, tc.wantErr)
			}
		})
	}
}

func TestReopenKeepsState(t *testing.T) {
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			dsn := be.dsn(t)
			s, err := store.Open(t.Context(), store.Config{DSN: dsn}, zerolog.Nop())
			if err != nil {
				t.Fatal(err)
			}
			r, err := s.Create(t.Context(), &store.Record{Key: store.Key{Resource: "pods", Name: "a"}, Value: []byte("{}")})
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			_, err = s.Create(t.Context(), &store.Record{Key: store.Key{Resource: "pods", Name: "b"}})
			if !errors.Is(err, store.ErrClosed) {
				t.Fatalf("create after close: %v, want ErrClosed", err)
			}

			s = openStore(t, store.Config{DSN: dsn})
			if got, err := s.Get(t.Context(), r.Key); err != nil || got.ResourceVersion != r.ResourceVersion {
				t.Fatalf("get after reopen: %v, %v", got, err)
			}
			if rev, err := s.Revision(t.Context()); err != nil || rev != 1 {
				t.Fatalf("revision after reopen: %d, %v", rev, err)
			}
		})
	}
}

// TestLostConnections kills the store's Postgres connections, as a
// Postgres restart does, while the committer is on the pipelined fast path:
// writes fail for a moment, nothing is half-applied, and the store recovers
// by itself, back on the fast path.
func TestLostConnections(t *testing.T) {
	dsn, err := url.Parse(postgresBackend.dsn(t))
	if err != nil {
		t.Fatal(err)
	}
	app := strings.ReplaceAll(strings.ToLower(t.Name()), "/", "_") + "_" + strconv.Itoa(os.Getpid())
	q := dsn.Query()
	q.Set("application_name", app)
	dsn.RawQuery = q.Encode()
	s := openStore(t, store.Config{DSN: dsn.String()})
	ctx := t.Context()
	create := func(name string) error {
		_, err := s.Create(ctx, &store.Record{Key: store.Key{Resource: "pods", Name: name}, Value: []byte("{}")})
		return err
	}
	for _, name := range []string{"a", "b"} {
		if err := create(name); err != nil {
			t.Fatal(err)
		}
	}
	if s.BatchStats().Pipelined != 1 {
		t.Fatalf("batches before the kill: %+v, want b pipelined", s.BatchStats())
	}

	admin := rawOpen(t, postgres.Open(testsvc.Require(t, testsvc.Postgres)))
	var killed []bool
	err = admin.Raw(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = ?`, app).Scan(&killed).Error
	if err != nil || len(killed) == 0 {
		t.Fatalf("terminate the store's connections: %d killed, %v", len(killed), err)
	}

	// Each dead connection fails the one statement that finds it dead (pgx
	// pings only connections idle for over a second), so retry, as the API
	// server's clients do.
	retry := func(what string, f func() error) {
		t.Helper()
		var failures int
		for err := f(); err != nil; err = f() {
			if errors.Is(err, store.ErrAlreadyExists) {
				t.Fatalf("%s: a write that reported failure was applied", what)
			}
			if failures++; failures == 20 {
				t.Fatalf("%s: still failing after %d tries: %v", what, failures, err)
			}
			time.Sleep(50 * time.Millisecond)
		}
		t.Logf("%s: %d failures after the kill", what, failures)
	}
	retry("create c", func() error { return create("c") })
	// The fast path's attempt found its connection dead and handed the batch
	// to the ordinary committer, which took a fresh one; the next batch is
	// pipelined again.
	before := s.BatchStats()
	if err := create("d"); err != nil {
		t.Fatal(err)
	}
	if after := s.BatchStats(); after.Pipelined != before.Pipelined+1 {
		t.Errorf("the write after recovery was not pipelined: %+v, then %+v", before, after)
	}
	var log []store.Change
	retry("read changes", func() (err error) {
		log, err = s.Changes(ctx, 0, 0)
		return err
	})
	var names []string
	for i, c := range log {
		if c.Revision != int64(i+1) {
			t.Fatalf("change %d has revision %d", i, c.Revision)
		}
		names = append(names, c.Name)
	}
	if !slices.Equal(names, []string{"a", "b", "c", "d"}) {
		t.Errorf("change log %q, want a b c d", names)
	}
}

// TestFailedTransaction makes the batch's transaction fail (the change log
// table is renamed away): every write of the batch fails, nothing is
// applied, and once the table is back the committer carries on. "warm"
// first commits one write, so that on Postgres the failing batches start on
// the pipelined fast path.
func TestFailedTransaction(t *testing.T) {
	for _, be := range backends {
		for _, warm := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/warm=%v", be.name, warm), func(t *testing.T) {
				dsn := be.dsn(t)
				s := openStore(t, store.Config{DSN: dsn})
				raw := be.raw(t, dsn)
				var start int64
				if warm {
					if _, err := s.Create(t.Context(), &store.Record{Key: store.Key{Resource: "pods", Name: "warm"}, Value: []byte("{}")}); err != nil {
						t.Fatal(err)
					}
					start = 1
				}
				if err := raw.Exec("ALTER TABLE changes RENAME TO changes_away").Error; err != nil {
					t.Fatal(err)
				}
				var wg sync.WaitGroup
				for i := range 4 {
					wg.Go(func() {
						_, err := s.Create(t.Context(), &store.Record{Key: store.Key{Resource: "pods", Name: fmt.Sprint(i)}, Value: []byte("{}")})
						if err == nil || errors.Is(err, store.ErrAlreadyExists) {
							t.Errorf("create %d without a change log: %v, want a database error", i, err)
						}
					})
				}
				wg.Wait()
				if err := raw.Exec("ALTER TABLE changes_away RENAME TO changes").Error; err != nil {
					t.Fatal(err)
				}
				if st := s.BatchStats(); st.Failed == 0 || (warm && be.name == "postgres" && st.Retried == 0) {
					t.Errorf("batches %+v: want failed ones, on Postgres warm after a pipelined try", st)
				}
				list, rev, err := s.List(t.Context(), store.Prefix{Resource: "pods"}, store.ListOptions{})
				if err != nil || int64(len(list)) != start || rev != start {
					t.Fatalf("after failed batch: %d objects at %d, %v; want %d at %d", len(list), rev, err, start, start)
				}
				r, err := s.Create(t.Context(), &store.Record{Key: store.Key{Resource: "pods", Name: "0"}, Value: []byte("{}")})
				if err != nil || r.ResourceVersion != start+1 {
					t.Fatalf("create after recovery: %v, %v", r, err)
				}
			})
		}
	}
}

func TestRunCompactor(t *testing.T) {
	s := openStore(t, store.Config{DSN: sqliteBackend.dsn(t), CompactWindow: 3})
	if err := s.RunCompactor(t.Context(), 0); err == nil {
		t.Fatal("RunCompactor with interval 0: no error")
	}
	for i := range 10 {
		if _, err := s.Create(t.Context(), &store.Record{Key: store.Key{Resource: "pods", Name: fmt.Sprint(i)}, Value: []byte("{}")}); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- s.RunCompactor(ctx, 5*time.Millisecond) }()

	deadline := time.Now().Add(5 * time.Second)
	for {
		_, err := s.Changes(t.Context(), 6, 0)
		if errors.Is(err, store.ErrCompacted) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if time.Now().After(deadline) {
			t.Fatal("the compactor did not compact to revision 7")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if changes, err := s.Changes(t.Context(), 7, 0); err != nil || len(changes) != 3 {
		t.Fatalf("changes after 7: %d, %v; want 3", len(changes), err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("RunCompactor: %v", err)
	}
}

// Benchmarks: go test ./store -run '^$' -bench . -benchtime 2s
// (with MINIK8S_TEST_POSTGRES set for Postgres). They report writes/s and
// the p99 latency of one write.

func BenchmarkCreate(b *testing.B) {
	benchWrites(b, func(b *testing.B, s *store.SQLStore, clients int) func(client, i int) error {
		return func(client, i int) error {
			_, err := s.Create(b.Context(), &store.Record{
				Key:   store.Key{Resource: "pods", Namespace: "bench", Name: fmt.Sprintf("p-%d-%d", client, i)},
				UID:   "uid",
				Value: benchValue,
			})
			return err
		}
	})
}

func BenchmarkUpdate(b *testing.B) {
	benchWrites(b, func(b *testing.B, s *store.SQLStore, clients int) func(client, i int) error {
		// One object per client, so updates never conflict.
		rvs := make([]int64, clients)
		for c := range clients {
			r, err := s.Create(b.Context(), &store.Record{
				Key: store.Key{Resource: "pods", Namespace: "bench", Name: fmt.Sprint(c)}, UID: "uid", Value: benchValue,
			})
			if err != nil {
				b.Fatal(err)
			}
			rvs[c] = r.ResourceVersion
		}
		return func(client, _ int) error {
			r, err := s.Update(b.Context(), &store.Record{
				Key: store.Key{Resource: "pods", Namespace: "bench", Name: fmt.Sprint(client)}, Value: benchValue,
			}, rvs[client])
			if err == nil {
				rvs[client] = r.ResourceVersion
			}
			return err
		}
	})
}

var benchValue = []byte(`{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","namespace":"bench"},` +
	`"spec":{"containers":[{"name":"c","image":"nginx:1.27"}]},"status":{"phase":"Pending"}}`)

// benchWrites runs setup's write function from 1 and 8 concurrent clients
// on each backend, b.N writes in all.
func benchWrites(b *testing.B, setup func(b *testing.B, s *store.SQLStore, clients int) func(client, i int) error) {
	for _, be := range backends {
		for _, clients := range []int{1, 8} {
			b.Run(fmt.Sprintf("%s/clients=%d", be.name, clients), func(b *testing.B) {
				s := openStore(b, store.Config{DSN: be.dsn(b)})
				write := setup(b, s, clients)
				var (
					next      atomic.Int64
					wg        sync.WaitGroup
					latencies = make([][]time.Duration, clients)
				)
				b.ResetTimer()
				start := time.Now()
				for c := range clients {
					wg.Go(func() {
						for {
							i := next.Add(1)
							if i > int64(b.N) {
								return
							}
							t0 := time.Now()
							if err := write(c, int(i)); err != nil {
								b.Error(err)
								return
							}
							latencies[c] = append(latencies[c], time.Since(t0))
						}
					})
				}
				wg.Wait()
				elapsed := time.Since(start)
				b.StopTimer()
				all := slices.Concat(latencies...)
				slices.Sort(all)
				if len(all) > 0 {
					b.ReportMetric(float64(len(all))/elapsed.Seconds(), "writes/s")
					b.ReportMetric(float64(all[len(all)*99/100].Microseconds())/1000, "p99-ms")
				}
			})
		}
	}
}
