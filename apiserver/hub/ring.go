package hub

import (
	"bytes"
	"sort"
	"unsafe"

	"github.com/klauspost/compress/s2"

	"github.com/minik8s/minik8s/store"
)

// changeOverhead approximates what a change costs in memory beside its
// bytes: the struct itself and its slice and string headers.
const changeOverhead = int64(unsafe.Sizeof(store.Change{}))

// changeSize approximates the memory a change holds.
func changeSize(c *store.Change) int64 {
	return changeOverhead + int64(len(c.Value)+len(c.Resource)+len(c.Namespace)+len(c.Name)+len(c.UID))
}

// packed is a change as the ring keeps it: its Value compressed with S2, a
// block format made for speed (4 µs to pack a 4 KB pod, 1.5 µs to unpack
// it), against a dictionary of its resource once the packer has one. The
// ring is the hub's largest holding, and the Go heap grows to about twice
// what is live, so every byte it keeps costs two of memory.
type packed struct {
	store.Change
	dict *s2.Dict // nil: packed without one
}

// unpack returns the change p holds, its Value the caller's own. It is
// safe for concurrent use: decoding only reads the dictionary.
func (p *packed) unpack() (store.Change, error) {
	c := p.Change
	if c.Value == nil {
		return c, nil
	}
	var err error
	if p.dict != nil {
		c.Value, err = p.dict.Decode(nil, c.Value)
	} else {
		c.Value, err = s2.Decode(nil, c.Value)
	}
	return c, err
}

// Dictionaries. The objects of one resource share most of their bytes:
// field names, defaults, owner and labels. S2 alone packs a stored pod to
// half its size; against another pod as a dictionary, to a tenth (3.0 KB
// to 330 bytes, measured on a Deployment's pods and their status
// updates). A resource gets its dictionary, one of its own values, at its
// dictAfter-th change, so that resources changed once or twice do not pay
// for the dictionary's 32 KB match table. A dictionary is never replaced:
// the changes packed with it point to it.
const (
	dictAfter   = 8
	dictMinSize = 64 // smaller values make poor dictionaries
)

// packer packs changes for the ring. It is used by one goroutine at a
// time (the hub's delivery).
type packer struct {
	scratch []byte
	seen    map[string]int      // changes of a resource without a dictionary yet
	dicts   map[string]*s2.Dict // by resource
}

// pack encodes into scratch and keeps an exact-size copy: the encoder's
// own buffer has room for the worst case, more than the value itself.
func (k *packer) pack(c store.Change) packed {
	if c.Value == nil {
		return packed{Change: c}
	}
	d := k.dict(c.Resource, c.Value)
	if d != nil {
		k.scratch = d.Encode(k.scratch[:cap(k.scratch)], c.Value)
	} else {
		k.scratch = s2.Encode(k.scratch[:cap(k.scratch)], c.Value)
	}
	c.Value = bytes.Clone(k.scratch)
	return packed{Change: c, dict: d}
}

// dict returns resource's dictionary, making it from value at the
// resource's dictAfter-th change.
func (k *packer) dict(resource string, value []byte) *s2.Dict {
	if d, ok := k.dicts[resource]; ok {
		return d
	}
	if k.seen == nil {
		k.seen, k.dicts = map[string]int{}, map[string]*s2.Dict{}
	}
	if k.seen[resource]++; k.seen[resource] < dictAfter || len(value) < dictMinSize {
		return nil
	}
	// A copy of the value's last MaxDictSize bytes, with the spare room
	// MakeDict wants (else it copies again); its repeat offset starts at
	// the value's first bytes, where every value of the resource starts
	// alike.
	tail := value[max(0, len(value)-s2.MaxDictSize):]
	own := append(make([]byte, 0, len(tail)+16), tail...)
	d := s2.MakeDict(own, value[:dictMinSize/4])
	if d == nil {
		return nil
	}
	delete(k.seen, resource)
	k.dicts[resource] = d
	return d
}

func (p *packed) size() int64 { return changeSize(&p.Change) }

