package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// PodJSON is a small pod, as a Deployment of one container makes them.
func PodJSON(ns, name string) []byte {
	return fmt.Appendf(nil, `{"apiVersion":"v1","kind":"Pod","metadata":{"name":%q,"namespace":%q,"labels":{"app":"bench"}},`+
		`"spec":{"containers":[{"name":"app","image":"registry.k8s.io/pause:3.10",`+
		`"resources":{"requests":{"cpu":"10m","memory":"16Mi"}}}]}}`, name, ns)
}

// AntiAffinityPodJSON is pod i of deployments Deployments' pods (the pods
// of Deployment i mod deployments, labelled app=dep-N): a small pod with
// required pod anti-affinity by hostname against its own Deployment's pods.
func AntiAffinityPodJSON(ns string, i, deployments int) []byte {
	app := fmt.Sprintf("dep-%d", i%deployments)
	return fmt.Appendf(nil, `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"pod-%d","namespace":%q,"labels":{"app":%q}},`+
		`"spec":{"affinity":{"podAntiAffinity":{"requiredDuringSchedulingIgnoredDuringExecution":[`+
		`{"labelSelector":{"matchLabels":{"app":%q}},"topologyKey":"kubernetes.io/hostname"}]}},`+
		`"containers":[{"name":"app","image":"registry.k8s.io/pause:3.10",`+
		`"resources":{"requests":{"cpu":"10m","memory":"16Mi"}}}]}}`, i, ns, app, app)
}

// SpreadPodJSON is AntiAffinityPodJSON's pod with a zone topology spread
// constraint (maxSkew 1, DoNotSchedule) over its Deployment's pods instead.
func SpreadPodJSON(ns string, i, deployments int) []byte {
	app := fmt.Sprintf("dep-%d", i%deployments)
	return fmt.Appendf(nil, `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"pod-%d","namespace":%q,"labels":{"app":%q}},`+
		`"spec":{"topologySpreadConstraints":[{"maxSkew":1,"topologyKey":"topology.kubernetes.io/zone",`+
		`"whenUnsatisfiable":"DoNotSchedule","labelSelector":{"matchLabels":{"app":%q}}}],`+
		`"containers":[{"name":"app","image":"registry.k8s.io/pause:3.10",`+
		`"resources":{"requests":{"cpu":"10m","memory":"16Mi"}}}]}}`, i, ns, app, app)
}

func podsPath(ns string) string { return "/api/v1/namespaces/" + ns + "/pods" }

func deploymentsPath(ns string) string { return "/apis/apps/v1/namespaces/" + ns + "/deployments" }

// CreateNamespace creates namespace ns through s, with the default
// ServiceAccount its pods need (ServiceAccount admission refuses pods
// without it). The service account controller adds it too when a
// controller manager runs; whichever comes first wins.
func CreateNamespace(ctx context.Context, s *Server, ns string) error {
	body := fmt.Appendf(nil, `{"apiVersion":"v1","kind":"Namespace","metadata":{"name":%q}}`, ns)
	if _, err := s.Expect(ctx, http.StatusCreated, http.MethodPost, "/api/v1/namespaces", body); err != nil {
		return err
	}
	code, resp, err := s.Do(ctx, http.MethodPost, "/api/v1/namespaces/"+ns+"/serviceaccounts", []byte(`{"metadata":{"name":"default"}}`))
	if err != nil {
		return err
	}
	if code != http.StatusCreated && code != http.StatusConflict {
		return fmt.Errorf("create the default ServiceAccount of %s: %d %s", ns, code, resp)
	}
	return nil
}

// warmUp opens about clients keep-alive connections to s (each costs a TLS
// handshake) so that a timed run that follows does not pay for them.
func warmUp(ctx context.Context, s *Server, clients int) error {
	_, err := drive(ctx, 4*clients, clients, time.Minute, func(ctx context.Context, _ int) error {
		_, err := s.Expect(ctx, http.StatusOK, http.MethodGet, "/api/v1/namespaces/default", nil)
		return err
	})
	if err != nil {
		return fmt.Errorf("warm up: %w", err)
	}
	return nil
}

// measureCreates creates n pods in ns with clients concurrent clients and
// returns the run and the created objects as the server returned them
// (nil for those not created before the run timed out).
func measureCreates(ctx context.Context, s *Server, ns string, n, clients int, timeout time.Duration) (Sample, [][]byte, error) {
	bodies := make([][]byte, n)
	for i := range bodies {
		bodies[i] = PodJSON(ns, "pod-"+strconv.Itoa(i))
	}
	created := make([][]byte, n)
	sample, err := drive(ctx, n, clients, timeout, func(ctx context.Context, i int) error {
		b, err := s.Expect(ctx, http.StatusCreated, http.MethodPost, podsPath(ns), bodies[i])
		created[i] = b
		return err
	})
	return sample, created, err
}

