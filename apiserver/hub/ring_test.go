package hub

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"testing"

	"github.com/minik8s/minik8s/store"
)

func TestRing(t *testing.T) {
	tests := []struct {
		name   string
		size   int
		start  int64   // reset revision
		push   []int64 // revisions pushed
		after  int64
		want   []int64
		wantOK bool
	}{
		{name: "empty covers start", size: 4, start: 10, after: 10, want: []int64{}, wantOK: true},
		{name: "empty misses before start", size: 4, start: 10, after: 9},
		{name: "partial", size: 4, start: 10, push: []int64{11, 12}, after: 10, want: []int64{11, 12}, wantOK: true},
		{name: "middle", size: 4, start: 10, push: []int64{11, 12, 13}, after: 11, want: []int64{12, 13}, wantOK: true},
		{name: "newest", size: 4, start: 10, push: []int64{11, 12}, after: 12, want: []int64{}, wantOK: true},
		{name: "wrapped", size: 3, start: 0, push: []int64{1, 2, 3, 4, 5}, after: 2, want: []int64{3, 4, 5}, wantOK: true},
		{name: "evicted", size: 3, start: 0, push: []int64{1, 2, 3, 4, 5}, after: 1},
		{name: "revision holes", size: 3, start: 0, push: []int64{2, 5, 9}, after: 3, want: []int64{5, 9}, wantOK: true},
		{name: "holes evicted", size: 2, start: 0, push: []int64{2, 5, 9}, after: 3, want: []int64{5, 9}, wantOK: true},
		{name: "holes evicted too far", size: 2, start: 0, push: []int64{2, 5, 9}, after: 1},
		{name: "disabled", size: 0, start: 0, push: []int64{1, 2}, after: 2, want: []int64{}, wantOK: true},
		{name: "disabled misses", size: 0, start: 0, push: []int64{1, 2}, after: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRing(tt.size, 0)
			r.reset(tt.start)
			for _, rev := range tt.push {
				r.push(new(packer).pack(store.Change{Revision: rev}))
			}
			got, ok := r.since(tt.after)
			if ok != tt.wantOK {
				t.Fatalf("since(%d) ok = %v, want %v", tt.after, ok, tt.wantOK)
			}
			revs := []int64{}
			for _, c := range got {
				revs = append(revs, c.Revision)
			}
			if ok && !slices.Equal(revs, tt.want) {
				t.Fatalf("since(%d) = %v, want %v", tt.after, revs, tt.want)
			}
		})
	}
}

// TestRingBytes: the ring keeps its changes' memory under its byte bound,
// evicting the oldest, and never keeps a change larger than the bound.
// The values are random, so that packing them saves nothing.
func TestRingBytes(t *testing.T) {
	rnd := rand.New(rand.NewPCG(1, 2))
	kib := func(n int) store.Change {
		v := make([]byte, n<<10)
		for i := range v {
			v[i] = byte(rnd.Uint32())
		}
		return store.Change{Record: store.Record{Value: v}}
	}
	const bound = 10 << 10
	tests := []struct {
		name      string
		sizes     []int // KiB of each pushed change, at revisions 1, 2, …
		wantRevs  []int64
		wantFloor int64
	}{
		{name: "under the bound", sizes: []int{1, 2, 3}, wantRevs: []int64{1, 2, 3}},
		{name: "evicts the oldest", sizes: []int{4, 4, 4}, wantRevs: []int64{2, 3}, wantFloor: 1},
		{name: "evicts several for a big one", sizes: []int{2, 2, 2, 2, 9}, wantRevs: []int64{5}, wantFloor: 4},
		{name: "too big to keep", sizes: []int{1, 2, 11}, wantRevs: []int64{}, wantFloor: 3},
		{name: "after one too big", sizes: []int{1, 11, 1}, wantRevs: []int64{3}, wantFloor: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRing(100, bound)
			r.reset(0)
			for i, n := range tt.sizes {
				c := kib(n)
				c.Revision = int64(i + 1)
				r.push(new(packer).pack(c))
				if r.bytes > bound {
					t.Fatalf("after revision %d the ring holds %d bytes, over its bound %d", c.Revision, r.bytes, bound)
				}
			}
			var sum int64
			revs := []int64{}
			got, ok := r.since(tt.wantFloor)
			for _, c := range got {
				revs = append(revs, c.Revision)
				sum += c.size()
			}
			if !ok || !slices.Equal(revs, tt.wantRevs) || r.floor != tt.wantFloor {
				t.Fatalf("ring holds %v from floor %d (ok %v), want %v from %d", revs, r.floor, ok, tt.wantRevs, tt.wantFloor)
			}
			if sum != r.bytes {
				t.Fatalf("bytes = %d, want the sum of the held changes %d", r.bytes, sum)
			}
		})
	}
}

