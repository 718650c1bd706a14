package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/internal/wait"
)

// NodeJSON is a Ready node as a kubelet registers it, with room for
// maxPods small pods; no kubelet backs it.
func NodeJSON(name string, maxPods int) []byte {
	res := fmt.Sprintf(`{"cpu":"32","memory":"128Gi","pods":"%d"}`, maxPods)
	now := time.Now().UTC().Format(time.RFC3339)
	return fmt.Appendf(nil, `{"apiVersion":"v1","kind":"Node","metadata":{"name":%q,"labels":{"kubernetes.io/hostname":%q,"kubernetes.io/os":"linux"}},`+
		`"status":{"capacity":%s,"allocatable":%s,"conditions":[{"type":"Ready","status":"True","reason":"KubeletReady",`+
		`"message":"bench node","lastHeartbeatTime":%q,"lastTransitionTime":%q}]}}`, name, name, res, res, now, now)
}

// NodeInZoneJSON is NodeJSON with the node in zone (label
// topology.kubernetes.io/zone).
func NodeInZoneJSON(name string, maxPods int, zone string) []byte {
	res := fmt.Sprintf(`{"cpu":"32","memory":"128Gi","pods":"%d"}`, maxPods)
	now := time.Now().UTC().Format(time.RFC3339)
	return fmt.Appendf(nil, `{"apiVersion":"v1","kind":"Node","metadata":{"name":%q,"labels":{"kubernetes.io/hostname":%q,"kubernetes.io/os":"linux","topology.kubernetes.io/zone":%q}},`+
		`"status":{"capacity":%s,"allocatable":%s,"conditions":[{"type":"Ready","status":"True","reason":"KubeletReady",`+
		`"message":"bench node","lastHeartbeatTime":%q,"lastTransitionTime":%q}]}}`, name, name, zone, res, res, now, now)
}

// DeploymentJSON is a Deployment of replicas small pods labelled app=name.
func DeploymentJSON(ns, name string, replicas int) []byte {
	return fmt.Appendf(nil, `{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":%q,"namespace":%q},`+
		`"spec":{"replicas":%d,"selector":{"matchLabels":{"app":%q}},"template":{"metadata":{"labels":{"app":%q}},`+
		`"spec":{"containers":[{"name":"app","image":"registry.k8s.io/pause:3.10",`+
		`"resources":{"requests":{"cpu":"10m","memory":"16Mi"}}}]}}}}`, name, ns, replicas, name, name)
}

// serviceJSON is a Service selecting DeploymentJSON's pods of the same
// name.
func serviceJSON(ns, name string) []byte {
	return fmt.Appendf(nil, `{"apiVersion":"v1","kind":"Service","metadata":{"name":%q,"namespace":%q},`+
		`"spec":{"selector":{"app":%q},"ports":[{"name":"http","port":80,"targetPort":8080}]}}`, name, ns, name)
}

