package controllertest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/client"
	"github.com/minik8s/minik8s/controllers/controllerutil"
	"github.com/minik8s/minik8s/events"
	"github.com/minik8s/minik8s/informer"
	"github.com/minik8s/minik8s/workqueue"

	"github.com/minik8s/minik8s/internal/testpoll"
)

// Informers are the shared informers of a controller manager.
type Informers struct {
	Pods        *informer.Informer[*api.Pod]
	ReplicaSets *informer.Informer[*api.ReplicaSet]
	Deployments *informer.Informer[*api.Deployment]
}

// StartInformers runs informers of pods, ReplicaSets and Deployments of
// all namespaces, with controllerutil.Indexers, until ctx ends, and waits
// for their caches.
func StartInformers(ctx context.Context, t testing.TB, c *client.Client) Informers {
	t.Helper()
	in := Informers{
		Pods:        informer.New(client.ListWatch(c.Pods(""), client.ListOptions{}), time.Minute, controllerutil.Indexers[*api.Pod]()...),
		ReplicaSets: informer.New(client.ListWatch(c.ReplicaSets(""), client.ListOptions{}), time.Minute, controllerutil.Indexers[*api.ReplicaSet]()...),
		Deployments: informer.New(client.ListWatch(c.Deployments(""), client.ListOptions{}), time.Minute, controllerutil.Indexers[*api.Deployment]()...),
	}
	go in.Pods.Run(ctx)
	go in.ReplicaSets.Run(ctx)
	go in.Deployments.Run(ctx)
	if !informer.WaitForCacheSync(ctx, in.Pods.HasSynced, in.ReplicaSets.HasSynced, in.Deployments.HasSynced) {
		t.Fatal("informers did not sync")
	}
	return in
}

// StartEvents runs an event recorder writing through c until ctx ends.
func StartEvents(ctx context.Context, c *client.Client) *events.Recorder {
	r := events.New(events.ClientSink(c), events.Config{QPS: 500, Burst: 500}, zerolog.Nop())
	go r.Run(ctx)
	return r
}

// NeverReadyLabel marks pods RunKubelet leaves alone (set it in a pod
// template to test a rollout that cannot progress).
const NeverReadyLabel = "controllertest/never-ready"

// RunKubelet marks every pod that is not being deleted Running with a
// Ready condition (and ContainersReady), through the status subresource,
// until ctx ends: a stand-in for kubelets. delay postpones each pod's
// readiness after it is first seen. Pods labelled NeverReadyLabel stay
// Pending.
func RunKubelet(ctx context.Context, c *client.Client, pods *informer.Informer[*api.Pod], delay time.Duration) {
	q := workqueue.New(workqueue.Config[informer.Key]{})
	pods.AddHandler(informer.HandlerFuncs[*api.Pod]{
		AddFunc:    func(p *api.Pod) { q.AddAfter(informer.KeyOf(p), delay) },
		UpdateFunc: func(_, p *api.Pod) { q.Add(informer.KeyOf(p)) },
	})
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for {
				k, shutdown := q.Get()
				if shutdown {
					return
				}
				if err := markReady(ctx, c, pods, k); err != nil && ctx.Err() == nil {
					q.AddRateLimited(k)
				} else {
					q.Forget(k)
				}
				q.Done(k)
			}
		})
	}
	go func() {
		<-ctx.Done()
		q.ShutDown()
		wg.Wait()
	}()
}

func markReady(ctx context.Context, c *client.Client, pods *informer.Informer[*api.Pod], k informer.Key) error {
	p, ok := pods.Get(k)
	if !ok || p.DeletionTimestamp != nil || api.IsPodReady(p) || p.Labels[NeverReadyLabel] != "" {
		return nil
	}
	next := api.DeepCopy(p)
	now := api.Now()
	next.Status.Phase = api.PodRunning
	next.Status.StartTime = &now
	for _, t := range []api.PodConditionType{api.PodInitialized, api.ContainersReady, api.PodReady} {
		api.SetPodCondition(&next.Status, api.PodCondition{Type: t, Status: api.ConditionTrue, LastTransitionTime: now})
	}
	_, err := c.Pods(p.Namespace).UpdateStatus(ctx, next)
	if client.IsNotFound(err) {
		return nil
	}
	return err
}

// Eventually is testpoll.Eventually, for the controllers' tests.
var Eventually = testpoll.Eventually
