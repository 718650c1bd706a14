package api

import (
	"reflect"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/minik8s/minik8s/internal/testpoll"
)

// TestShare: the first object offered for a version is the one kept and
// found; a version is per Go type; and an object nothing else holds is
// let go, its entry dropped.
func TestShare(t *testing.T) {
	// A UID of its own: a run before this one (-count) may still hold its
	// objects.
	uid := "u-share-" + strconv.FormatInt(time.Now().UnixNano(), 10)
	v := Version{APIVersion: "v1", UID: uid, ResourceVersion: "3"}
	first := &Pod{ObjectMeta: ObjectMeta{Name: "first"}}
	if got := Share(v, first); got != first {
		t.Fatal("the first object offered is not kept")
	}
	if got := Share(v, &Pod{ObjectMeta: ObjectMeta{Name: "second"}}); got != first {
		t.Fatalf("a second offer kept %q", got.Name)
	}
	if got, ok := Shared[*Pod](v); !ok || got != first {
		t.Fatal("Shared does not find the kept object")
	}
	if _, ok := Shared[*Node](v); ok {
		t.Fatal("a Node found under a Pod's version")
	}
	if _, ok := Shared[*Pod](Version{APIVersion: "v1", UID: uid, ResourceVersion: "4"}); ok {
		t.Fatal("another version found")
	}
	runtime.KeepAlive(first)
	first = nil
	testpoll.Eventually(t, 5*time.Second, "the entry of an unreferenced object to be dropped", func() bool {
		runtime.GC()
		_, ok := sharedObjects.Load(sharedKey{typ: reflect.TypeFor[*Pod](), v: v})
		return !ok
	})
	replaced := &Pod{ObjectMeta: ObjectMeta{Name: "again"}}
	if got := Share(v, replaced); got != replaced {
		t.Fatal("a version let go is not offered again")
	}
	runtime.KeepAlive(replaced)
}
