package store

import (
	"context"
	"fmt"
	"strings"
	"testing"
)

// TestHistoryBeyondTheCutIsCounted: the history of a page cut after a key
// reads the values of the changes up to that key, and of the changes after
// it only what counting needs (none at all without counting).
func TestHistoryBeyondTheCutIsCounted(t *testing.T) {
	ctx := context.Background()
	s := openSQLite(t, Config{})
	key := func(ns string) Key { return Key{Resource: "pods", Namespace: ns, Name: "p"} }
	big := []byte(`"` + strings.Repeat("x", 8192) + `"`)
	var revs = map[string]int64{}
	for _, ns := range []string{"a", "b", "c"} {
		r, err := s.Create(ctx, &Record{Key: key(ns), UID: "u-" + ns, Value: big})
		if err != nil {
			t.Fatal(err)
		}
		revs[ns] = r.ResourceVersion
	}
	r0, _ := s.Revision(ctx)
	for _, ns := range []string{"a", "c"} {
		if _, err := s.Update(ctx, &Record{Key: key(ns), Value: []byte(`"new"`)}, revs[ns]); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Delete(ctx, key("b"), 0); err != nil {
		t.Fatal(err)
	}
	now, _ := s.Revision(ctx)
	cut := key("a")

	h, err := s.readHistory(ctx, Prefix{Resource: "pods"}, Key{}, &cut, true, r0, now)
	if err != nil {
		t.Fatal(err)
	}
	if e := h[key("a")]; e == nil || e.beyond || string(e.prevValue) != string(big) || e.prevRev != revs["a"] {
		t.Fatalf("a, up to the cut: %+v, want its value at %d", e, r0)
	}
	for _, ns := range []string{"b", "c"} {
		if e := h[key(ns)]; e == nil || !e.beyond || e.prevValue != nil || !e.existedAtR || e.existsNow != (ns == "c") {
			t.Fatalf("%s, beyond the cut: %+v, want it counted (existed at %d, exists now: %v) and no value read", ns, e, r0, ns == "c")
		}
	}

	h, err = s.readHistory(ctx, Prefix{Resource: "pods"}, Key{}, &cut, false, r0, now)
	if err != nil {
		t.Fatal(err)
	}
	if len(h) != 1 || h[key("a")] == nil {
		t.Fatalf("uncounted history: %d keys, want only a", len(h))
	}
}

// BenchmarkPagesAtOlderRevision pages through 20,000 objects of 1 KB at a
// revision 2,000 updates old, 500 at a time (one op: the whole list).
func BenchmarkPagesAtOlderRevision(b *testing.B) {
	ctx := context.Background()
	s := openSQLite(b, Config{})
	value := []byte(`"` + strings.Repeat("x", 1024) + `"`)
	const n = 20000
	recs := make([]*Record, n)
	for i := range n {
		r, err := s.Create(ctx, &Record{Key: Key{Resource: "pods", Namespace: "ns", Name: fmt.Sprintf("p%05d", i)}, UID: fmt.Sprint(i), Value: value})
		if err != nil {
			b.Fatal(err)
		}
		recs[i] = r
	}
	r0, _ := s.Revision(ctx)
	for i := range 2000 {
		r := recs[i*n/2000]
		if _, err := s.Update(ctx, &Record{Key: r.Key, Value: value}, r.ResourceVersion); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for b.Loop() {
		var after Key
		for {
			pg, err := s.ListPage(ctx, Prefix{Resource: "pods"}, PageOptions{Revision: r0, After: after, Limit: 500})
			if err != nil {
				b.Fatal(err)
			}
			if !pg.More {
				break
			}
			after = pg.Records[len(pg.Records)-1].Key
		}
	}
}
