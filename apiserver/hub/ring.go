package hub

import (
	"sort"

	"github.com/minik8s/minik8s/store"
)

// ring holds the most recent delivered changes, oldest first. It covers the
// revisions (floor, newest]: every change in that range is in the ring.
// It is not safe for concurrent use; the Hub guards it with its lock.
type ring struct {
	buf   []store.Change
	head  int // index of the oldest change
	n     int
	floor int64
}

func newRing(size int) ring { return ring{buf: make([]store.Change, size)} }

// reset empties the ring; it then covers nothing after rev.
func (r *ring) reset(rev int64) {
	clear(r.buf)
	r.head, r.n, r.floor = 0, 0, rev
}

// push appends c, whose revision is above every held one, evicting the
// oldest change when full.
func (r *ring) push(c store.Change) {
	size := len(r.buf)
	switch {
	case size == 0:
		r.floor = c.Revision
	case r.n < size:
		r.buf[(r.head+r.n)%size] = c
		r.n++
	default:
		r.floor = r.buf[r.head].Revision
		r.buf[r.head] = c
		r.head = (r.head + 1) % size
	}
}

// since returns a copy of the held changes with revision > after, and
// whether the ring covers all of them (after >= floor).
func (r *ring) since(after int64) ([]store.Change, bool) {
	if after < r.floor {
		return nil, false
	}
	at := func(i int) store.Change { return r.buf[(r.head+i)%len(r.buf)] }
	i := sort.Search(r.n, func(i int) bool { return at(i).Revision > after })
	out := make([]store.Change, 0, r.n-i)
	for ; i < r.n; i++ {
		out = append(out, at(i))
	}
	return out, true
}
