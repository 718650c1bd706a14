package hub

import (
	"testing"

	"github.com/minik8s/minik8s/store"
)

func TestMailbox(t *testing.T) {
	m := newMailbox()
	if b, open := m.take(nil); len(b) != 0 || !open {
		t.Fatalf("empty take = %v, %v; want nothing, open", b, open)
	}
	for rev := int64(1); rev <= 3; rev++ {
		if !m.put(store.Change{Revision: rev}, 3) {
			t.Fatalf("put %d refused under the limit", rev)
		}
	}
	if m.put(store.Change{Revision: 4}, 3) {
		t.Fatal("put over the limit accepted")
	}
	select {
	case <-m.ready:
	default:
		t.Fatal("no ready token after a put")
	}
	b, open := m.take(nil)
	if len(b) != 3 || b[0].Revision != 1 || b[2].Revision != 3 || !open {
		t.Fatalf("take = %v, %v; want revisions 1..3, open", b, open)
	}
	if !m.put(store.Change{Revision: 5}, 3) {
		t.Fatal("put after take refused")
	}
	m.close()
	if m.put(store.Change{Revision: 6}, 3) {
		t.Fatal("put after close accepted")
	}
	b, open = m.take(b)
	if len(b) != 1 || b[0].Revision != 5 || !open {
		t.Fatalf("take after close = %v, %v; want revision 5, still open", b, open)
	}
	if b, open = m.take(b); len(b) != 0 || open {
		t.Fatalf("take of a drained closed mailbox = %v, %v; want nothing, closed", b, open)
	}
	// A burst's large batch array is not kept for the next one.
	m2 := newMailbox()
	m2.take(make([]store.Change, 0, maxKeptBatch+1))
	if cap(m2.items) != 0 {
		t.Fatalf("a batch array of %d was kept", maxKeptBatch+1)
	}
}
