// Package storetest is the conformance suite for store.Store
// implementations, run against every database the store supports, in the
// manner of litestream's RunWithReplicaClient.
//
// Run checks the contract of store.Store, store.ChangeLog and the OnCommit
// hook: CRUD and its sentinel errors, list snapshots, optimistic
// concurrency under contention, gapless in-order revisions, a change log a
// concurrent reader sees without gaps, compaction, and a hook that sees every
// change once and in order.
//
// RunShared checks the same contract, but the hook, for several stores on one
// database, as several API servers share one Postgres: writes go to each
// store in turn (Shared), so each store's writes interleave with the others'.
package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/minik8s/minik8s/store"
)

// Shared returns a Subject over several stores on one database: each write
// goes to the next store in turn, reads go to the first. Its SetOnCommit
// panics; RunShared does not call it.
func Shared(stores ...Subject) Subject {
	if len(stores) == 0 {
		panic("storetest.Shared: no stores")
	}
	return &shared{Subject: stores[0], stores: stores}
}

type shared struct {
	Subject // reads
	stores  []Subject
	next    atomic.Uint64
}

func (s *shared) writer() Subject { return s.stores[s.next.Add(1)%uint64(len(s.stores))] }

func (s *shared) Create(ctx context.Context, r *store.Record) (*store.Record, error) {
	return s.writer().Create(ctx, r)
}

func (s *shared) Update(ctx context.Context, r *store.Record, expectRV int64) (*store.Record, error) {
	return s.writer().Update(ctx, r, expectRV)
}

func (s *shared) Delete(ctx context.Context, k store.Key, expectRV int64) (*store.Record, error) {
	return s.writer().Delete(ctx, k, expectRV)
}

func (s *shared) SetOnCommit(func([]store.Change)) {
	panic("storetest: a shared subject has no single OnCommit hook")
}

// Subject is what Run tests: a store that is also its own change log and
// accepts an OnCommit hook (set before the first write).
type Subject interface {
	store.Store
	store.ChangeLog
	SetOnCommit(func([]store.Change))
}

// Run runs the suite. open must return a fresh, empty store each time it is
// called and arrange (with t.Cleanup) for it to be closed; the store must
// implement Subject.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	run(t, open, append(suite, test{"OnCommit", testOnCommit}))
}

// RunShared runs the suite but the OnCommit test (each store's hook sees only
// its own commits) on a Subject made with Shared. open must return a fresh
// Shared subject each time.
func RunShared(t *testing.T, open func(t *testing.T) store.Store) {
	run(t, open, suite)
}

type test struct {
	name string
	fn   func(t *testing.T, s Subject)
}

var suite = []test{
	{"CRUD", testCRUD},
	{"InvalidKey", testInvalidKey},
	{"CancelledContext", testCancelled},
	{"List", testList},
	{"ListSnapshot", testListSnapshot},
	{"ListPage", testListPage},
	{"ListPageChurn", testListPageChurn},
	{"OCCIncrements", testOCC},
	{"CreateRace", testCreateRace},
	{"GaplessRevisions", testGapless},
	{"ChangeLogReader", testChangeLogReader},
	{"Compaction", testCompaction},
}

func run(t *testing.T, open func(t *testing.T) store.Store, tests []test) {
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st := open(t)
			s, ok := st.(Subject)
			if !ok {
				t.Fatalf("%T does not implement storetest.Subject", st)
			}
			tc.fn(t, s)
		})
	}
}

func rec(resource, ns, name, uid, value string) *store.Record {
	return &store.Record{
		Key:   store.Key{Resource: resource, Namespace: ns, Name: name},
		UID:   uid,
		Value: []byte(value),
	}
}

// wantErr fails t unless err is target (nil: no error).
func wantErr(t *testing.T, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("%s: error %v, want %v", what, err, target)
	}
}

func wantRecord(t *testing.T, what string, got *store.Record, want store.Record) {
	t.Helper()
	if got == nil {
		t.Fatalf("%s: nil record", what)
	}
	if got.Key != want.Key || got.UID != want.UID || got.ResourceVersion != want.ResourceVersion ||
		!bytes.Equal(got.Value, want.Value) {
		t.Fatalf("%s: got %+v (value %s), want %+v (value %s)", what, *got, got.Value, want, want.Value)
	}
}