// waitEndpoints polls until the Service name's EndpointSlices hold want
// ready endpoints and its Endpoints as many ready addresses as fit (at
// most 1,000), and returns when it saw that; it fails at deadline.
func waitEndpoints(ctx context.Context, s *Server, ns, name string, want int, deadline time.Time) (time.Time, error) {
	slices := "/apis/discovery.k8s.io/v1/namespaces/" + ns + "/endpointslices?" +
		url.Values{"labelSelector": {"kubernetes.io/service-name=" + name}}.Encode()
	endpoints := "/api/v1/namespaces/" + ns + "/endpoints/" + name
	wantAddresses := min(want, api.MaxEndpointsAddresses)
	for {
		var sl struct {
			Items []struct {
				Endpoints []struct {
					Conditions struct {
						Ready *bool `json:"ready"`
					} `json:"conditions"`
				} `json:"endpoints"`
			} `json:"items"`
		}
		var ep struct {
			Subsets []struct {
				Addresses []struct{} `json:"addresses"`
			} `json:"subsets"`
		}
		ready, addresses := 0, 0
		b, err := s.Expect(ctx, http.StatusOK, http.MethodGet, slices, nil)
		if err == nil {
			err = json.Unmarshal(b, &sl)
		}
		if err != nil {
			return time.Time{}, fmt.Errorf("list endpointslices: %w", err)
		}
		for _, it := range sl.Items {
			for _, e := range it.Endpoints {
				if e.Conditions.Ready == nil || *e.Conditions.Ready {
					ready++
				}
			}
		}
		if ready == want {
			code, b, err := s.Do(ctx, http.MethodGet, endpoints, nil)
			if err != nil {
				return time.Time{}, fmt.Errorf("get endpoints: %w", err)
			}
			if code == http.StatusOK {
				if err := json.Unmarshal(b, &ep); err != nil {
					return time.Time{}, fmt.Errorf("get endpoints: %w", err)
				}
				for _, ss := range ep.Subsets {
					addresses += len(ss.Addresses)
				}
			}
			if addresses >= wantAddresses { // more: a build that does not truncate
				return time.Now(), nil
			}
		}
		if time.Now().After(deadline) {
			return time.Time{}, fmt.Errorf("endpoints of %s: %d ready in slices, %d addresses, want %d and %d", name, ready, addresses, want, wantAddresses)
		}
		if err := wait.Sleep(ctx, 100*time.Millisecond); err != nil {
			return time.Time{}, err
		}
	}
}

// podEvent is the part of a pod watch event the benchmark reads.
type podEvent struct {
	Type   string `json:"type"`
	Object struct {
		Metadata struct {
			Name            string `json:"name"`
			ResourceVersion string `json:"resourceVersion"`
		} `json:"metadata"`
		Spec struct {
			NodeName string `json:"nodeName"`
		} `json:"spec"`
		Status struct {
			Phase string `json:"phase"`
		} `json:"status"`
	} `json:"object"`
}

// podWatch follows the pods of one namespace through a watch and notes
// when each pod was first seen bound to a node and first seen Running,
// and when pods were deleted. Its methods are safe for concurrent use.
type podWatch struct {
	want   int
	cancel context.CancelFunc
	ended  chan struct{} // closed when the stream ends for good
	err    error         // why it ended, once ended is closed

	mu          sync.Mutex
	rv          string // the last resourceVersion seen, to resume from
	resumed     int    // streams opened again after one ended
	added       map[string]struct{}
	lastAdded   time.Time
	times       [3][]time.Time // when pods were first seen, bound, Running
	bound       map[string]struct{}
	running     map[string]struct{}
	lastBound   time.Time
	lastRunning time.Time
	deleted     int
	lastDeleted time.Time
	allBound    chan struct{} // closed when want pods are bound
	allRunning  chan struct{} // closed when want pods are Running
	allDeleted  chan struct{} // closed when want pods were deleted
}

// maxWatchResumes bounds how often a podWatch opens its stream again.
const maxWatchResumes = 5

// watchPods opens a watch on the pods of namespace ns from resourceVersion
// rv ("": from now on, for a namespace that should be empty) and follows
// it until ctx ends or stop is called; want is the number of pods whose
// binding and Running phase, or deletion, the waits expect. Only pods
// whose creation the watch saw (ADDED) count as bound or Running, so a
// watch from the resourceVersion of a list follows the pods created
// after it; every deletion counts. A stream that ends is opened again from
// the last resourceVersion seen (bookmarks included), up to
// maxWatchResumes times, as an informer re-watches: a run of 150,000 pods
// must not end with a dropped watch. Events are decoded one at a time, so
// the watch holds only the pods' names.
func watchPods(ctx context.Context, s *Server, ns, rv string, want int) (*podWatch, error) {
	ctx, cancel := context.WithCancel(ctx)
	resp, err := openPodWatch(ctx, s, ns, rv)
	if err != nil {
		cancel()
		return nil, err
	}
	w := newPodWatch(want)
	w.cancel, w.rv = cancel, rv
	go func() {
		defer close(w.ended)
		for {
			err := w.follow(resp.Body)
			resp.Body.Close()
			w.mu.Lock()
			from, resumes := w.rv, w.resumed
			w.mu.Unlock()
			if ctx.Err() != nil || from == "" || resumes >= maxWatchResumes {
				w.err = err
				return
			}
			if resp, err = openPodWatch(ctx, s, ns, from); err != nil {
				w.err = err
				return
			}
			w.mu.Lock()
			w.resumed++
			w.mu.Unlock()
		}
	}()
	return w, nil
}

