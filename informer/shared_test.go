package informer_test

import (
	"context"
	"testing"
	"time"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/client"
	"github.com/minik8s/minik8s/informer"
	"github.com/minik8s/minik8s/internal/testenv"
	"github.com/minik8s/minik8s/internal/testpoll"
)

// TestInformersShareObjects: informers of one process that watch the same
// objects over their own connections (as the scheduler, the controller
// manager and the node agents of `minik8s all` do) keep one copy of each
// version of an object; a new version is a new copy, again shared.
func TestInformersShareObjects(t *testing.T) {
	s := testenv.StartAPIServer(t, testenv.Options{})
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	var infs []*informer.Informer[*api.Pod]
	for _, sel := range []string{"", "spec.nodeName=n1"} {
		c, err := client.FromKubeconfig(s.Kubeconfig, -1, 0) // a connection of its own
		if err != nil {
			t.Fatal(err)
		}
		inf := informer.New(client.ListWatch(c.Pods(""), client.ListOptions{FieldSelector: sel}), 0)
		go inf.Run(ctx)
		infs = append(infs, inf)
	}
	c, err := client.FromKubeconfig(s.Kubeconfig, -1, 0)
	if err != nil {
		t.Fatal(err)
	}
	p := &api.Pod{ObjectMeta: api.ObjectMeta{Namespace: "default", Name: "p"},
		Spec: api.PodSpec{NodeName: "n1", Containers: []api.Container{{Name: "c", Image: "nginx"}}}}
	created, err := c.Pods("default").Create(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	key := informer.Key{Namespace: "default", Name: "p"}
	cached := func(rv string) [2]*api.Pod {
		t.Helper()
		var got [2]*api.Pod
		testpoll.Eventually(t, 10*time.Second, "both informers to cache the pod at "+rv, func() bool {
			for i, inf := range infs {
				got[i], _ = inf.Get(key)
				if got[i] == nil || got[i].ResourceVersion != rv {
					return false
				}
			}
			return true
		})
		return got
	}
	first := cached(created.ResourceVersion)
	if first[0] != first[1] {
		t.Fatal("the two informers keep two copies of one version of the pod")
	}
	created.Labels = map[string]string{"v": "2"}
	updated, err := c.Pods("default").Update(ctx, created)
	if err != nil {
		t.Fatal(err)
	}
	second := cached(updated.ResourceVersion)
	if second[0] != second[1] {
		t.Fatal("the two informers keep two copies of the pod's second version")
	}
	if second[0] == first[0] || second[0].Labels["v"] != "2" || first[0].Labels["v"] != "" {
		t.Fatalf("versions mixed up: first %v, second %v", first[0].Labels, second[0].Labels)
	}
}