func revision(t *testing.T, s Subject) int64 {
	t.Helper()
	rev, err := s.Revision(t.Context())
	if err != nil {
		t.Fatalf("Revision: %v", err)
	}
	return rev
}

func testCRUD(t *testing.T, s Subject) {
	ctx := t.Context()
	base := revision(t, s)

	a, err := s.Create(ctx, rec("pods", "default", "a", "uid-a", `{"v":1}`))
	wantErr(t, "create a", err, nil)
	wantRecord(t, "create a", a, store.Record{Key: a.Key, UID: "uid-a", ResourceVersion: base + 1, Value: []byte(`{"v":1}`)})
	got, err := s.Get(ctx, a.Key)
	wantErr(t, "get a", err, nil)
	wantRecord(t, "get a", got, *a)

	_, err = s.Create(ctx, rec("pods", "default", "a", "uid-other", `{}`))
	wantErr(t, "create a again", err, store.ErrAlreadyExists)

	// The same name under another namespace, resource or scope is another key.
	for _, r := range []*store.Record{
		rec("pods", "other", "a", "uid-a2", `{}`),
		rec("services", "default", "a", "uid-a3", `{}`),
		rec("nodes", "", "a", "uid-a4", `{}`),
	} {
		_, err := s.Create(ctx, r)
		wantErr(t, fmt.Sprintf("create %+v", r.Key), err, nil)
	}
	if rev := revision(t, s); rev != base+4 {
		t.Fatalf("revision %d after 4 creates, want %d", rev, base+4)
	}

	_, err = s.Update(ctx, rec("pods", "default", "a", "", `{"v":2}`), a.ResourceVersion+100)
	wantErr(t, "update with a wrong rv", err, store.ErrConflict)
	_, err = s.Update(ctx, rec("pods", "default", "missing", "", `{}`), 1)
	wantErr(t, "update missing", err, store.ErrNotFound)

	// Update keeps the stored uid whatever the record says.
	u, err := s.Update(ctx, rec("pods", "default", "a", "", `{"v":2}`), a.ResourceVersion)
	wantErr(t, "update a", err, nil)
	wantRecord(t, "update a", u, store.Record{Key: a.Key, UID: "uid-a", ResourceVersion: base + 5, Value: []byte(`{"v":2}`)})
	got, err = s.Get(ctx, a.Key)
	wantErr(t, "get updated a", err, nil)
	wantRecord(t, "get updated a", got, *u)
	_, err = s.Update(ctx, rec("pods", "default", "a", "", `{"v":3}`), a.ResourceVersion)
	wantErr(t, "update with a stale rv", err, store.ErrConflict)

	_, err = s.Delete(ctx, a.Key, a.ResourceVersion)
	wantErr(t, "delete with a stale rv", err, store.ErrConflict)
	d, err := s.Delete(ctx, a.Key, u.ResourceVersion)
	wantErr(t, "delete a", err, nil)
	wantRecord(t, "delete a", d, store.Record{Key: a.Key, UID: "uid-a", ResourceVersion: base + 6, Value: []byte(`{"v":2}`)})
	_, err = s.Get(ctx, a.Key)
	wantErr(t, "get deleted a", err, store.ErrNotFound)
	_, err = s.Delete(ctx, a.Key, 0)
	wantErr(t, "delete deleted a", err, store.ErrNotFound)
	_, err = s.Update(ctx, rec("pods", "default", "a", "", `{}`), d.ResourceVersion)
	wantErr(t, "update deleted a", err, store.ErrNotFound)

	n, err := s.Delete(ctx, store.Key{Resource: "nodes", Name: "a"}, 0)
	wantErr(t, "delete node a with rv 0", err, nil)
	if n.ResourceVersion != base+7 || n.UID != "uid-a4" {
		t.Fatalf("delete node a: got %+v", *n)
	}

	// The change log holds every successful write, and only those.
	changes, err := s.Changes(ctx, base, 0)
	wantErr(t, "changes", err, nil)
	var types []store.EventType
	for i, c := range changes {
		if c.Revision != base+int64(i)+1 || c.ResourceVersion != c.Revision {
			t.Fatalf("change %d: revision %d, rv %d", i, c.Revision, c.ResourceVersion)
		}
		types = append(types, c.Type)
	}
	want := []store.EventType{store.Added, store.Added, store.Added, store.Added, store.Modified, store.Deleted, store.Deleted}
	if !slices.Equal(types, want) {
		t.Fatalf("change types %v, want %v", types, want)
	}
	wantRecord(t, "deleted change", &changes[5].Record, *d)
}

