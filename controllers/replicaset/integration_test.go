package replicaset_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/client"
	"github.com/minik8s/minik8s/controllers/controllerutil/controllertest"
	"github.com/minik8s/minik8s/controllers/replicaset"
	"github.com/minik8s/minik8s/internal/testenv"
	"github.com/minik8s/minik8s/internal/testsvc"
)

const rsManifest = `apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: web
spec:
  replicas: 3
  minReadySeconds: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: nginx
`

func TestReplicaSetAgainstAPIServer(t *testing.T) {
	testsvc.Slow(t, "an API server and the real kubectl")
	s := testenv.StartAPIServer(t, testenv.Options{})
	c, err := client.FromKubeconfig(s.Kubeconfig, -1, 0)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	t.Cleanup(func() { cancel(); wg.Wait() })
	kubectl := func(stdin string, args ...string) string {
		t.Helper()
		out, err := s.Kubectl(t, stdin, args...)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}

	// Two orphans that the ReplicaSet will adopt.
	for _, name := range []string{"orphan-1", "orphan-2"} {
		kubectl("", "run", name, "--image=nginx", "--labels=app=web")
	}
	in := controllertest.StartInformers(ctx, t, c)
	rec := controllertest.StartEvents(ctx, c)
	controllertest.RunKubelet(ctx, c, in.Pods, 0)
	rsc, err := replicaset.New(replicaset.DefaultConfig(), replicaset.Deps{Client: c, Pods: in.Pods, ReplicaSets: in.ReplicaSets, Events: rec}, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	wg.Go(func() { _ = rsc.Run(ctx, 2) })
	kubectl(rsManifest, "apply", "-f", "-")

	ownedPods := func() (owned, orphans []*api.Pod) {
		pods, _, err := c.Pods("default").List(ctx, client.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range pods {
			if p.DeletionTimestamp != nil {
				continue
			}
			if r := api.GetControllerOf(&p.ObjectMeta); r != nil && r.Name == "web" {
				owned = append(owned, p)
			} else {
				orphans = append(orphans, p)
			}
		}
		return owned, orphans
	}
	status := func() api.ReplicaSetStatus {
		rs, err := c.ReplicaSets("default").Get(ctx, "web")
		if err != nil {
			t.Fatal(err)
		}
		return rs.Status
	}

	created := time.Now()
	controllertest.Eventually(t, 10*time.Second, "3 ready pods, 2 of them adopted", func() bool {
		owned, orphans := ownedPods()
		return len(owned) == 3 && len(orphans) == 0 && status().ReadyReplicas == 3
	})
	if st := status(); st.AvailableReplicas == 3 && time.Since(created) < 2*time.Second {
		t.Fatalf("available before minReadySeconds: %+v", st)
	}
	controllertest.Eventually(t, 10*time.Second, "3 available pods after minReadySeconds", func() bool {
		st := status()
		return st.AvailableReplicas == 3 && st.FullyLabeledReplicas == 3 && st.Replicas == 3 && st.ObservedGeneration == 1
	})

	// A pod relabelled out of the selector is released and replaced.
	kubectl("", "label", "pod", "orphan-1", "app=other", "--overwrite")
	controllertest.Eventually(t, 10*time.Second, "orphan-1 released and replaced", func() bool {
		owned, orphans := ownedPods()
		return len(owned) == 3 && len(orphans) == 1 && orphans[0].Name == "orphan-1"
	})

	kubectl("", "scale", "rs/web", "--replicas=1")
	controllertest.Eventually(t, 10*time.Second, "scaled down to 1", func() bool {
		owned, _ := ownedPods()
		return len(owned) == 1 && status().Replicas == 1
	})
	controllertest.Eventually(t, 10*time.Second, "events", func() bool {
		out := kubectl("", "get", "events", "--field-selector=involvedObject.name=web")
		return strings.Contains(out, "SuccessfulCreate") && strings.Contains(out, "SuccessfulDelete") && strings.Contains(out, "Created pod: web-")
	})
}
