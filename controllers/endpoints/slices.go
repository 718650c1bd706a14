package endpoints

import (
	"context"
	"errors"
	"maps"
	"net/netip"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/client"
	"github.com/minik8s/minik8s/controllers/controllerutil"
	"github.com/minik8s/minik8s/informer"
)

// MaxEndpointsPerSlice is how many endpoints a slice holds at most
// (kube-controller-manager's --max-endpoints-per-slice default).
const MaxEndpointsPerSlice = 100

// ManagedBy is the managed-by label value of the slices this controller
// writes, Kubernetes' own.
const ManagedBy = "endpointslice-controller.k8s.io"

// SlicesDeps are what the EndpointSlice controller works with. The
// informers are shared and run by the caller; they need
// controllerutil.Indexers.
type SlicesDeps struct {
	Client         *client.Client
	Pods           *informer.Informer[*api.Pod]
	Services       *informer.Informer[*api.Service]
	EndpointSlices *informer.Informer[*api.EndpointSlice]
}

// slicesWriter is every call the EndpointSlice controller makes to the
// API server.
type slicesWriter interface {
	Create(ctx context.Context, es *api.EndpointSlice) (*api.EndpointSlice, error)
	Update(ctx context.Context, es *api.EndpointSlice) (*api.EndpointSlice, error)
	Delete(ctx context.Context, namespace, name, uid string) error
}

type clientSlices struct{ c *client.Client }

func (w clientSlices) Create(ctx context.Context, es *api.EndpointSlice) (*api.EndpointSlice, error) {
	return w.c.EndpointSlices(es.Namespace).Create(ctx, es)
}

func (w clientSlices) Update(ctx context.Context, es *api.EndpointSlice) (*api.EndpointSlice, error) {
	return w.c.EndpointSlices(es.Namespace).Update(ctx, es)
}

func (w clientSlices) Delete(ctx context.Context, namespace, name, uid string) error {
	err := w.c.EndpointSlices(namespace).Delete(ctx, name, api.DeleteOptions{Preconditions: &api.Preconditions{UID: &uid}})
	if client.IsNotFound(err) {
		return nil
	}
	return err
}

// SlicesController keeps the EndpointSlices of every Service with a
// selector; see the package doc.
type SlicesController struct {
	serviceQueue
	slices *informer.Informer[*api.EndpointSlice]
	w      slicesWriter
	// own are the slices written and not yet in the cache: a sync from a
	// cache without them would create or keep duplicates.
	own ownWrites
}

// NewSlices validates deps and returns the controller; it starts nothing.
func NewSlices(deps SlicesDeps, log zerolog.Logger) (*SlicesController, error) {
	if deps.Client == nil || deps.Pods == nil || deps.Services == nil || deps.EndpointSlices == nil {
		return nil, errors.New("endpointslice controller: client and pod, service and endpointslice informers are required")
	}
	c := &SlicesController{
		slices: deps.EndpointSlices,
		w:      clientSlices{deps.Client},
	}
	c.init("endpointslice", log, deps.Pods, deps.Services, c.slices.HasSynced, c.addHandlers, c.sync)
	return c, nil
}

// Run waits for the caches, then reconciles with workers until ctx ends;
// it returns nil once they have stopped. It may be called again after it
// returns, not concurrently.
func (c *SlicesController) Run(ctx context.Context, workers int) error {
	return c.loop.Run(ctx, workers)
}

// addHandlers registers the handlers of the controller's own informer.
func (c *SlicesController) addHandlers() {
	// Most of these events are the controller's own writes coming back,
	// which a sync already accounted for: batched, as pod changes are.
	enqueue := func(es *api.EndpointSlice) {
		if es.Labels[api.LabelManagedBy] == ManagedBy && es.Labels[api.LabelServiceName] != "" {
			c.loop.AddBatched(informer.Key{Namespace: es.Namespace, Name: es.Labels[api.LabelServiceName]})
		}
	}
	c.slices.AddHandler(informer.HandlerFuncs[*api.EndpointSlice]{
		// A slice this controller created arrives too: a sync deferred
		// until the cache showed it runs then.
		AddFunc: enqueue,
		UpdateFunc: func(old, cur *api.EndpointSlice) {
			if old.ResourceVersion != cur.ResourceVersion {
				enqueue(cur)
			}
		},
		DeleteFunc: func(es *api.EndpointSlice) {
			// Gone, whatever was written to it last.
			c.own.forget(informer.Key{Namespace: es.Namespace, Name: es.Labels[api.LabelServiceName]}, es.Name)
			enqueue(es)
		},
	})
}

