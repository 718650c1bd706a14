package storetest

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"

	"github.com/minik8s/minik8s/store"
)

// pageAll reads every page of p at rev, limit records at a time, checking
// each page's Revision and Remaining against the records still to come.
func pageAll(t *testing.T, s Subject, p store.Prefix, rev int64, limit int) ([]*store.Record, error) {
	t.Helper()
	var (
		out   []*store.Record
		after store.Key
		ends  []int64 // for each page with more to come, where its list would end
	)
	for {
		pg, err := s.ListPage(t.Context(), p, store.PageOptions{Revision: rev, After: after, Limit: limit})
		if err != nil {
			return nil, err
		}
		if rev != 0 && pg.Revision != rev {
			t.Fatalf("page at %d says revision %d", rev, pg.Revision)
		}
		rev = pg.Revision
		out = append(out, pg.Records...)
		if !pg.More {
			if pg.Remaining != 0 {
				t.Errorf("last page at %d: remaining %d, want 0", rev, pg.Remaining)
			}
			for i, end := range ends {
				if end != int64(len(out)) {
					t.Errorf("page %d of %d at %d: remaining says %d records in all, the pages hold %d",
						i+1, limit, rev, end, len(out))
				}
			}
			return out, nil
		}
		if len(pg.Records) != limit {
			t.Fatalf("page at %d: %d records with more to come, want %d", rev, len(pg.Records), limit)
		}
		after = pg.Records[len(pg.Records)-1].Key
		ends = append(ends, int64(len(out))+pg.Remaining)
	}
}

func keys(recs []*store.Record) []string {
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i] = r.Namespace + "/" + r.Name
	}
	return out
}

// wantSame fails t unless got and want hold the same records (key, uid,
// revision and value), in the same order.
func wantSame(t *testing.T, what string, got, want []*store.Record) {
	t.Helper()
	if !slices.Equal(keys(got), keys(want)) {
		t.Fatalf("%s: got %q, want %q", what, keys(got), keys(want))
	}
	for i := range got {
		wantRecord(t, what, got[i], *want[i])
	}
}

// testListPage pages through a list at one revision while its objects are
// created, updated, deleted and re-created: every page shows them as they
// were at that revision.
func testListPage(t *testing.T, s Subject) {
	ctx := t.Context()
	pods := store.Prefix{Resource: "pods"}
	for _, k := range []string{"a/p1", "a/p2", "a/p3", "a/p4", "a/p5", "b/q1", "B/w"} {
		ns, name, _ := cut(k)
		_, err := s.Create(ctx, rec("pods", ns, name, "uid-"+k, "v1 "+k))
		wantErr(t, "create "+k, err, nil)
	}
	_, err := s.Create(ctx, rec("nodes", "", "n1", "uid-n1", "node"))
	wantErr(t, "create node", err, nil)
	r0 := revision(t, s)
	before, _, err := s.List(ctx, pods, store.ListOptions{})
	wantErr(t, "list", err, nil)

	pg, err := s.ListPage(ctx, pods, store.PageOptions{Limit: 2})
	wantErr(t, "first page", err, nil)
	if got := keys(pg.Records); !slices.Equal(got, []string{"B/w", "a/p1"}) || !pg.More || pg.Remaining != 5 || pg.Revision != r0 {
		t.Fatalf("first page: %q more %v remaining %d at %d; want [B/w a/p1], more, 5 at %d",
			got, pg.More, pg.Remaining, pg.Revision, r0)
	}

	// Change everything the rest of the list covers.
	_, err = s.Delete(ctx, store.Key{Resource: "pods", Namespace: "a", Name: "p2"}, 0)
	wantErr(t, "delete a/p2", err, nil)
	for _, k := range []string{"a/p0", "a/p25", "c/new"} {
		ns, name, _ := cut(k)
		_, err = s.Create(ctx, rec("pods", ns, name, "uid-"+k, "new"))
		wantErr(t, "create "+k, err, nil)
	}
	p3 := before[3] // a/p3
	_, err = s.Update(ctx, rec("pods", "a", "p3", "", "v2"), p3.ResourceVersion)
	wantErr(t, "update a/p3", err, nil)
	_, err = s.Delete(ctx, store.Key{Resource: "pods", Namespace: "a", Name: "p4"}, 0)
	wantErr(t, "delete a/p4", err, nil)
	_, err = s.Create(ctx, rec("pods", "a", "p4", "uid-again", "v3"))
	wantErr(t, "re-create a/p4", err, nil)

	for _, limit := range []int{1, 2, 3, 100} {
		got, err := pageAll(t, s, pods, r0, limit)
		wantErr(t, fmt.Sprintf("pages of %d at %d", limit, r0), err, nil)
		wantSame(t, fmt.Sprintf("pages of %d at %d", limit, r0), got, before)
	}
	rest, err := s.ListPage(ctx, pods, store.PageOptions{Revision: r0, After: pg.Records[1].Key, Limit: 2})
	wantErr(t, "second page", err, nil)
	if !rest.More || rest.Remaining != 3 {
		t.Errorf("second page at %d: more %v remaining %d, want more and 3", r0, rest.More, rest.Remaining)
	}
	wantSame(t, "second page", rest.Records, before[2:4])

	// One namespace and a cluster-scoped resource page the same way.
	got, err := pageAll(t, s, store.Prefix{Resource: "pods", Namespace: "a"}, r0, 2)
	wantErr(t, "namespace a", err, nil)
	wantSame(t, "namespace a", got, before[1:6])
	nodes, err := pageAll(t, s, store.Prefix{Resource: "nodes"}, r0, 1)
	wantErr(t, "nodes", err, nil)
	if !slices.Equal(keys(nodes), []string{"/n1"}) {
		t.Errorf("nodes at %d: %q", r0, keys(nodes))
	}

	// The newest revision shows the changes.
	now, _, err := s.List(ctx, pods, store.ListOptions{})
	wantErr(t, "list now", err, nil)
	got, err = pageAll(t, s, pods, 0, 2)
	wantErr(t, "pages now", err, nil)
	wantSame(t, "pages now", got, now)

	cur := revision(t, s)
	_, err = s.ListPage(ctx, pods, store.PageOptions{Revision: cur + 1})
	wantErr(t, "a page in the future", err, store.ErrFutureRevision)

	wantErr(t, "compact", s.Compact(ctx, cur), nil)
	_, err = s.ListPage(ctx, pods, store.PageOptions{Revision: r0, Limit: 2})
	wantErr(t, "a page at a compacted revision", err, store.ErrCompacted)
	got, err = pageAll(t, s, pods, cur, 2)
	wantErr(t, "pages at the compacted revision itself", err, nil)
	wantSame(t, "pages at the compacted revision itself", got, now)
}

