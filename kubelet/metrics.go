package kubelet

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/kubelet/runtime"
	"github.com/minik8s/minik8s/kubelet/sim"
)

// The resource metrics endpoint, as a Kubernetes kubelet serves it for
// metrics-server: GET /metrics/resource answers in the Prometheus text
// format with the series metrics-server reads, each sample stamped with
// when it was measured (milliseconds):
//
//	container_cpu_usage_seconds_total{container,namespace,pod,node}   counter
//	container_memory_working_set_bytes{container,namespace,pod,node}  gauge
//	container_start_time_seconds{container,namespace,pod,node}        gauge
//	node_cpu_usage_seconds_total{node}                                counter
//	node_memory_working_set_bytes{node}                               gauge
//
// One kubelet runs several nodes behind one port, so every series carries
// a node label, and ?node=NAME (repeatable) restricts the answer to those
// nodes. A node's usage is the sum of its pods' (the nodes share one host;
// its own processes are not counted). Nothing is measured until someone
// asks: the runtimes sample at the request.

// usageWorkers bounds the pods measured at once (each is an engine call
// on Docker).
const usageWorkers = 8

// nodeCPU keeps each node's CPU counter monotonic although its pods come
// and go: it adds what each container used since the last scrape.
type nodeCPU struct {
	mu    sync.Mutex
	total map[string]float64            // node → CPU seconds
	last  map[string]map[string]float64 // node → container key → last counter
}

func (n *nodeCPU) add(node string, cs map[string]float64) float64 {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.total == nil {
		n.total, n.last = map[string]float64{}, map[string]map[string]float64{}
	}
	prev := n.last[node]
	for k, v := range cs {
		if d := v - prev[k]; d > 0 {
			n.total[node] += d
		}
	}
	n.last[node] = cs
	return n.total[node]
}

type podUsage struct {
	pod        *api.Pod
	containers []runtime.ContainerUsage
}

func (k *Kubelet) serveResourceMetrics(w http.ResponseWriter, r *http.Request) {
	want := r.URL.Query()["node"]
	byNode := map[string][]*podUsage{}
	var all []*podUsage
	for _, p := range k.pods.List() {
		n := k.nodes[p.Spec.NodeName]
		if n == nil || (len(want) > 0 && !slices.Contains(want, n.Name)) ||
			p.Status.Phase == api.PodSucceeded || p.Status.Phase == api.PodFailed {
			continue
		}
		if _, ok := n.Runtime.(runtime.UsageReporter); !ok {
			continue
		}
		pu := &podUsage{pod: p}
		byNode[n.Name] = append(byNode[n.Name], pu)
		all = append(all, pu)
	}
	g, ctx := errgroup.WithContext(r.Context())
	g.SetLimit(usageWorkers)
	for _, pu := range all {
		g.Go(func() error {
			u, err := k.nodes[pu.pod.Spec.NodeName].Runtime.(runtime.UsageReporter).Usage(ctx, pu.pod)
			if err != nil {
				// One pod's bad annotation or vanished container must not
				// hide the others: it is left out, as cAdvisor leaves out
				// what it cannot read.
				k.log.Debug().Err(err).Str(logKeyPod, pu.pod.Namespace+"/"+pu.pod.Name).Msg("measure usage")
				return nil
			}
			pu.containers = u
			return nil
		})
	}
	_ = g.Wait()
	if r.Context().Err() != nil {
		return
	}
	now := k.now()
	var cpu, mem, start, nodeCPUs, nodeMem strings.Builder
	nodes := make([]string, 0, len(k.nodes))
	for name := range k.nodes {
		if len(want) == 0 || slices.Contains(want, name) {
			nodes = append(nodes, name)
		}
	}
	sort.Strings(nodes)
	for _, node := range nodes {
		counters := map[string]float64{}
		var ws uint64
		for _, pu := range byNode[node] {
			for _, c := range pu.containers {
				labels := fmt.Sprintf(`{container=%q,namespace=%q,node=%q,pod=%q}`, c.Name, pu.pod.Namespace, node, pu.pod.Name)
				ts := msec(c.Timestamp)
				fmt.Fprintf(&cpu, "container_cpu_usage_seconds_total%s %s %d\n", labels, float(c.CPUSeconds), ts)
				fmt.Fprintf(&mem, "container_memory_working_set_bytes%s %d %d\n", labels, c.MemoryWorkingSet, ts)
				fmt.Fprintf(&start, "container_start_time_seconds%s %s %d\n", labels, float(float64(c.StartedAt.UnixNano())/1e9), ts)
				counters[pu.pod.UID+"/"+c.Name] = c.CPUSeconds
				ws += c.MemoryWorkingSet
			}
		}
		total := k.nodeCPU.add(node, counters)
		fmt.Fprintf(&nodeCPUs, "node_cpu_usage_seconds_total{node=%q} %s %d\n", node, float(total), msec(now))
		fmt.Fprintf(&nodeMem, "node_memory_working_set_bytes{node=%q} %d %d\n", node, ws, msec(now))
	}
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	for _, s := range []struct{ name, typ, help, body string }{
		{"container_cpu_usage_seconds_total", "counter", "Cumulative cpu time consumed by the container in core-seconds", cpu.String()},
		{"container_memory_working_set_bytes", "gauge", "Current working set of the container in bytes", mem.String()},
		{"container_start_time_seconds", "gauge", "Start time of the container since unix epoch in seconds", start.String()},
		{"node_cpu_usage_seconds_total", "counter", "Cumulative cpu time consumed by the node's pods in core-seconds", nodeCPUs.String()},
		{"node_memory_working_set_bytes", "gauge", "Current working set of the node's pods in bytes", nodeMem.String()},
	} {
		fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s %s\n%s", s.name, s.help, s.name, s.typ, s.body)
	}
}

func msec(t time.Time) int64 { return t.UnixMilli() }

func float(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

// usageAnnotationsChanged reports whether a pod's simulated usage changed,
// so that the simulated runtime can count the new rate from now.
func usageAnnotationsChanged(old, cur *api.Pod) bool {
	for _, a := range []string{sim.AnnotationCPUUsage, sim.AnnotationMemoryUsage} {
		if old.Annotations[a] != cur.Annotations[a] {
			return true
		}
	}
	return false
}

// onUsageChange samples the pod's usage when its usage annotations change,
// so that the simulated CPU counter grows at the old rate up to now and at
// the new one from now on.
func (k *Kubelet) onUsageChange(ctx context.Context, old, cur *api.Pod) {
	n := k.nodes[cur.Spec.NodeName]
	if n == nil || !usageAnnotationsChanged(old, cur) {
		return
	}
	if ur, ok := n.Runtime.(*sim.Runtime); ok {
		_, _ = ur.Usage(ctx, cur)
	}
}