func newPodWatch(want int) *podWatch {
	return &podWatch{
		want: want, ended: make(chan struct{}), cancel: func() {},
		added: make(map[string]struct{}, want), bound: make(map[string]struct{}, want), running: make(map[string]struct{}, want),
		allBound: make(chan struct{}), allRunning: make(chan struct{}), allDeleted: make(chan struct{}),
	}
}

// openPodWatch starts a watch of the pods of ns from rv ("": now).
func openPodWatch(ctx context.Context, s *Server, ns, rv string) (*http.Response, error) {
	q := url.Values{"watch": {"true"}, "allowWatchBookmarks": {"true"}}
	if rv != "" {
		q.Set("resourceVersion", rv)
	}
	resp, err := s.send(ctx, http.MethodGet, podsPath(ns)+"?"+q.Encode(), nil)
	if err != nil {
		return nil, fmt.Errorf("open watch: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		return nil, fmt.Errorf("open watch from resourceVersion %q: status %d", rv, resp.StatusCode)
	}
	return resp, nil
}

// follow notes the events of one stream until it ends.
func (w *podWatch) follow(body io.Reader) error {
	dec := json.NewDecoder(body)
	for {
		var ev podEvent
		// An ERROR event (a Status) does not decode as a pod event:
		// it ends the stream too.
		if err := dec.Decode(&ev); err != nil {
			return err
		}
		w.note(&ev, time.Now())
	}
}

func (w *podWatch) note(ev *podEvent, at time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if rv := ev.Object.Metadata.ResourceVersion; rv != "" {
		w.rv = rv
	}
	name := ev.Object.Metadata.Name
	switch ev.Type {
	case "ADDED":
		if _, ok := w.added[name]; !ok {
			w.added[name] = struct{}{}
			w.lastAdded = at
			w.times[0] = append(w.times[0], at)
		}
	case "MODIFIED":
		if _, ok := w.added[name]; !ok {
			return // a pod that existed before the watch
		}
	case "DELETED":
		w.deleted++
		w.lastDeleted = at
		if w.deleted == w.want {
			close(w.allDeleted)
		}
		return
	default:
		return
	}
	if _, ok := w.bound[name]; !ok && ev.Object.Spec.NodeName != "" {
		w.bound[name] = struct{}{}
		w.lastBound = at
		w.times[1] = append(w.times[1], at)
		if len(w.bound) == w.want {
			close(w.allBound)
		}
	}
	if _, ok := w.running[name]; !ok && ev.Object.Status.Phase == "Running" {
		w.running[name] = struct{}{}
		w.lastRunning = at
		w.times[2] = append(w.times[2], at)
		if len(w.running) == w.want {
			close(w.allRunning)
		}
	}
}

// deletions is how many pods were seen deleted, and when the last was.
func (w *podWatch) deletions() (int, time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.deleted, w.lastDeleted
}

// resumes is how many times the stream was opened again.
func (w *podWatch) resumes() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.resumed
}

// stop closes the watch.
func (w *podWatch) stop() { w.cancel(); <-w.ended }

// progress is how many pods were seen bound and Running, and when the
// last of each was seen.
func (w *podWatch) progress() (bound, running int, lastBound, lastRunning time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.bound), len(w.running), w.lastBound, w.lastRunning
}

// firstBound is when the watch first saw a pod bound (zero if none).
func (w *podWatch) firstBound() time.Time {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.times[1]) == 0 {
		return time.Time{}
	}
	return w.times[1][0]
}

