package apiserver

import (
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"sort"
	"time"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/apiserver/resourcemetrics"
	"github.com/minik8s/minik8s/store"
)

// serveMeasured answers get and list of metrics.k8s.io's NodeMetrics and
// PodMetrics from the node agents' measurements (package
// resourcemetrics): the nodes or pods are read from the store and
// filtered by the request's selectors (on their own labels, which the
// metrics objects carry, as metrics-server does), then their nodes'
// agents are asked. A node or pod without figures yet is left out of a
// list, and a get of it is 404, as with metrics-server.
func (s *Server) serveMeasured(r *request) error {
	if s.usage == nil {
		return newStatus(http.StatusServiceUnavailable, api.StatusReasonServiceUnavailable,
			"the server is currently unable to handle the request (this API server has no credentials to reach node agents)")
	}
	f, err := newFilter(r)
	if err != nil {
		return err
	}
	ctx := r.c.Request().Context()
	var objs []object // nodes or pods
	res := "nodes"
	if r.res.Kind == "PodMetrics" {
		res = "pods"
	}
	if r.ri.Name != "" {
		rec, err := s.deps.Store.Get(ctx, store.Key{Resource: res, Namespace: r.ri.Namespace, Name: r.ri.Name})
		if errors.Is(err, store.ErrNotFound) {
			return notFound(r.res, r.ri.Name)
		}
		if err != nil {
			return err
		}
		o, err := decodeStored(rec.Value, rec.ResourceVersion)
		if err != nil {
			return err
		}
		objs = append(objs, o)
	} else {
		recs, _, err := s.deps.Store.List(ctx, store.Prefix{Resource: res, Namespace: r.ri.Namespace}, store.ListOptions{})
		if err != nil {
			return err
		}
		for _, rec := range recs {
			o, err := decodeStored(rec.Value, rec.ResourceVersion)
			if err != nil {
				return err
			}
			if f.matches(o) {
				objs = append(objs, o)
			}
		}
	}

	// The nodes to ask, with their agents' addresses.
	nodeName := func(o object) string { return nestedString(o, "metadata", "name") }
	if res == "pods" {
		nodeName = func(o object) string { return nestedString(o, "spec", "nodeName") }
	}
	nodes := map[string]object{}
	if res == "nodes" {
		for _, o := range objs {
			nodes[nodeName(o)] = o
		}
	} else {
		for _, o := range objs {
			n := nodeName(o)
			if _, seen := nodes[n]; n == "" || seen || nestedString(o, "status", "phase") != string(api.PodRunning) {
				continue
			}
			nodes[n] = nil
			rec, err := s.deps.Store.Get(ctx, store.Key{Resource: "nodes", Name: n})
			if err != nil {
				continue // a pod on a node that is gone has no figures
			}
			if nodes[n], err = decodeStored(rec.Value, rec.ResourceVersion); err != nil {
				return err
			}
		}
	}
	targets := make([]resourcemetrics.Target, 0, len(nodes))
	for name, o := range nodes {
		if o == nil {
			continue
		}
		if host, port := kubeletEndpoint(o); host != "" && port != "" && port != "0" {
			targets = append(targets, resourcemetrics.Target{Node: name, Addr: net.JoinHostPort(host, port)})
		}
	}
	usage, err := s.usage.Collect(ctx, targets)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		// What could be measured is served; the rest is left out, as
		// metrics-server leaves out the nodes it could not scrape.
		s.log.Debug().Err(err).Msg("resource metrics: some node agents did not answer")
	}

	now := time.Now().UTC()
	var items []map[string]any
	for _, o := range objs {
		meta := map[string]any{"name": nestedString(o, "metadata", "name"), "creationTimestamp": now.Format(time.RFC3339)}
		if l := nested(o, "metadata", "labels"); l != nil {
			meta["labels"] = l
		}
		nu := usage[nodeName(o)]
		if nu == nil {
			continue
		}
		item := map[string]any{"kind": r.res.Kind, "apiVersion": r.res.GroupVersion(), "metadata": meta}
		if res == "nodes" {
			if !nu.HasNode {
				continue
			}
			item["timestamp"], item["window"] = nu.Timestamp.UTC().Format(time.RFC3339), api.Duration{Duration: nu.Window}
			item["usage"] = usageList(nu.Usage)
		} else {
			ns := nestedString(o, "metadata", "namespace")
			pu := nu.Pods[ns+"/"+meta["name"].(string)]
			if pu == nil || len(pu.Containers) == 0 {
				continue
			}
			meta["namespace"] = ns
			cs := make([]any, 0, len(pu.Containers))
			for _, c := range pu.Containers {
				cs = append(cs, map[string]any{"name": c.Name, "usage": usageList(c.Usage)})
			}
			item["timestamp"], item["window"] = pu.Timestamp.UTC().Format(time.RFC3339), api.Duration{Duration: pu.Window}
			item["containers"] = cs
		}
		items = append(items, item)
	}
	sort.Slice(items, func(i, j int) bool {
		a, b := items[i]["metadata"].(map[string]any), items[j]["metadata"].(map[string]any)
		if a["namespace"] != b["namespace"] {
			return fieldString(a["namespace"]) < fieldString(b["namespace"])
		}
		return a["name"].(string) < b["name"].(string)
	})

	if wantsTable(r.c) {
		// The columns read JSON values.
		b, err := json.Marshal(items)
		if err != nil {
			return err
		}
		items = nil
		if err := json.Unmarshal(b, &items); err != nil {
			return err
		}
	}
	return writeComputed(r, items, now)
}

// writeComputed answers a get or list of a kind worked out on each read
// (Measured, Probed) with items, the objects found (for a get, the one
// named or none): the object, a List or a Table, as the client asked;
// 404 for a get that found nothing.
func writeComputed(r *request, items []map[string]any, now time.Time) error {
	if r.ri.Name != "" && len(items) == 0 {
		return notFound(r.res, r.ri.Name)
	}
	switch {
	case wantsTable(r.c):
		return writeJSON(r.c, http.StatusOK, r.res.Table(items, r.query("includeObject"), "", now))
	case r.ri.Name != "":
		return writeJSON(r.c, http.StatusOK, items[0])
	}
	if items == nil {
		items = []map[string]any{}
	}
	return writeJSON(r.c, http.StatusOK, map[string]any{
		"kind": r.res.Kind + "List", "apiVersion": r.res.GroupVersion(), "metadata": map[string]any{}, "items": items,
	})
}

// usageList is a figure as a ResourceList: CPU in millicores, memory
// rounded down to KiB as metrics-server writes it.
func usageList(u resourcemetrics.Usage) api.ResourceList {
	return api.ResourceList{
		api.ResourceCPU:    api.NewMilliQuantity(u.CPUMilli, api.DecimalSI),
		api.ResourceMemory: api.NewQuantity(u.MemoryBytes/1024*1024, api.BinarySI),
	}
}
