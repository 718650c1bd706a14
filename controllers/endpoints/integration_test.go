package endpoints_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/client"
	"github.com/minik8s/minik8s/controllers/controllerutil"
	"github.com/minik8s/minik8s/controllers/controllerutil/controllertest"
	"github.com/minik8s/minik8s/controllers/endpoints"
	"github.com/minik8s/minik8s/informer"
	"github.com/minik8s/minik8s/internal/testenv"
)

// TestEndpointsFollowReadiness runs both controllers against an API
// server: kubectl expose, then the Endpoints and EndpointSlices follow the
// pods' IPs and readiness, and a deleted pod leaves them.
func TestEndpointsFollowReadiness(t *testing.T) {
	s := testenv.StartAPIServer(t, testenv.Options{})
	c, err := client.FromKubeconfig(s.Kubeconfig, -1, 0)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	t.Cleanup(func() { cancel(); wg.Wait() })
	kubectl := func(args ...string) string {
		t.Helper()
		out, err := s.Kubectl(t, "", args...)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}

	in := controllertest.StartInformers(ctx, t, c)
	svcs := informer.New(client.ListWatch(c.Services(""), client.ListOptions{}), time.Minute, controllerutil.Indexers[*api.Service]()...)
	eps := informer.New(client.ListWatch(c.Endpoints(""), client.ListOptions{}), time.Minute, controllerutil.Indexers[*api.Endpoints]()...)
	slices := informer.New(client.ListWatch(c.EndpointSlices(""), client.ListOptions{}), time.Minute, controllerutil.Indexers[*api.EndpointSlice]()...)
	for _, run := range []func(context.Context) error{svcs.Run, eps.Run, slices.Run} {
		wg.Go(func() { _ = run(ctx) })
	}
	epc, err := endpoints.NewEndpoints(endpoints.EndpointsDeps{Client: c, Pods: in.Pods, Services: svcs, Endpoints: eps}, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	esc, err := endpoints.NewSlices(endpoints.SlicesDeps{Client: c, Pods: in.Pods, Services: svcs, EndpointSlices: slices}, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	wg.Go(func() { _ = epc.Run(ctx, 2) })
	wg.Go(func() { _ = esc.Run(ctx, 2) })

	for i := 1; i <= 3; i++ {
		kubectl("run", fmt.Sprintf("web-%d", i), "--image=nginx", "--labels=app=web", "--port=8080")
	}
	kubectl("expose", "pod", "web-1", "--name=web", "--port=80", "--target-port=8080", "--selector=app=web")
	setStatus := func(name, ip string, ready bool) {
		t.Helper()
		p, err := c.Pods("default").Get(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		status := api.ConditionFalse
		if ready {
			status = api.ConditionTrue
		}
		p.Status.Phase, p.Status.PodIP = api.PodRunning, ip
		api.SetPodCondition(&p.Status, api.PodCondition{Type: api.PodReady, Status: status, LastTransitionTime: api.Now()})
		if _, err := c.Pods("default").UpdateStatus(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	// state renders the Endpoints and the slices' endpoints.
	state := func() (string, string) {
		ep, err := c.Endpoints("default").Get(ctx, "web")
		epState := "none"
		if err == nil {
			epState = ""
			for _, ss := range ep.Subsets {
				for _, a := range ss.Addresses {
					epState += a.IP + " "
				}
				epState += "| "
				for _, a := range ss.NotReadyAddresses {
					epState += a.IP + " "
				}
				for _, p := range ss.Ports {
					epState += fmt.Sprint(p.Port)
				}
			}
		}
		list, _, err := c.EndpointSlices("default").List(ctx, client.ListOptions{LabelSelector: api.LabelServiceName + "=web"})
		if err != nil {
			t.Fatal(err)
		}
		sliceState := ""
		for _, es := range list {
			for _, e := range es.Endpoints {
				sliceState += fmt.Sprintf("%s:%v/%v/%v ", e.Addresses[0], *e.Conditions.Ready, *e.Conditions.Serving, *e.Conditions.Terminating)
			}
			sliceState += fmt.Sprintf("(%d slice, %d ports) ", len(list), len(es.Ports))
		}
		return epState, sliceState
	}
	expectState := func(what, wantEP, wantSlices string) {
		t.Helper()
		var gotEP, gotSlices string
		defer func() {
			if t.Failed() { // Eventually gave up: say what was there
				t.Logf("endpoints %q, slices %q", gotEP, gotSlices)
			}
		}()
		controllertest.Eventually(t, 10*time.Second, what, func() bool {
			gotEP, gotSlices = state()
			return gotEP == wantEP && gotSlices == wantSlices
		})
	}

	// No pod has an IP yet: an empty Endpoints and a placeholder slice.
	expectState("no endpoints yet", "", "(1 slice, 0 ports) ")
	setStatus("web-1", "10.244.0.1", true)
	setStatus("web-2", "10.244.0.2", false)
	expectState("one ready, one not", "10.244.0.1 | 10.244.0.2 8080",
		"10.244.0.1:true/true/false 10.244.0.2:false/false/false (1 slice, 1 ports) ")
	setStatus("web-2", "10.244.0.2", true)
	setStatus("web-3", "10.244.0.3", true)
	expectState("all ready", "10.244.0.1 10.244.0.2 10.244.0.3 | 8080",
		"10.244.0.1:true/true/false 10.244.0.2:true/true/false 10.244.0.3:true/true/false (1 slice, 1 ports) ")
	kubectl("delete", "pod", "web-2", "--wait=false")
	expectState("one deleted", "10.244.0.1 10.244.0.3 | 8080",
		"10.244.0.1:true/true/false 10.244.0.3:true/true/false (1 slice, 1 ports) ")
	kubectl("label", "pod", "web-3", "app=other", "--overwrite")
	expectState("one relabelled", "10.244.0.1 | 8080", "10.244.0.1:true/true/false (1 slice, 1 ports) ")

	// The service goes: its Endpoints and slices go.
	kubectl("delete", "svc", "web")
	expectState("service deleted", "none", "")
}