// owned returns the cached slices this controller manages for the
// Service key.
func (c *SlicesController) owned(key informer.Key) []*api.EndpointSlice {
	var out []*api.EndpointSlice
	for _, es := range c.slices.ByIndex(controllerutil.IndexNamespace, key.Namespace) {
		if es.Labels[api.LabelServiceName] == key.Name && es.Labels[api.LabelManagedBy] == ManagedBy {
			out = append(out, es)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// sync reconciles the slices of the Service key.
func (c *SlicesController) sync(ctx context.Context, key informer.Key) (time.Duration, error) {
	existing := c.owned(key)
	svc, ok := c.svcs.Get(key)
	if !ok {
		var errs []error
		for _, es := range existing {
			errs = append(errs, c.w.Delete(ctx, es.Namespace, es.Name, es.UID))
		}
		c.own.forgetAll(key)
		return 0, errors.Join(errs...)
	}
	if svc.Spec.Selector == nil {
		return 0, nil // managed by hand
	}
	cached := make(map[string]int64, len(existing))
	for _, es := range existing {
		cached[es.Name] = client.ResourceVersion(es)
	}
	if c.own.stale(key, cached) {
		// The informer's events for the writes enqueue the Service again.
		c.log.Debug().Str("service", key.String()).Msg("endpointslice cache older than this controller's writes; sync deferred")
		return staleRetry, nil
	}
	creates, updates, deletes := reconcileSlices(svc, desiredEndpoints(svc, controllerutil.ServicePods(c.pods, svc)), existing)
	var errs []error
	for _, es := range deletes {
		err := c.w.Delete(ctx, es.Namespace, es.Name, es.UID)
		if err == nil {
			c.own.wrote(key, es.Name, deleted)
		}
		errs = append(errs, err)
	}
	for _, es := range updates {
		out, err := c.w.Update(ctx, es)
		if err == nil {
			c.own.wrote(key, out.Name, client.ResourceVersion(out))
		}
		errs = append(errs, err)
	}
	for _, es := range creates {
		out, err := c.w.Create(ctx, es)
		if err == nil {
			c.own.wrote(key, out.Name, client.ResourceVersion(out))
		}
		errs = append(errs, err)
	}
	return 0, errors.Join(errs...)
}

// family is a set of endpoints that share an address type and resolved
// ports: the endpoints one slice may hold.
type family struct {
	addressType string
	ports       []api.EndpointSlicePort
	endpoints   map[string]api.Endpoint // by address
}

// familyKey identifies a family.
func familyKey(addressType string, ports []api.EndpointSlicePort) string {
	parts := []string{addressType}
	for _, p := range ports {
		parts = append(parts, deref(p.Name)+"/"+string(derefProto(p.Protocol))+"/"+strconv.Itoa(int(derefPort(p.Port))))
	}
	return strings.Join(parts, ",")
}

// desiredEndpoints are the pods' endpoints, by family.
func desiredEndpoints(svc *api.Service, pods []*api.Pod) map[string]*family {
	out := map[string]*family{}
	for _, pod := range pods {
		st, ok := controllerutil.PodEndpoint(svc, pod)
		if !ok {
			continue
		}
		addr, err := netip.ParseAddr(pod.Status.PodIP)
		if err != nil {
			continue
		}
		addressType := "IPv4"
		if addr.Is6() {
			addressType = "IPv6"
		}
		ports := []api.EndpointSlicePort{}
		for i := range svc.Spec.Ports {
			sp := &svc.Spec.Ports[i]
			port, err := controllerutil.PodPort(pod, sp)
			if err != nil {
				continue
			}
			name, proto := sp.Name, sp.Protocol
			ports = append(ports, api.EndpointSlicePort{Name: &name, Protocol: &proto, Port: &port, AppProtocol: sp.AppProtocol})
		}
		if len(svc.Spec.Ports) > 0 && len(ports) == 0 {
			continue
		}
		k := familyKey(addressType, ports)
		f := out[k]
		if f == nil {
			f = &family{addressType: addressType, ports: ports, endpoints: map[string]api.Endpoint{}}
			out[k] = f
		}
		ready, serving, terminating := st.Ready, st.Serving, st.Terminating
		e := api.Endpoint{
			Addresses:  []string{addr.String()},
			Conditions: api.EndpointConditions{Ready: &ready, Serving: &serving, Terminating: &terminating},
			TargetRef:  podRef(pod),
		}
		if pod.Spec.NodeName != "" {
			n := pod.Spec.NodeName
			e.NodeName = &n
		}
		if pod.Spec.Hostname != "" && pod.Spec.Subdomain == svc.Name {
			h := pod.Spec.Hostname
			e.Hostname = &h
		}
		f.endpoints[addr.String()] = e
	}
	return out
}

// reconcileSlices computes the writes that turn existing into slices
// holding want: each endpoint stays in the slice it is in while its family
// lasts, new endpoints fill free room before new slices are made, slices
// left empty go, and a Service without endpoints keeps one empty
// placeholder slice.
func reconcileSlices(svc *api.Service, want map[string]*family, existing []*api.EndpointSlice) (creates, updates, deletes []*api.EndpointSlice) {
	placed := map[string]map[string]bool{} // family → addresses already in a kept slice
	var kept []*api.EndpointSlice
	for _, es := range existing {
		f := want[familyKey(es.AddressType, es.Ports)]
		if f == nil {
			deletes = append(deletes, es)
			continue
		}
		k := familyKey(f.addressType, f.ports)
		if placed[k] == nil {
			placed[k] = make(map[string]bool, len(f.endpoints))
		}
		eps := make([]api.Endpoint, 0, len(es.Endpoints))
		for _, e := range es.Endpoints {
			if len(e.Addresses) == 0 || placed[k][e.Addresses[0]] {
				continue
			}
			if w, ok := f.endpoints[e.Addresses[0]]; ok {
				eps = append(eps, w)
				placed[k][e.Addresses[0]] = true
			}
		}
		if len(eps) > MaxEndpointsPerSlice {
			for _, e := range eps[MaxEndpointsPerSlice:] {
				delete(placed[k], e.Addresses[0])
			}
			eps = eps[:MaxEndpointsPerSlice]
		}
		// A shallow copy: only its endpoints, a new list, are changed
		// (here or below), never what it shares with the cached slice.
		next := *es
		next.Endpoints = eps
		kept = append(kept, &next)
		if !slices.EqualFunc(es.Endpoints, next.Endpoints, endpointEqual) {
			updates = append(updates, &next)
		}
	}
	keys := make([]string, 0, len(want))
	for k := range want {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		f := want[k]
		var fresh []api.Endpoint
		for addr, e := range f.endpoints {
			if !placed[k][addr] {
				fresh = append(fresh, e)
			}
		}
		sort.Slice(fresh, func(i, j int) bool { return fresh[i].Addresses[0] < fresh[j].Addresses[0] })
		// Fill free room in the family's kept slices first.
		for _, es := range kept {
			if len(fresh) == 0 || familyKey(es.AddressType, es.Ports) != k {
				continue
			}
			room := MaxEndpointsPerSlice - len(es.Endpoints)
			if room <= 0 {
				continue
			}
			n := min(room, len(fresh))
			es.Endpoints = append(es.Endpoints, fresh[:n]...)
			fresh = fresh[n:]
			if !containsSlice(updates, es) {
				updates = append(updates, es)
			}
		}
		for len(fresh) > 0 {
			n := min(MaxEndpointsPerSlice, len(fresh))
			creates = append(creates, newSlice(svc, f.addressType, f.ports, fresh[:n]))
			fresh = fresh[n:]
		}
	}
	// Slices left empty go, but one placeholder stays for a Service with
	// no endpoints at all.
	var remaining []*api.EndpointSlice
	var emptied []*api.EndpointSlice
	for _, es := range kept {
		if len(es.Endpoints) == 0 {
			emptied = append(emptied, es)
		} else {
			remaining = append(remaining, es)
		}
	}
	updates = dropSlices(updates, emptied)
	deletes = append(deletes, emptied...)
	if len(remaining) == 0 && len(creates) == 0 {
		// The placeholder: an existing empty portless slice, or a new one.
		for i, es := range deletes {
			if len(es.Endpoints) == 0 && len(es.Ports) == 0 && es.AddressType == placeholderType(svc) {
				deletes = append(deletes[:i], deletes[i+1:]...)
				return nil, dropSlices(updates, []*api.EndpointSlice{es}), deletes
			}
		}
		return []*api.EndpointSlice{newSlice(svc, placeholderType(svc), nil, nil)}, updates, deletes
	}
	return creates, updates, deletes
}

// endpointEqual reports whether two endpoints are equal as encoded (an
// empty list or map and none are alike). reflect.DeepEqual did this at a
// cost: a sync compares every endpoint of the Service, and DeepEqual
// records each pointer it follows in a map (half of a slice sync's time
// at 10,000 pods).
func endpointEqual(a, b api.Endpoint) bool {
	return slices.Equal(a.Addresses, b.Addresses) &&
		ptrEqual(a.Conditions.Ready, b.Conditions.Ready) &&
		ptrEqual(a.Conditions.Serving, b.Conditions.Serving) &&
		ptrEqual(a.Conditions.Terminating, b.Conditions.Terminating) &&
		ptrEqual(a.Hostname, b.Hostname) &&
		ptrEqual(a.TargetRef, b.TargetRef) &&
		maps.Equal(a.DeprecatedTopology, b.DeprecatedTopology) &&
		ptrEqual(a.NodeName, b.NodeName) &&
		ptrEqual(a.Zone, b.Zone) &&
		(a.Hints == nil) == (b.Hints == nil) &&
		(a.Hints == nil || slices.Equal(a.Hints.ForZones, b.Hints.ForZones) && slices.Equal(a.Hints.ForNodes, b.Hints.ForNodes))
}

// ptrEqual reports whether a and b are both nil or point to equal values.
func ptrEqual[T comparable](a, b *T) bool {
	return a == b || a != nil && b != nil && *a == *b
}

// placeholderType is the address type of a Service's placeholder slice.
func placeholderType(svc *api.Service) string {
	if len(svc.Spec.IPFamilies) > 0 && svc.Spec.IPFamilies[0] == "IPv6" {
		return "IPv6"
	}
	return "IPv4"
}

func containsSlice(list []*api.EndpointSlice, es *api.EndpointSlice) bool {
	for _, e := range list {
		if e == es {
			return true
		}
	}
	return false
}

func dropSlices(list, drop []*api.EndpointSlice) []*api.EndpointSlice {
	var out []*api.EndpointSlice
	for _, e := range list {
		if !containsSlice(drop, e) {
			out = append(out, e)
		}
	}
	return out
}

// newSlice is a new slice of svc (named by the server from generateName).
func newSlice(svc *api.Service, addressType string, ports []api.EndpointSlicePort, eps []api.Endpoint) *api.EndpointSlice {
	labels := map[string]string{}
	for k, v := range svc.Labels {
		labels[k] = v
	}
	labels[api.LabelServiceName] = svc.Name
	labels[api.LabelManagedBy] = ManagedBy
	if svc.Spec.ClusterIP == api.ClusterIPNone {
		labels[LabelHeadless] = ""
	}
	yes := true
	if eps == nil {
		eps = []api.Endpoint{}
	}
	if ports == nil {
		ports = []api.EndpointSlicePort{}
	}
	return &api.EndpointSlice{
		TypeMeta: api.TypeMeta{APIVersion: "discovery.k8s.io/v1", Kind: "EndpointSlice"},
		ObjectMeta: api.ObjectMeta{
			Namespace: svc.Namespace, GenerateName: svc.Name + "-", Labels: labels,
			OwnerReferences: []api.OwnerReference{{APIVersion: "v1", Kind: "Service", Name: svc.Name, UID: svc.UID,
				Controller: &yes, BlockOwnerDeletion: &yes}},
		},
		AddressType: addressType,
		Ports:       ports,
		Endpoints:   append([]api.Endpoint(nil), eps...),
	}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func derefProto(p *api.Protocol) api.Protocol {
	if p == nil {
		return ""
	}
	return *p
}

func derefPort(p *int32) int32 {
	if p == nil {
		return 0
	}
	return *p
}