func testInvalidKey(t *testing.T, s Subject) {
	ctx := t.Context()
	for _, r := range []*store.Record{
		rec("pods", "default", "", "u", `{}`),
		rec("", "default", "a", "u", `{}`),
		rec("pods", "default", "a\x00b", "u", `{}`),
		rec("pods", "default\xff", "a", "u", `{}`),
	} {
		_, err := s.Create(ctx, r)
		if err == nil || errors.Is(err, store.ErrAlreadyExists) {
			t.Errorf("create %+q: error %v, want a validation error", r.Key, err)
		}
	}
	if rev := revision(t, s); rev != 0 {
		t.Errorf("revision %d after invalid writes, want 0", rev)
	}
}

func testCancelled(t *testing.T, s Subject) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	r := rec("pods", "default", "a", "u", `{}`)
	_, err := s.Create(ctx, r)
	wantErr(t, "create with a cancelled context", err, context.Canceled)
	_, err = s.Get(t.Context(), r.Key)
	wantErr(t, "get", err, store.ErrNotFound)
	if rev := revision(t, s); rev != 0 {
		t.Errorf("revision %d after a cancelled create, want 0", rev)
	}
}

func testList(t *testing.T, s Subject) {
	ctx := t.Context()
	created := map[store.Key]*store.Record{}
	for _, r := range []*store.Record{
		rec("pods", "b", "y", "u1", `{"n":"b/y"}`),
		rec("pods", "b", "x", "u2", `{"n":"b/x"}`),
		rec("pods", "a", "z", "u3", `{"n":"a/z"}`),
		rec("pods", "B", "w", "u4", `{"n":"B/w"}`),
		rec("services", "a", "x", "u5", `{}`),
		rec("nodes", "", "n2", "u6", `{}`),
		rec("nodes", "", "n1", "u7", `{}`),
	} {
		c, err := s.Create(ctx, r)
		wantErr(t, "create", err, nil)
		created[c.Key] = c
	}
	rev := revision(t, s)

	tests := []struct {
		prefix store.Prefix
		want   []string // namespace/name in order
	}{
		{store.Prefix{Resource: "pods", Namespace: "b"}, []string{"b/x", "b/y"}},
		{store.Prefix{Resource: "pods"}, []string{"B/w", "a/z", "b/x", "b/y"}},
		{store.Prefix{Resource: "nodes"}, []string{"/n1", "/n2"}},
		{store.Prefix{Resource: "services", Namespace: "b"}, nil},
		{store.Prefix{Resource: "secrets"}, nil},
	}
	for _, tc := range tests {
		list, listRev, err := s.List(ctx, tc.prefix, store.ListOptions{})
		wantErr(t, "list", err, nil)
		if listRev != rev {
			t.Errorf("list %+v: revision %d, want %d", tc.prefix, listRev, rev)
		}
		var names []string
		for _, r := range list {
			names = append(names, r.Namespace+"/"+r.Name)
			if want := created[r.Key]; want == nil {
				t.Errorf("list %+v: unexpected %+v", tc.prefix, r.Key)
			} else {
				wantRecord(t, "listed", r, *want)
			}
		}
		if !slices.Equal(names, tc.want) {
			t.Errorf("list %+v: got %q, want %q", tc.prefix, names, tc.want)
		}
	}

	_, err := s.Delete(ctx, store.Key{Resource: "pods", Namespace: "b", Name: "x"}, 0)
	wantErr(t, "delete", err, nil)
	list, listRev, err := s.List(ctx, store.Prefix{Resource: "pods", Namespace: "b"}, store.ListOptions{})
	wantErr(t, "list after delete", err, nil)
	if listRev != rev+1 || len(list) != 1 || list[0].Name != "y" {
		t.Errorf("list after delete: %d records at %d, want b/y at %d", len(list), listRev, rev+1)
	}
}

