package app_test

import (
	"context"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/app"
	"github.com/minik8s/minik8s/client"
	"github.com/minik8s/minik8s/election/redislock"
	"github.com/minik8s/minik8s/internal/testenv"
)

// Two clusters share one Redis and elect their schedulers there. Each
// cluster's lock key carries its own ID (the UID of its kube-system): while
// another scheduler holds cluster A's lock, A's scheduler stands by and
// B's, in the same Redis, leads.
func TestRedisLockPerCluster(t *testing.T) {
	redisURL := testenv.Redis(t)
	opt, err := redis.ParseURL(redisURL)
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(opt)
	defer rdb.Close()
	ctx := context.Background()

	type cluster struct {
		c   *client.Client
		key string
		cfg app.Config
	}
	var clusters []cluster
	for range 2 {
		s := testenv.StartAPIServer(t, testenv.Options{})
		c, err := client.FromKubeconfig(s.Kubeconfig, -1, 0)
		if err != nil {
			t.Fatal(err)
		}
		ns, err := c.Namespaces().Get(ctx, "kube-system")
		if err != nil {
			t.Fatal(err)
		}
		cfg := app.Default()
		cfg.DataDir = s.DataDir
		cfg.Redis = redisURL
		cfg.LeaderElection.Backend = "redis"
		cfg.Scheduler.Port = 0 // tests run in parallel: no fixed port
		if err := cfg.Validate(); err != nil {
			t.Fatal(err)
		}
		key := "minik8s/leader/" + ns.UID + "/kube-scheduler"
		t.Cleanup(func() { rdb.Del(context.Background(), key, key+":fence") })
		clusters = append(clusters, cluster{c, key, cfg})

		node := &api.Node{
			ObjectMeta: api.ObjectMeta{Name: "node"},
			Status: api.NodeStatus{
				Allocatable: api.ResourceList{api.ResourceCPU: api.MustParse("1"), api.ResourceMemory: api.MustParse("1Gi"), api.ResourcePods: api.MustParse("10")},
				Conditions:  []api.NodeCondition{{Type: api.NodeReady, Status: api.ConditionTrue}},
			},
		}
		if _, err := c.Nodes().Create(ctx, node); err != nil {
			t.Fatal(err)
		}
		pod := &api.Pod{
			ObjectMeta: api.ObjectMeta{Name: "pod", Namespace: "default"},
			Spec:       api.PodSpec{Containers: []api.Container{{Name: "c", Image: "nginx"}}},
		}
		if _, err := c.Pods("default").Create(ctx, pod); err != nil {
			t.Fatal(err)
		}
	}
	a, b := clusters[0], clusters[1]
	bound := func(c *client.Client) bool {
		p, err := c.Pods("default").Get(ctx, "pod")
		if err != nil {
			t.Fatal(err)
		}
		return p.Spec.NodeName == "node"
	}

	// Another scheduler leads cluster A.
	other := redislock.New(rdb, a.key, time.Minute)
	lease, err := other.TryAcquire(ctx, "other-scheduler")
	if err != nil {
		t.Fatal(err)
	}
	// One scheduler per cluster, both in this process (so with one identity).
	for _, cl := range clusters {
		fns, err := app.NewSchedulers(cl.cfg, 1, zerolog.Nop())
		if err != nil {
			t.Fatal(err)
		}
		run(t, fns)
	}
	eventually(t, 15*time.Second, "cluster B's scheduler to bind its pod", func() bool { return bound(b.c) })
	if n, err := rdb.Exists(ctx, b.key).Result(); err != nil || n != 1 {
		t.Errorf("cluster B's lock %s: exists %d, %v", b.key, n, err)
	}
	if bound(a.c) {
		t.Fatal("cluster A's pod was bound while another scheduler held A's lock")
	}
	// The other scheduler steps down: A's takes over.
	if err := other.Release(ctx, lease); err != nil {
		t.Fatal(err)
	}
	eventually(t, 15*time.Second, "cluster A's scheduler to bind its pod", func() bool { return bound(a.c) })
}
