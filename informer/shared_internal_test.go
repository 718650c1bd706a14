package informer

import (
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/internal/testpoll"
)

// TestKeepShares: keep returns the first kept copy of a version of an
// object (same type, apiVersion, UID, resourceVersion), never another
// version's or, without share, another source's; and it forgets a copy
// once nothing holds it.
func TestKeepShares(t *testing.T) {
	version := func(apiVersion, uid, rv, node string) *api.Pod {
		p := pod("ns", "a", node)
		p.APIVersion, p.UID, p.ResourceVersion = apiVersion, uid, rv
		return p
	}
	// A UID of its own: a run before this one (-count) may still hold its
	// objects.
	uid := "u-keep-" + strconv.FormatInt(time.Now().UnixNano(), 10)
	first := keep(version("v1", uid, "1", "n1"), true)
	if again := keep(version("v1", uid, "1", "n1"), true); again != first {
		t.Error("a second copy of one version is not replaced by the first")
	}
	for _, other := range []*api.Pod{version("v1", uid, "2", "n1"), version("v1", uid+"-other", "1", "n1"), version("v2", uid, "1", "n1")} {
		if kept := keep(other, true); kept == first || kept != other {
			t.Errorf("%s %s at %s: kept %p, want itself", other.APIVersion, other.UID, other.ResourceVersion, kept)
		}
	}
	// A test's fake may serve different objects as one version.
	unshared := version("v1", uid, "1", "n2")
	if kept := keep(unshared, false); kept != unshared || kept.Spec.NodeName != "n2" {
		t.Error("without share, keep returned another object")
	}
	runtime.KeepAlive(first)
	testpoll.Eventually(t, 5*time.Second, "the unreferenced copy to be forgotten", func() bool {
		runtime.GC()
		_, ok := api.Shared[*api.Pod](api.Version{APIVersion: "v1", UID: uid, ResourceVersion: "1"})
		return !ok
	})
}