// churn runs writers goroutines, each doing ops random writes on a few
// shared keys (creates, read-modify-write updates, deletes), and returns the
// writes that succeeded as the changes they should have logged.
func churn(t *testing.T, s Subject, writers, ops int) []store.Change {
	t.Helper()
	const keys = 6
	var (
		mu   sync.Mutex
		done []store.Change
		wg   sync.WaitGroup
	)
	ctx := t.Context()
	for w := range writers {
		wg.Go(func() {
			rnd := rand.New(rand.NewPCG(uint64(w), 42))
			for i := range ops {
				k := store.Key{Resource: "pods", Namespace: "churn", Name: fmt.Sprintf("k%d", rnd.IntN(keys))}
				value := fmt.Appendf(nil, `{"w":%d,"i":%d}`, w, i)
				var (
					out *store.Record
					typ store.EventType
					err error
				)
				switch rnd.IntN(3) {
				case 0:
					typ = store.Added
					out, err = s.Create(ctx, &store.Record{Key: k, UID: fmt.Sprintf("u-%d-%d", w, i), Value: value})
				case 1:
					typ = store.Modified
					var cur *store.Record
					if cur, err = s.Get(ctx, k); err == nil {
						out, err = s.Update(ctx, &store.Record{Key: k, UID: cur.UID, Value: value}, cur.ResourceVersion)
					}
				default:
					typ = store.Deleted
					out, err = s.Delete(ctx, k, 0)
				}
				switch {
				case err == nil:
					mu.Lock()
					done = append(done, store.Change{Revision: out.ResourceVersion, Type: typ, Record: *out})
					mu.Unlock()
				case errors.Is(err, store.ErrNotFound), errors.Is(err, store.ErrAlreadyExists), errors.Is(err, store.ErrConflict):
				default:
					t.Errorf("writer %d op %d: %v", w, i, err)
					return
				}
			}
		})
	}
	wg.Wait()
	slices.SortFunc(done, func(a, b store.Change) int { return int(a.Revision - b.Revision) })
	return done
}

// wantChanges fails t unless got and want are the same changes.
func wantChanges(t *testing.T, what string, got, want []store.Change) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d changes, want %d", what, len(got), len(want))
	}
	for i := range got {
		g, w := got[i], want[i]
		if g.Revision != w.Revision || g.Type != w.Type {
			t.Fatalf("%s: change %d is %s@%d, want %s@%d", what, i, g.Type, g.Revision, w.Type, w.Revision)
		}
		wantRecord(t, fmt.Sprintf("%s: change %d", what, i), &g.Record, w.Record)
	}
}

// wantGapless fails t unless changes have revisions from+1, from+2, ...
func wantGapless(t *testing.T, what string, changes []store.Change, from int64) {
	t.Helper()
	for i, c := range changes {
		if c.Revision != from+int64(i)+1 {
			t.Fatalf("%s: change %d has revision %d, want %d", what, i, c.Revision, from+int64(i)+1)
		}
	}
}

func testListSnapshot(t *testing.T, s Subject) {
	type snapshot struct {
		rev     int64
		objects map[string]int64 // name -> rv
	}
	var (
		snaps []snapshot
		stop  = make(chan struct{})
		wg    sync.WaitGroup
	)
	wg.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			list, rev, err := s.List(t.Context(), store.Prefix{Resource: "pods"}, store.ListOptions{})
			if err != nil {
				t.Errorf("list: %v", err)
				return
			}
			objs := map[string]int64{}
			for _, r := range list {
				objs[r.Name] = r.ResourceVersion
			}
			snaps = append(snaps, snapshot{rev, objs})
		}
	})
	churn(t, s, 4, 50)
	close(stop)
	wg.Wait()

	// Replaying the log up to a list's revision must give exactly that list.
	log, err := s.Changes(t.Context(), 0, 0)
	wantErr(t, "changes", err, nil)
	if len(snaps) < 2 {
		t.Fatalf("only %d lists ran during the writes", len(snaps))
	}
	for _, snap := range snaps {
		state := map[string]int64{}
		for _, c := range log {
			if c.Revision > snap.rev {
				break
			}
			if c.Type == store.Deleted {
				delete(state, c.Name)
			} else {
				state[c.Name] = c.Revision
			}
		}
		if !maps.Equal(state, snap.objects) {
			t.Fatalf("list at revision %d: %v, log replay gives %v", snap.rev, snap.objects, state)
		}
	}
}