// timeline describes, for the progress log, when the first, the 10th,
// 50th and 90th percentile and the last pod were seen created, bound and
// Running, in seconds after start.
func (w *podWatch) timeline(start time.Time) string {
	w.mu.Lock()
	defer w.mu.Unlock()
	var b strings.Builder
	for i, what := range []string{"created", "bound", "Running"} {
		ts := w.times[i]
		if len(ts) == 0 {
			continue
		}
		fmt.Fprintf(&b, "%s %d:", what, len(ts))
		for _, q := range []float64{0, 0.1, 0.5, 0.9, 1} {
			k := min(int(q*float64(len(ts))), len(ts)-1)
			fmt.Fprintf(&b, " %.2f", ts[k].Sub(start).Seconds())
		}
		b.WriteString("; ")
	}
	return strings.TrimSuffix(b.String(), "; ")
}

// created is how many pods were seen, and when the last new one was.
func (w *podWatch) created() (int, time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.added), w.lastAdded
}

// wait waits until all (w.allBound or w.allRunning) is closed, the
// deadline passes (reported as timedOut, not an error), or the stream or
// a process fails.
func (w *podWatch) wait(ctx context.Context, all <-chan struct{}, deadline time.Time, procs ...*Process) (timedOut bool, err error) {
	timer := time.NewTimer(time.Until(deadline))
	defer timer.Stop()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-all:
			return false, nil
		case <-timer.C:
			return true, nil
		case <-w.ended:
			return false, fmt.Errorf("pod watch ended: %v", w.err)
		case <-ctx.Done():
			return false, ctx.Err()
		case <-tick.C:
			for _, p := range procs {
				if err := p.Exited(); err != nil {
					return false, err
				}
			}
		}
	}
}

// createObjects POSTs n objects made by body(i) to path with clients
// concurrent clients, failing on the first error.
func createObjects(ctx context.Context, s *Server, path string, n, clients int, timeout time.Duration, body func(i int) []byte) (Sample, error) {
	return drive(ctx, n, clients, timeout, func(ctx context.Context, i int) error {
		_, err := s.Expect(ctx, http.StatusCreated, http.MethodPost, path, body(i))
		return err
	})
}