func cut(k string) (ns, name string, ok bool) {
	for i := range len(k) {
		if k[i] == '/' {
			return k[:i], k[i+1:], true
		}
	}
	return "", k, false
}

// testListPageChurn writes at random (creates, updates, deletes) while
// readers page through lists at the revisions the writer saw: every paged
// list equals the list taken at that revision.
func testListPageChurn(t *testing.T, s Subject) {
	ctx := t.Context()
	pods := store.Prefix{Resource: "pods"}
	var (
		mu    sync.Mutex
		snaps = map[int64][]*store.Record{}
		revs  []int64
	)
	snapshot := func() {
		list, rev, err := s.List(ctx, pods, store.ListOptions{})
		if err != nil {
			t.Errorf("list: %v", err)
			return
		}
		mu.Lock()
		if _, ok := snaps[rev]; !ok {
			snaps[rev] = list
			revs = append(revs, rev)
		}
		mu.Unlock()
	}
	rng := rand.New(rand.NewPCG(1, 2))
	write := func() {
		k := store.Key{Resource: "pods", Namespace: fmt.Sprintf("ns%d", rng.IntN(3)), Name: fmt.Sprintf("p%02d", rng.IntN(12))}
		cur, err := s.Get(ctx, k)
		switch {
		case err != nil:
			_, err = s.Create(ctx, &store.Record{Key: k, UID: fmt.Sprint(rng.Int()), Value: []byte(fmt.Sprint(rng.Int()))})
		case rng.IntN(3) == 0:
			_, err = s.Delete(ctx, k, cur.ResourceVersion)
		default:
			_, err = s.Update(ctx, &store.Record{Key: k, Value: []byte(fmt.Sprint(rng.Int()))}, cur.ResourceVersion)
		}
		if err != nil {
			t.Errorf("write %v: %v", k, err)
			return
		}
		snapshot()
	}
	for range 60 {
		write()
	}

	stop, done := make(chan struct{}), make(chan struct{})
	go func() { // keep writing while the pages are read
		defer close(done)
		for range 150 {
			select {
			case <-stop:
				return
			default:
				write()
			}
		}
	}()
	// A failed check ends the test at once (t.Fatalf): the writer stops
	// first, so that it never reports on a test that has ended.
	defer func() {
		close(stop)
		<-done
	}()
	check := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < 40; i++ {
		mu.Lock()
		rev := revs[check.IntN(len(revs))]
		want := snaps[rev]
		mu.Unlock()
		limit := []int{1, 2, 5, 9}[i%4]
		got, err := pageAll(t, s, pods, rev, limit)
		wantErr(t, fmt.Sprintf("pages of %d at %d", limit, rev), err, nil)
		wantSame(t, fmt.Sprintf("pages of %d at %d", limit, rev), got, want)
	}
}