// wantRevision checks a change found (ok) for name against the revision
// wanted, 0 for none.
func wantRevision(t *testing.T, name string, c packed, ok bool, want int64) {
	t.Helper()
	switch {
	case want == 0 && ok:
		t.Errorf("%s: found revision %d, want none", name, c.Revision)
	case want != 0 && !ok:
		t.Errorf("%s: none, want revision %d", name, want)
	case want != 0 && c.Revision != want:
		t.Errorf("%s: revision %d, want %d", name, c.Revision, want)
	}
}

// TestRingLatest: the ring finds each key's newest held change, through
// wrap-around, eviction of older and of newest changes, and reset.
func TestRingLatest(t *testing.T) {
	key := func(n string) store.Key { return store.Key{Resource: "pods", Namespace: "default", Name: n} }
	r := newRing(3, 0)
	r.reset(0)
	push := func(rev int64, name string) {
		r.push(new(packer).pack(store.Change{Revision: rev, Record: store.Record{Key: key(name), ResourceVersion: rev}}))
	}
	check := func(name string, want int64) {
		t.Helper()
		c, ok := r.latest(key(name))
		if !ok {
			c = &packed{}
		}
		wantRevision(t, name, *c, ok, want)
	}
	push(1, "a")
	push(2, "b")
	push(3, "a")
	check("a", 3)
	check("b", 2)
	push(4, "c") // evicts 1 (a's older change): a keeps 3
	check("a", 3)
	push(5, "c") // evicts 2: b is gone
	check("b", 0)
	check("c", 5)
	push(6, "d") // evicts 3: a is gone
	check("a", 0)
	push(7, "e") // evicts 4, c's older change; wraps
	check("c", 5)
	check("e", 7)
	r.reset(7)
	check("e", 0)
	push(8, "e")
	check("e", 8)
}

// TestRingPacks: the ring holds a stored pod in less than half its size,
// and hands back exactly the bytes delivered, from since and from latest.
func TestRingPacks(t *testing.T) {
	pod, err := os.ReadFile("../../api/testdata/pod.json")
	if err != nil {
		t.Fatal(err)
	}
	k := store.Key{Resource: "pods", Namespace: "default", Name: "web"}
	r := newRing(4, 0)
	r.reset(0)
	r.push(new(packer).pack(store.Change{Revision: 1, Type: store.Added, Record: store.Record{Key: k, Value: pod}}))
	r.push(new(packer).pack(store.Change{Revision: 2, Type: store.Deleted, Record: store.Record{Key: k}}))
	if held := r.bytes - 2*changeOverhead - 2*int64(len(k.Resource)+len(k.Namespace)+len(k.Name)); held*2 >= int64(len(pod)) {
		t.Errorf("the ring holds a %d-byte pod in %d bytes, want less than half", len(pod), held)
	}
	got, ok := r.since(0)
	if !ok || len(got) != 2 {
		t.Fatalf("since(0) = %d changes, %v", len(got), ok)
	}
	for i, want := range [][]byte{pod, nil} {
		c, err := got[i].unpack()
		if err != nil || !bytes.Equal(c.Value, want) || (want == nil) != (c.Value == nil) {
			t.Errorf("change %d unpacks to %d bytes (%v), want %d", c.Revision, len(c.Value), err, len(want))
		}
	}
	p, ok := r.latest(k)
	if !ok || p.Revision != 2 {
		t.Fatalf("latest = %v, want revision 2", ok)
	}
}