// WaitNodesReady waits until n nodes report Ready=True. It reads the
// nodes a page of 500 at a time, and for a thousand nodes or more looks
// once a second, so that waiting does not load the server it waits for.
func WaitNodesReady(ctx context.Context, s *Server, n int, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	every := 20 * time.Millisecond
	if n >= 1000 {
		every = time.Second
	}
	var page struct {
		Items []struct {
			Status struct {
				Conditions []struct {
					Type, Status string
				} `json:"conditions"`
			} `json:"status"`
		} `json:"items"`
	}
	ready := 0
	for time.Now().Before(deadline) {
		ready = 0
		_, _, err := listPages(ctx, s, "/api/v1/nodes", 500, func(b []byte) error {
			page.Items = nil
			if err := json.Unmarshal(b, &page); err != nil {
				return fmt.Errorf("decode nodes: %w", err)
			}
			for _, it := range page.Items {
				for _, c := range it.Status.Conditions {
					if c.Type == "Ready" && c.Status == "True" {
						ready++
					}
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		if ready >= n {
			return nil
		}
		if err := s.pauseFor(ctx, every); err != nil {
			return err
		}
	}
	return fmt.Errorf("%d of %d nodes Ready after %s", ready, n, timeout)
}

// listPages lists path limit items at a time, following continue tokens,
// and calls page (if not nil) with the body of each page. It returns the
// number of pages and of items.
func listPages(ctx context.Context, s *Server, path string, limit int, page func(body []byte) error) (pages, items int, err error) {
	cont := ""
	for {
		q := url.Values{"limit": {strconv.Itoa(limit)}}
		if cont != "" {
			q.Set("continue", cont)
		}
		b, err := s.Expect(ctx, http.StatusOK, http.MethodGet, path+"?"+q.Encode(), nil)
		if err != nil {
			return pages, items, err
		}
		var l struct {
			Metadata struct {
				Continue string `json:"continue"`
			} `json:"metadata"`
			Items []struct{} `json:"items"`
		}
		if err := json.Unmarshal(b, &l); err != nil {
			return pages, items, fmt.Errorf("decode list of %s: %w", path, err)
		}
		pages++
		items += len(l.Items)
		if page != nil {
			if err := page(b); err != nil {
				return pages, items, err
			}
		}
		if l.Metadata.Continue == "" {
			return pages, items, nil
		}
		cont = l.Metadata.Continue
	}
}

// countObjects lists path with limit=1: the number of objects (the item
// plus remainingItemCount) and the list's resourceVersion, to watch from,
// without reading them all.
func countObjects(ctx context.Context, s *Server, path string) (n int, rv string, err error) {
	b, err := s.Expect(ctx, http.StatusOK, http.MethodGet, path+"?limit=1", nil)
	if err != nil {
		return 0, "", err
	}
	var l struct {
		Metadata struct {
			ResourceVersion    string `json:"resourceVersion"`
			RemainingItemCount *int64 `json:"remainingItemCount"`
		} `json:"metadata"`
		Items []struct{} `json:"items"`
	}
	if err := json.Unmarshal(b, &l); err != nil {
		return 0, "", fmt.Errorf("decode list of %s: %w", path, err)
	}
	n = len(l.Items)
	if l.Metadata.RemainingItemCount != nil {
		n += int(*l.Metadata.RemainingItemCount)
	}
	return n, l.Metadata.ResourceVersion, nil
}

// WaitLeaders waits until each named Lease in kube-system has a holder:
// the leader-elected roles (scheduler, controller manager) are acting.
func WaitLeaders(ctx context.Context, s *Server, timeout time.Duration, leases ...string) error {
	deadline := time.Now().Add(timeout)
	for _, name := range leases {
		for {
			code, b, err := s.Do(ctx, http.MethodGet, "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/"+name, nil)
			if err != nil {
				return err
			}
			var l struct {
				Spec struct {
					HolderIdentity string `json:"holderIdentity"`
				} `json:"spec"`
			}
			if code == http.StatusOK && json.Unmarshal(b, &l) == nil && l.Spec.HolderIdentity != "" {
				break
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("lease kube-system/%s has no holder after %s", name, timeout)
			}
			if err := s.pause(ctx); err != nil {
				return err
			}
		}
	}
	return nil
}

// waitBound waits until pod ns/name is bound to a node.
func waitBound(ctx context.Context, s *Server, ns, name string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		b, err := s.Expect(ctx, http.StatusOK, http.MethodGet, podsPath(ns)+"/"+name, nil)
		if err != nil {
			return err
		}
		var p podEvent
		if err := json.Unmarshal(b, &p.Object); err != nil {
			return fmt.Errorf("decode pod: %w", err)
		}
		if p.Object.Spec.NodeName != "" {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("pod %s/%s not bound after %s", ns, name, timeout)
		}
		if err := s.pause(ctx); err != nil {
			return err
		}
	}
}

// kubectlApply runs `kubectl apply -f -` with manifest against s, if
// kubectl is on PATH; it returns errNoKubectl otherwise.
func kubectlApply(ctx context.Context, s *Server, manifest []byte) error {
	bin, err := exec.LookPath("kubectl")
	if err != nil {
		return errNoKubectl
	}
	cmd := exec.CommandContext(ctx, bin, "--kubeconfig", s.Kubeconfig, "apply", "-f", "-")
	cmd.Stdin = bytes.NewReader(manifest)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("kubectl apply: %w: %s", err, bytes.TrimSpace(out))
	}
	return nil
}

var errNoKubectl = errors.New("kubectl not found on PATH")

// seconds formats d in seconds with two decimals.
func seconds(d time.Duration) string { return strconv.FormatFloat(d.Seconds(), 'f', 2, 64) + " s" }

// after formats how long after start t came, as seconds does, or "never"
// when it did not come (t is zero): a run that timed out before its first
// pod got there has no last time.
func after(start, t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return seconds(t.Sub(start))
}
