package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"time"

	"github.com/minik8s/minik8s/kubelet/docker"
	"github.com/minik8s/minik8s/pki"
)

// Node port run: how long, and how many concurrent keep-alive clients.
const (
	nodePortDuration = 5 * time.Second
	nodePortClients  = 8
	nodePortReplicas = 3
)

// nodePortScenario measures the Service data plane on Docker: HTTP
// requests through a NodePort (127.0.0.1:<nodePort>, DNATed by the node
// agent's nftables rules to 3 pods) beside the same requests straight to
// one pod's IP, and reports the overhead as a ratio.
func nodePortScenario(ctx context.Context, env *Env) error {
	if !docker.Available(ctx, "") {
		env.Report(Info("NodePort vs pod: no Docker engine answers", "skipped"))
		return nil
	}
	srv, err := env.StartServer(ctx, ServerOptions{Role: "all", Args: []string{"--nodes", "1", "--runtime", "docker"}})
	if err != nil {
		return err
	}
	// A stopped node agent leaves its containers: remove the cluster's
	// after the server stops (cleanups run last first).
	if cluster, err := pki.ClusterIDOf(pki.In(srv.DataDir)); err == nil {
		env.cleanups = append([]func() error{func() error {
			_, err := docker.RemoveCluster(context.Background(), "", cluster)
			return err
		}}, env.cleanups...)
	}
	if err := WaitNodesReady(ctx, srv, 1, env.Params.RunTimeout); err != nil {
		return err
	}
	const ns = "bench-nodeport"
	if err := CreateNamespace(ctx, srv, ns); err != nil {
		return err
	}
	dep := fmt.Appendf(nil, `{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","namespace":%q},`+
		`"spec":{"replicas":%d,"selector":{"matchLabels":{"app":"web"}},"template":{"metadata":{"labels":{"app":"web"}},`+
		`"spec":{"containers":[{"name":"app","image":%q,"imagePullPolicy":"Never"}]}}}}`, ns, nodePortReplicas, docker.DemoImage)
	if _, err := srv.Expect(ctx, http.StatusCreated, http.MethodPost, "/apis/apps/v1/namespaces/"+ns+"/deployments", dep); err != nil {
		return fmt.Errorf("create deployment: %w", err)
	}
	svc := fmt.Appendf(nil, `{"apiVersion":"v1","kind":"Service","metadata":{"name":"web","namespace":%q},`+
		`"spec":{"type":"NodePort","selector":{"app":"web"},"ports":[{"port":80,"targetPort":8080}]}}`, ns)
	body, err := srv.Expect(ctx, http.StatusCreated, http.MethodPost, "/api/v1/namespaces/"+ns+"/services", svc)
	if err != nil {
		return fmt.Errorf("create service: %w", err)
	}
	var created struct {
		Spec struct {
			Ports []struct {
				NodePort int `json:"nodePort"`
			} `json:"ports"`
		} `json:"spec"`
	}
	if err := json.Unmarshal(body, &created); err != nil || len(created.Spec.Ports) == 0 {
		return fmt.Errorf("read the service's node port: %v", err)
	}
	pods, err := waitWebPods(ctx, srv, ns, env.Params.RunTimeout)
	if err != nil {
		return err
	}
	podIP := pods[0].ip
	nodeURL := fmt.Sprintf("http://127.0.0.1:%d/", created.Spec.Ports[0].NodePort)
	podURL := "http://" + podIP + ":8080/"
	hc := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: nodePortClients}}
	defer hc.CloseIdleConnections()
	get := func(url string) error {
		resp, err := hc.Get(url)
		if err != nil {
			return err
		}
		_, err = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return err
	}
	deadline := time.Now().Add(env.Params.RunTimeout)
	// Ready (no readiness probe) is not listening yet: wait for every
	// pod, then for the node port (the proxy follows the EndpointSlice).
	for _, url := range append(podURLs(pods), nodeURL) {
		for get(url) != nil {
			if time.Now().After(deadline) {
				return fmt.Errorf("%s does not answer", url)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	run := func(url string) (Sample, error) {
		return drive(ctx, 1<<30, nodePortClients, nodePortDuration, func(context.Context, int) error { return get(url) })
	}
	direct, err := run(podURL)
	if err != nil {
		return fmt.Errorf("straight to the pod: %w", err)
	}
	hc.CloseIdleConnections()
	via, err := run(nodeURL)
	if err != nil {
		return fmt.Errorf("through the node port: %w", err)
	}
	env.Note(fmt.Sprintf("NodePort vs pod: %d keep-alive HTTP clients for %s each, GET / of minik8s/hello:1 (it logs every request); "+
		"the node port is 127.0.0.1:<nodePort>, DNATed by nftables to %d pods on one Docker node; the pod is one of them by its IP.",
		nodePortClients, nodePortDuration, nodePortReplicas))
	follow, err := sliceFollow(ctx, srv, ns, pods, env.Params.RunTimeout)
	if err != nil {
		return err
	}
	env.Report(
		Info(fmt.Sprintf("EndpointSlice update → node port answered by the new endpoint, median (max) of %d", len(follow)),
			fmt.Sprintf("%s ms (%s ms)", ms(percentile(follow, 0.5)), ms(follow[len(follow)-1]))),
		Info(fmt.Sprintf("HTTP straight to one pod, %d clients: requests/s (p99)", nodePortClients),
			fmt.Sprintf("%.0f/s (%s ms)", direct.Rate(), ms(direct.Pct(0.99)))),
		Info(fmt.Sprintf("HTTP through a NodePort to %d pods, %d clients: requests/s (p99)", nodePortReplicas, nodePortClients),
			fmt.Sprintf("%.0f/s (%s ms)", via.Rate(), ms(via.Pct(0.99)))),
		Info("NodePort overhead: requests/s through it / straight, p99 through it / straight",
			fmt.Sprintf("%.2f, %.2f", via.Rate()/direct.Rate(), float64(via.Pct(0.99))/float64(direct.Pct(0.99)))),
	)
	return nil
}

// sliceFollow times how soon the data plane follows an EndpointSlice: a
// NodePort Service without selector whose one slice (written here, as a
// controller would) is switched between two pods; each switch is timed
// from just before the write to the first new connection the other pod
// answers. It returns the times sorted.
func sliceFollow(ctx context.Context, srv *Server, ns string, pods []webPod, timeout time.Duration) ([]time.Duration, error) {
	svc := fmt.Appendf(nil, `{"apiVersion":"v1","kind":"Service","metadata":{"name":"manual","namespace":%q},`+
		`"spec":{"type":"NodePort","ports":[{"port":80}]}}`, ns)
	body, err := srv.Expect(ctx, http.StatusCreated, http.MethodPost, "/api/v1/namespaces/"+ns+"/services", svc)
	if err != nil {
		return nil, fmt.Errorf("create service manual: %w", err)
	}
	var created struct {
		Spec struct {
			Ports []struct {
				NodePort int `json:"nodePort"`
			} `json:"ports"`
		} `json:"spec"`
	}
	if err := json.Unmarshal(body, &created); err != nil || len(created.Spec.Ports) == 0 {
		return nil, fmt.Errorf("read the node port of manual: %v", err)
	}
	url := fmt.Sprintf("http://127.0.0.1:%d/", created.Spec.Ports[0].NodePort)
	slice := func(ip string) []byte {
		return fmt.Appendf(nil, `{"apiVersion":"discovery.k8s.io/v1","kind":"EndpointSlice","metadata":{"name":"manual-1","namespace":%q,`+
			`"labels":{"kubernetes.io/service-name":"manual"}},"addressType":"IPv4","endpoints":[{"addresses":[%q]}],"ports":[{"port":8080,"protocol":"TCP"}]}`, ns, ip)
	}
	path := "/apis/discovery.k8s.io/v1/namespaces/" + ns + "/endpointslices"
	if _, err := srv.Expect(ctx, http.StatusCreated, http.MethodPost, path, slice(pods[0].ip)); err != nil {
		return nil, fmt.Errorf("create endpointslice: %w", err)
	}
	hc := &http.Client{Timeout: time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	answer := func() string {
		resp, err := hc.Get(url)
		if err != nil {
			return ""
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	waitFor := func(p webPod) error {
		deadline := time.Now().Add(timeout)
		for answer() != "hello from "+p.name+"\n" {
			if time.Now().After(deadline) {
				return fmt.Errorf("node port of manual not answered by %s after %s", p.name, timeout)
			}
			time.Sleep(2 * time.Millisecond)
		}
		return nil
	}
	if err := waitFor(pods[0]); err != nil {
		return nil, err
	}
	var times []time.Duration
	for i := 1; i <= 10; i++ {
		p := pods[i%2]
		start := time.Now()
		if _, err := srv.Expect(ctx, http.StatusOK, http.MethodPut, path+"/manual-1", slice(p.ip)); err != nil {
			return nil, fmt.Errorf("update endpointslice: %w", err)
		}
		if err := waitFor(p); err != nil {
			return nil, err
		}
		times = append(times, time.Since(start))
	}
	slices.Sort(times)
	return times, nil
}

func podURLs(pods []webPod) []string {
	var out []string
	for _, p := range pods {
		out = append(out, "http://"+p.ip+":8080/")
	}
	return out
}

// webPod is one Ready pod of the Deployment.
type webPod struct{ name, ip string }

// waitWebPods waits for the Deployment's pods to be Ready and returns them.
func waitWebPods(ctx context.Context, srv *Server, ns string, timeout time.Duration) ([]webPod, error) {
	deadline := time.Now().Add(timeout)
	for {
		body, err := srv.Expect(ctx, http.StatusOK, http.MethodGet, "/api/v1/namespaces/"+ns+"/pods?labelSelector=app%3Dweb", nil)
		if err != nil {
			return nil, err
		}
		var list struct {
			Items []struct {
				Metadata struct {
					Name string `json:"name"`
				} `json:"metadata"`
				Status struct {
					PodIP      string `json:"podIP"`
					Conditions []struct {
						Type, Status string
					} `json:"conditions"`
				} `json:"status"`
			} `json:"items"`
		}
		if err := json.Unmarshal(body, &list); err != nil {
			return nil, err
		}
		var ready []webPod
		for _, p := range list.Items {
			for _, c := range p.Status.Conditions {
				if c.Type == "Ready" && c.Status == "True" {
					ready = append(ready, webPod{p.Metadata.Name, p.Status.PodIP})
				}
			}
		}
		if len(ready) == nodePortReplicas {
			return ready, nil
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("%d of %d web pods Ready after %s", len(ready), nodePortReplicas, timeout)
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}