func testOCC(t *testing.T, s Subject) {
	workers, increments := 64, 50
	if testing.Short() {
		increments = 5 // still hundreds of conflicts, in a fraction of the time
	}
	ctx := t.Context()
	start, err := s.Create(ctx, rec("configmaps", "default", "counter", "u", "0"))
	wantErr(t, "create counter", err, nil)

	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for range increments {
				for {
					cur, err := s.Get(ctx, start.Key)
					if err != nil {
						t.Errorf("get: %v", err)
						return
					}
					n, err := strconv.Atoi(string(cur.Value))
					if err != nil {
						t.Errorf("counter value %q: %v", cur.Value, err)
						return
					}
					_, err = s.Update(ctx, &store.Record{Key: cur.Key, UID: cur.UID, Value: []byte(strconv.Itoa(n + 1))}, cur.ResourceVersion)
					if errors.Is(err, store.ErrConflict) {
						continue
					}
					if err != nil {
						t.Errorf("update: %v", err)
						return
					}
					break
				}
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	final, err := s.Get(ctx, start.Key)
	wantErr(t, "get counter", err, nil)
	if string(final.Value) != strconv.Itoa(workers*increments) {
		t.Errorf("counter %s, want %d", final.Value, workers*increments)
	}
	// Conflicting updates take no revision.
	if want := start.ResourceVersion + int64(workers*increments); final.ResourceVersion != want || revision(t, s) != want {
		t.Errorf("counter rv %d, store revision %d, want both %d", final.ResourceVersion, revision(t, s), want)
	}
}

func testCreateRace(t *testing.T, s Subject) {
	const racers = 64
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		winners []string
	)
	for i := range racers {
		wg.Go(func() {
			uid := fmt.Sprintf("u%d", i)
			_, err := s.Create(t.Context(), rec("pods", "default", "race", uid, `{}`))
			switch {
			case err == nil:
				mu.Lock()
				winners = append(winners, uid)
				mu.Unlock()
			case !errors.Is(err, store.ErrAlreadyExists):
				t.Errorf("create: %v", err)
			}
		})
	}
	wg.Wait()
	if len(winners) != 1 {
		t.Fatalf("%d creates won, want 1", len(winners))
	}
	got, err := s.Get(t.Context(), store.Key{Resource: "pods", Namespace: "default", Name: "race"})
	wantErr(t, "get", err, nil)
	if got.UID != winners[0] || got.ResourceVersion != 1 || revision(t, s) != 1 {
		t.Errorf("stored %+v at store revision %d, want uid %s at 1", *got, revision(t, s), winners[0])
	}
}