// TestPackerDictionary: a resource's changes pack without a dictionary
// until its dictAfter-th; from then on against one, to under a fifth of
// a stored pod's size, and every change unpacks to the exact bytes, with
// or without one, other resources unaffected.
func TestPackerDictionary(t *testing.T) {
	pod, err := os.ReadFile("../../api/testdata/pod.json")
	if err != nil {
		t.Fatal(err)
	}
	var k packer
	var held []packed
	values := map[int64][]byte{}
	for i := range 3 * dictAfter {
		rev := int64(i + 1)
		// Pods alike but for their name, as a ReplicaSet's are.
		v := bytes.Replace(pod, []byte(`"generateName":"web-6d547bcffc-"`), fmt.Appendf(nil, `"generateName":"web-%08d-"`, rev*7919), 1)
		values[rev] = v
		p := k.pack(store.Change{Revision: rev, Type: store.Added, Record: store.Record{Key: store.Key{Resource: "pods", Name: fmt.Sprint(rev)}, Value: v}})
		if want := i+1 >= dictAfter; (p.dict != nil) != want {
			t.Errorf("change %d packed with a dictionary: %v, want %v", rev, p.dict != nil, want)
		}
		if p.dict != nil && len(p.Value)*5 >= len(v) {
			t.Errorf("change %d packs %d bytes to %d with a dictionary, want under a fifth", rev, len(v), len(p.Value))
		}
		held = append(held, p)
	}
	other := k.pack(store.Change{Revision: 100, Record: store.Record{Key: store.Key{Resource: "configmaps"}, Value: pod}})
	if other.dict != nil {
		t.Error("a resource's first change packed with a dictionary")
	}
	values[100] = pod
	for _, p := range append(held, other) {
		c, err := p.unpack()
		if err != nil || !bytes.Equal(c.Value, values[c.Revision]) {
			t.Errorf("change %d unpacks to %d bytes (%v), want the %d packed", c.Revision, len(c.Value), err, len(values[c.Revision]))
		}
	}
}

// TestRingBeyond: an object's newest change, once evicted from the window,
// is still found by current, until a newer change of the object comes
// (found in the window again), a deletion (found by nobody), or a reset.
func TestRingBeyond(t *testing.T) {
	key := func(n string) store.Key { return store.Key{Resource: "pods", Namespace: "default", Name: n} }
	r := newRing(2, 0)
	r.reset(0)
	push := func(rev int64, name string, typ store.EventType) {
		r.push(new(packer).pack(store.Change{Revision: rev, Type: typ, Record: store.Record{Key: key(name), ResourceVersion: rev}}))
	}
	check := func(name string, want int64) {
		t.Helper()
		c, ok := r.current(key(name))
		wantRevision(t, name, c, ok, want)
	}
	push(1, "a", store.Added)
	push(2, "b", store.Added)
	push(3, "c", store.Added) // evicts a's newest
	if _, ok := r.latest(key("a")); ok {
		t.Fatal("a's change is still in the window: this test shows nothing")
	}
	check("a", 1)
	push(4, "a", store.Modified) // a in the window again; evicts b's
	check("a", 4)
	check("b", 2)
	if len(r.beyond) != 1 {
		t.Errorf("beyond holds %d changes, want b's alone", len(r.beyond))
	}
	push(5, "b", store.Deleted) // evicts c's
	check("b", 0)
	check("c", 3)
	push(6, "x", store.Added) // evicts a's 4
	push(7, "y", store.Added) // evicts b's deletion, which is not kept
	check("a", 4)
	check("b", 0)
	r.reset(7)
	check("a", 0)
	check("c", 0)
	if r.beyondBytes != 0 || len(r.beyond) != 0 {
		t.Errorf("after reset beyond holds %d changes, %d bytes", len(r.beyond), r.beyondBytes)
	}
}

// TestRingBeyondBytes: what beyond keeps stays under a quarter of the
// ring's byte bound, its byte count the sum of what it holds.
func TestRingBeyondBytes(t *testing.T) {
	rnd := rand.New(rand.NewPCG(3, 4))
	const bound = 40 << 10
	r := newRing(4, bound)
	r.reset(0)
	for i := range 200 {
		v := make([]byte, 1<<10)
		for j := range v {
			v[j] = byte(rnd.Uint32())
		}
		r.push(new(packer).pack(store.Change{Revision: int64(i + 1), Type: store.Added,
			Record: store.Record{Key: store.Key{Resource: "pods", Name: fmt.Sprint(i)}, Value: v}}))
		var sum int64
		for _, p := range r.beyond {
			sum += p.size()
		}
		if sum != r.beyondBytes || sum > bound/beyondShare {
			t.Fatalf("after %d changes beyond holds %d bytes (counted %d), bound %d", i+1, sum, r.beyondBytes, bound/beyondShare)
		}
	}
	if len(r.beyond) < 5 {
		t.Fatalf("beyond holds %d changes of 1 KiB under a %d-byte bound", len(r.beyond), bound/beyondShare)
	}
}