// ring holds the most recent delivered changes, packed, oldest first: at most
// len(buf) changes and maxBytes bytes of them (changeSize), evicting the
// oldest first (sizes are packed sizes). It covers the revisions
// (floor, newest]: every change in
// that range is in the ring. It indexes the newest held change of each
// key (latest). It is not safe for concurrent use; the Hub guards it with
// its lock.
type ring struct {
	buf      []packed
	head     int // index of the oldest change
	n        int
	floor    int64
	bytes    int64 // changeSize of the held changes
	maxBytes int64 // <= 0: no byte bound
	// pushed counts the changes ever pushed, so the one pushed as number
	// seq sits at (head + seq - (pushed - n)) % len(buf) while held;
	// newest maps a key to the seq of its newest held change.
	pushed int64
	newest map[store.Key]int64
	// beyond keeps, past the window, the newest change of each object
	// whose newest change was evicted and is not a deletion, up to
	// maxBytes/beyondShare bytes (beyondBytes), so that current finds the
	// version of an object that changed long ago (a pod bound a while back
	// that its kubelet now updates) without a read of the store.
	beyond      map[store.Key]packed
	beyondBytes int64
}

// beyondShare: beyond holds at most a quarter of the ring's byte bound.
// Packed, a pod's newest change takes about 400 bytes there, so the
// default 64 MiB ring keeps those of about 40,000 objects beyond it.
const beyondShare = 4

func newRing(size int, maxBytes int64) ring {
	return ring{buf: make([]packed, size), maxBytes: maxBytes, newest: map[store.Key]int64{}, beyond: map[store.Key]packed{}}
}

// reset empties the ring; it then covers nothing after rev. What beyond
// held goes too: the changes skipped may have deleted or changed those
// objects.
func (r *ring) reset(rev int64) {
	clear(r.buf)
	clear(r.newest)
	clear(r.beyond)
	r.head, r.n, r.floor, r.bytes, r.beyondBytes = 0, 0, rev, 0, 0
}

// current returns the newest change of key the ring knows, held or kept
// beyond the window, unless that is a deletion.
func (r *ring) current(k store.Key) (packed, bool) {
	if p, ok := r.latest(k); ok {
		return *p, p.Type != store.Deleted
	}
	p, ok := r.beyond[k]
	return p, ok
}

// latest returns the newest held change of key, if the ring holds one.
func (r *ring) latest(k store.Key) (*packed, bool) {
	seq, ok := r.newest[k]
	if !ok {
		return nil, false
	}
	return &r.buf[(r.head+int(seq-(r.pushed-int64(r.n))))%len(r.buf)], true
}

// push appends c, whose revision is above every held one, evicting the
// oldest changes while the ring is full by count or by bytes. A change
// larger than the byte bound by itself is not kept: the ring then covers
// nothing before the next change.
func (r *ring) push(c packed) {
	size := len(r.buf)
	sz := c.size()
	if size == 0 || r.maxBytes > 0 && sz > r.maxBytes {
		r.reset(c.Revision)
		return
	}
	for r.n == size || r.maxBytes > 0 && r.bytes+sz > r.maxBytes {
		r.evictOldest()
	}
	if p, ok := r.beyond[c.Key]; ok {
		r.beyondBytes -= p.size()
		delete(r.beyond, c.Key)
	}
	r.buf[(r.head+r.n)%size] = c
	r.newest[c.Key] = r.pushed
	r.pushed++
	r.n++
	r.bytes += sz
}

func (r *ring) evictOldest() {
	old := &r.buf[r.head]
	if seq, ok := r.newest[old.Key]; ok && seq == r.pushed-int64(r.n) {
		delete(r.newest, old.Key)
		if old.Type != store.Deleted {
			r.keepBeyond(*old)
		}
	}
	r.floor = old.Revision
	r.bytes -= old.size()
	*old = packed{} // let its bytes go
	r.head = (r.head + 1) % len(r.buf)
	r.n--
}

// keepBeyond keeps p, an evicted newest change, in beyond, dropping others
// (any: map order) while beyond would exceed its bound.
func (r *ring) keepBeyond(p packed) {
	limit, sz := r.maxBytes/beyondShare, p.size()
	if r.maxBytes > 0 && sz > limit {
		return
	}
	for k, q := range r.beyond {
		if r.maxBytes <= 0 || r.beyondBytes+sz <= limit {
			break
		}
		r.beyondBytes -= q.size()
		delete(r.beyond, k)
	}
	r.beyond[p.Key] = p
	r.beyondBytes += sz
}

// since returns a copy of the held changes with revision > after, still
// packed (the caller unpacks them outside the hub's lock), and whether the
// ring covers all of them (after >= floor).
func (r *ring) since(after int64) ([]packed, bool) {
	if after < r.floor {
		return nil, false
	}
	at := func(i int) packed { return r.buf[(r.head+i)%len(r.buf)] }
	i := sort.Search(r.n, func(i int) bool { return at(i).Revision > after })
	out := make([]packed, 0, r.n-i)
	for ; i < r.n; i++ {
		out = append(out, at(i))
	}
	return out, true
}