func testGapless(t *testing.T, s Subject) {
	const writers, creates = 8, 25
	var (
		wg  sync.WaitGroup
		mu  sync.Mutex
		rvs []int64
	)
	for w := range writers {
		wg.Go(func() {
			for i := range creates {
				r, err := s.Create(t.Context(), rec("pods", "gapless", fmt.Sprintf("p-%d-%d", w, i), "u", `{}`))
				if err != nil {
					t.Errorf("create: %v", err)
					return
				}
				mu.Lock()
				rvs = append(rvs, r.ResourceVersion)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	slices.Sort(rvs)
	for i, rv := range rvs {
		if rv != int64(i)+1 {
			t.Fatalf("revisions %v are not 1..%d", rvs, writers*creates)
		}
	}
	if rev := revision(t, s); rev != writers*creates {
		t.Fatalf("store revision %d, want %d", rev, writers*creates)
	}
	changes, err := s.Changes(t.Context(), 0, 0)
	wantErr(t, "changes", err, nil)
	wantGapless(t, "change log", changes, 0)
	if len(changes) != writers*creates {
		t.Fatalf("%d changes, want %d", len(changes), writers*creates)
	}
}

func testChangeLogReader(t *testing.T, s Subject) {
	var (
		seen    []store.Change
		writing = make(chan struct{}) // closed when the writers are done
		wg      sync.WaitGroup
	)
	wg.Go(func() {
		var last int64
		deadline := time.Now().Add(20 * time.Second)
		for time.Now().Before(deadline) {
			changes, err := s.Changes(t.Context(), last, 7)
			if err != nil {
				t.Errorf("changes after %d: %v", last, err)
				return
			}
			for _, c := range changes {
				if c.Revision != last+1 {
					t.Errorf("read revision %d right after %d", c.Revision, last)
					return
				}
				last = c.Revision
				seen = append(seen, c)
			}
			if len(changes) > 0 {
				continue
			}
			select {
			default: // still writing
				time.Sleep(time.Millisecond)
			case <-writing:
				rev, err := s.Revision(t.Context())
				if err != nil {
					t.Errorf("revision: %v", err)
					return
				}
				if last == rev {
					return
				}
			}
		}
		t.Errorf("reader stuck at revision %d", last)
	})
	writes := churn(t, s, 8, 40)
	close(writing)
	wg.Wait()
	wantChanges(t, "changes the reader saw", seen, writes)
}

func testCompaction(t *testing.T, s Subject) {
	ctx := t.Context()
	for i := range 10 {
		_, err := s.Create(ctx, rec("pods", "default", fmt.Sprintf("p%d", i), "u", `{}`))
		wantErr(t, "create", err, nil)
	}
	wantErr(t, "compact to 5", s.Compact(ctx, 5), nil)

	check := func(when string, after int64, want error, wantLen int) {
		t.Helper()
		changes, err := s.Changes(ctx, after, 0)
		wantErr(t, fmt.Sprintf("%s: changes after %d", when, after), err, want)
		if err == nil {
			wantGapless(t, when, changes, after)
			if len(changes) != wantLen {
				t.Fatalf("%s: %d changes after %d, want %d", when, len(changes), after, wantLen)
			}
		}
	}
	check("compacted to 5", 0, store.ErrCompacted, 0)
	check("compacted to 5", 4, store.ErrCompacted, 0)
	check("compacted to 5", 5, nil, 5)
	check("compacted to 5", 9, nil, 1)
	check("compacted to 5", 10, nil, 0)

	// Compacting to a lower or the same revision changes nothing.
	wantErr(t, "compact to 2", s.Compact(ctx, 2), nil)
	wantErr(t, "compact to 5 again", s.Compact(ctx, 5), nil)
	check("compacted to 2 after 5", 3, store.ErrCompacted, 0)
	check("compacted to 2 after 5", 5, nil, 5)

	// Compacting beyond the newest revision compacts to it.
	wantErr(t, "compact to 1000", s.Compact(ctx, 1000), nil)
	check("compacted to 1000", 9, store.ErrCompacted, 0)
	check("compacted to 1000", 10, nil, 0)
	_, err := s.Create(ctx, rec("pods", "default", "late", "u", `{}`))
	wantErr(t, "create after compaction", err, nil)
	check("written after compaction", 10, nil, 1)

	if rev := revision(t, s); rev != 11 {
		t.Fatalf("revision %d, want 11", rev)
	}
	list, _, err := s.List(ctx, store.Prefix{Resource: "pods"}, store.ListOptions{})
	wantErr(t, "list", err, nil)
	if len(list) != 11 {
		t.Fatalf("%d objects after compaction, want 11", len(list))
	}
}

func testOnCommit(t *testing.T, s Subject) {
	var (
		mu  sync.Mutex
		got []store.Change
	)
	s.SetOnCommit(func(batch []store.Change) {
		mu.Lock()
		defer mu.Unlock()
		if len(batch) == 0 {
			t.Error("OnCommit called with no changes")
		}
		got = append(got, batch...)
	})
	writes := churn(t, s, 8, 30)

	// Every hook call for these writes ran before the writes returned.
	mu.Lock()
	defer mu.Unlock()
	wantGapless(t, "OnCommit", got, 0)
	wantChanges(t, "OnCommit vs writers", got, writes)
	log, err := s.Changes(t.Context(), 0, 0)
	wantErr(t, "changes", err, nil)
	wantChanges(t, "OnCommit vs change log", got, log)
}