// measureUpdates updates each object of created once, by PUT with the
// resourceVersion it was created with (each a distinct object, so none
// conflicts), changing a label, with clients concurrent clients. The bodies
// are prepared before the clock starts.
func measureUpdates(ctx context.Context, s *Server, ns string, created [][]byte, clients int, timeout time.Duration) (Sample, error) {
	var paths []string
	var bodies [][]byte
	for _, c := range created {
		if c == nil {
			continue
		}
		var obj map[string]any
		if err := json.Unmarshal(c, &obj); err != nil {
			return Sample{}, fmt.Errorf("decode created pod: %w", err)
		}
		meta, _ := obj["metadata"].(map[string]any)
		labels, _ := meta["labels"].(map[string]any)
		name, _ := meta["name"].(string)
		if labels == nil || name == "" {
			return Sample{}, fmt.Errorf("created pod has no name or labels: %s", c)
		}
		labels["bench-updated"] = "true"
		b, err := json.Marshal(obj)
		if err != nil {
			return Sample{}, fmt.Errorf("encode pod: %w", err)
		}
		paths = append(paths, podsPath(ns)+"/"+name)
		bodies = append(bodies, b)
	}
	return drive(ctx, len(bodies), clients, timeout, func(ctx context.Context, i int) error {
		_, err := s.Expect(ctx, http.StatusOK, http.MethodPut, paths[i], bodies[i])
		return err
	})
}

// watchEvent is the part of a watch event the benchmark reads.
type watchEvent struct {
	Type   string `json:"type"`
	Object struct {
		Metadata struct {
			Name string `json:"name"`
		} `json:"metadata"`
	} `json:"object"`
}

// measureWatch opens a watch on pods in a new namespace ns through
// watcher, then creates p.WatchEvents pods there through writer, paced at
// p.WatchRate per second, and times each pod's ADDED event from just
// before its create was sent (so the figure includes the write itself).
// The send times are kept in this process's monotonic clock. It fails if
// the watch has not delivered every created pod 10 s after the last one.
func measureWatch(ctx context.Context, p Params, writer, watcher *Server, ns string) (Sample, error) {
	if err := CreateNamespace(ctx, writer, ns); err != nil {
		return Sample{}, err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	resp, err := watcher.send(ctx, http.MethodGet, podsPath(ns)+"?watch=true", nil)
	if err != nil {
		return Sample{}, fmt.Errorf("open watch: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return Sample{}, fmt.Errorf("open watch: status %d", resp.StatusCode)
	}

	n := p.WatchEvents
	base := time.Now()
	sentAt := make([]atomic.Int64, n) // time.Since(base) just before each create
	arrived := make(chan time.Duration, n)
	readErr := make(chan error, 1)
	go func() {
		dec := json.NewDecoder(resp.Body)
		for {
			var ev watchEvent
			if err := dec.Decode(&ev); err != nil {
				readErr <- err
				return
			}
			at := time.Since(base)
			if ev.Type != "ADDED" {
				continue
			}
			i, err := strconv.Atoi(strings.TrimPrefix(ev.Object.Metadata.Name, "pod-"))
			if err != nil || i < 0 || i >= n {
				continue
			}
			arrived <- at - time.Duration(sentAt[i].Load())
		}
	}()

	interval := time.Duration(float64(time.Second) / p.WatchRate)
	deadline := base.Add(p.RunTimeout)
	written := 0
	for i := range n {
		if wait := time.Until(base.Add(time.Duration(i) * interval)); wait > 0 {
			time.Sleep(wait)
		}
		if time.Now().After(deadline) {
			break
		}
		sentAt[i].Store(int64(time.Since(base)))
		if _, err := writer.Expect(ctx, http.StatusCreated, http.MethodPost, podsPath(ns), PodJSON(ns, "pod-"+strconv.Itoa(i))); err != nil {
			return Sample{}, err
		}
		written++
	}
	elapsed := time.Since(base)

	lat := make([]time.Duration, 0, written)
	grace := time.After(10 * time.Second)
	for len(lat) < written {
		select {
		case d := <-arrived:
			lat = append(lat, d)
		case err := <-readErr:
			return Sample{}, fmt.Errorf("watch ended after %d of %d events: %w", len(lat), written, err)
		case <-grace:
			return Sample{}, fmt.Errorf("watch delivered %d of %d events within 10s of the last create", len(lat), written)
		case <-ctx.Done():
			return Sample{}, ctx.Err()
		}
	}
	if written == 0 {
		return Sample{}, errors.New("no create was sent before the run timed out")
	}
	slices.Sort(lat)
	return Sample{N: written, Want: n, Elapsed: elapsed, Lat: lat}, nil
}
