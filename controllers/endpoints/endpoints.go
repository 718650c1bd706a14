package endpoints

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"reflect"
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

// LabelHeadless marks the Endpoints and slices of a headless Service.
const LabelHeadless = "service.kubernetes.io/headless"

// EndpointsDeps are what the Endpoints controller works with. The
// informers are shared and run by the caller; they need
// controllerutil.Indexers.
type EndpointsDeps struct {
	Client    *client.Client
	Pods      *informer.Informer[*api.Pod]
	Services  *informer.Informer[*api.Service]
	Endpoints *informer.Informer[*api.Endpoints]
}

// endpointsWriter is every call the Endpoints controller makes to the API
// server; the client in production, a recording fake in tests.
type endpointsWriter interface {
	Create(ctx context.Context, ep *api.Endpoints) (*api.Endpoints, error)
	Update(ctx context.Context, ep *api.Endpoints) (*api.Endpoints, error)
	Delete(ctx context.Context, namespace, name string) error
}

type clientEndpoints struct{ c *client.Client }

func (w clientEndpoints) Create(ctx context.Context, ep *api.Endpoints) (*api.Endpoints, error) {
	return w.c.Endpoints(ep.Namespace).Create(ctx, ep)
}

func (w clientEndpoints) Update(ctx context.Context, ep *api.Endpoints) (*api.Endpoints, error) {
	return w.c.Endpoints(ep.Namespace).Update(ctx, ep)
}

func (w clientEndpoints) Delete(ctx context.Context, namespace, name string) error {
	return w.c.Endpoints(namespace).Delete(ctx, name, api.DeleteOptions{})
}

// EndpointsController keeps the core/v1 Endpoints of every Service with a
// selector; see the package doc.
type EndpointsController struct {
	serviceQueue
	eps *informer.Informer[*api.Endpoints]
	w   endpointsWriter
	// own are the writes not yet in the cache: a sync from a cache
	// without them would update an old version, and lose with a 409.
	own ownWrites
}

// NewEndpoints validates deps and returns the controller; it starts
// nothing.
func NewEndpoints(deps EndpointsDeps, log zerolog.Logger) (*EndpointsController, error) {
	if deps.Client == nil || deps.Pods == nil || deps.Services == nil || deps.Endpoints == nil {
		return nil, errors.New("endpoints controller: client and pod, service and endpoints informers are required")
	}
	c := &EndpointsController{
		eps: deps.Endpoints,
		w:   clientEndpoints{deps.Client},
	}
	c.init("endpoints", log, deps.Pods, deps.Services, c.eps.HasSynced, c.addHandlers, c.sync)
	return c, nil
}

// Run waits for the caches, then reconciles with workers until ctx ends;
// it returns nil once they have stopped. It may be called again after it
// returns, not concurrently.
func (c *EndpointsController) Run(ctx context.Context, workers int) error {
	return c.loop.Run(ctx, workers)
}

// addHandlers registers the handlers of the controller's own informer.
func (c *EndpointsController) addHandlers() {
	// An Endpoints object changed or deleted by someone else is put
	// back. Most updates are the controller's own writes coming back,
	// which a sync already accounted for: batched, as pod changes are.
	enqueue := func(ep *api.Endpoints) { c.loop.AddBatched(informer.KeyOf(ep)) }
	c.eps.AddHandler(informer.HandlerFuncs[*api.Endpoints]{
		UpdateFunc: func(old, cur *api.Endpoints) {
			if old.ResourceVersion != cur.ResourceVersion {
				enqueue(cur)
			}
		},
		DeleteFunc: c.deleted,
	})
}

// deleted handles the deletion of an Endpoints object: gone, whatever
// was written to it last (else the next syncs would wait for that write
// in the cache forever), and put back.
func (c *EndpointsController) deleted(ep *api.Endpoints) {
	key := informer.KeyOf(ep)
	c.own.forget(key, ep.Name)
	c.loop.AddBatched(key)
}

// sync reconciles the Endpoints of the Service key.
func (c *EndpointsController) sync(ctx context.Context, key informer.Key) (time.Duration, error) {
	svc, ok := c.svcs.Get(key)
	if !ok {
		c.own.forgetAll(key)
		if _, had := c.eps.Get(key); !had {
			return 0, nil
		}
		err := c.w.Delete(ctx, key.Namespace, key.Name)
		if client.IsNotFound(err) {
			err = nil
		}
		return 0, err
	}
	if svc.Spec.Selector == nil {
		return 0, nil // managed by hand
	}
	cur, exists := c.eps.Get(key)
	cached := map[string]int64{}
	if exists {
		cached[cur.Name] = client.ResourceVersion(cur)
	}
	if c.own.stale(key, cached) {
		// The informer's event for the write enqueues the Service again.
		return staleRetry, nil
	}
	subsets, truncated := truncateSubsets(desiredSubsets(svc, controllerutil.ServicePods(c.pods, svc)), api.MaxEndpointsAddresses, cur)
	want := &api.Endpoints{
		TypeMeta:   api.TypeMeta{APIVersion: "v1", Kind: "Endpoints"},
		ObjectMeta: api.ObjectMeta{Namespace: svc.Namespace, Name: svc.Name, Labels: endpointsLabels(svc)},
		Subsets:    subsets,
	}
	if !exists {
		want.Annotations = markOverCapacity(nil, truncated)
		out, err := c.w.Create(ctx, want)
		if client.IsAlreadyExists(err) {
			return 0, fmt.Errorf("endpoints %s exist but are not in the cache yet: %w", key, err)
		}
		if err == nil {
			c.own.wrote(key, out.Name, client.ResourceVersion(out))
		}
		return 0, err
	}
	annotations := markOverCapacity(cur.Annotations, truncated)
	if maps.Equal(cur.Annotations, annotations) && reflect.DeepEqual(cur.Subsets, want.Subsets) && maps.Equal(cur.Labels, want.Labels) {
		return 0, nil
	}
	next := api.DeepCopy(cur)
	next.Subsets, next.Labels, next.Annotations = want.Subsets, want.Labels, annotations
	out, err := c.w.Update(ctx, next)
	if err == nil {
		c.own.wrote(key, out.Name, client.ResourceVersion(out))
	}
	return 0, err
}

// markOverCapacity returns annotations with the over-capacity annotation
// set to "truncated" if truncated, else without it; annotations itself is
// left as it is.
func markOverCapacity(annotations map[string]string, truncated bool) map[string]string {
	out := maps.Clone(annotations)
	if !truncated {
		delete(out, api.EndpointsOverCapacityAnnotation)
		return out
	}
	if out == nil {
		out = map[string]string{}
	}
	out[api.EndpointsOverCapacityAnnotation] = "truncated"
	return out
}

// truncateSubsets keeps at most max addresses, as Kubernetes' Endpoints
// controller does: ready addresses first, so if there are more than max
// of them every not-ready one goes, else only not-ready ones are cut. The
// room is shared among the subsets in proportion to what each holds. It
// reports whether it cut.
//
// Within a subset, the addresses cur (nil if none) lists are kept first,
// then the others in order: Kubernetes keeps the first ones in address
// order, so that each new pod with a lower address rewrites the whole
// object while a large Deployment starts; here an Endpoints object at
// capacity stays as it is until one of its own addresses goes.
func truncateSubsets(subsets []api.EndpointSubset, max int, cur *api.Endpoints) ([]api.EndpointSubset, bool) {
	ready, notReady := 0, 0
	for _, ss := range subsets {
		ready += len(ss.Addresses)
		notReady += len(ss.NotReadyAddresses)
	}
	if ready+notReady <= max {
		return subsets, false
	}
	cutReady := ready > max
	room, total := max-ready, notReady
	if cutReady {
		room, total = max, ready
	}
	listed := map[string]bool{}
	if cur != nil {
		for _, ss := range cur.Subsets {
			for _, l := range [][]api.EndpointAddress{ss.Addresses, ss.NotReadyAddresses} {
				for _, a := range l {
					listed[addressKey(a)] = true
				}
			}
		}
	}
	left := room
	for i := range subsets {
		ss := &subsets[i]
		list := &ss.NotReadyAddresses
		if cutReady {
			list = &ss.Addresses
			ss.NotReadyAddresses = nil
		}
		// Rounded up, so the last subsets may get less than their share.
		keep := min((len(*list)*room+total-1)/total, left, len(*list))
		left -= keep
		*list = keepListed(*list, keep, listed)
	}
	return subsets, true
}

// keepListed returns n of the sorted addresses: those listed first, then
// the others in order; sorted, and nil for none (as an empty list reads
// back).
func keepListed(addrs []api.EndpointAddress, n int, listed map[string]bool) []api.EndpointAddress {
	if n == 0 {
		return nil
	}
	out := make([]api.EndpointAddress, 0, n)
	rest := make([]bool, len(addrs)) // not taken in the first pass
	for i, a := range addrs {
		if len(out) < n && len(listed) > 0 && listed[addressKey(a)] {
			out = append(out, a)
		} else {
			rest[i] = true
		}
	}
	for i, a := range addrs {
		if len(out) == n {
			break
		}
		if rest[i] {
			out = append(out, a)
		}
	}
	sortAddresses(out)
	return out
}

// addressKey identifies an address by its IP and pod.
func addressKey(a api.EndpointAddress) string {
	if a.TargetRef == nil {
		return a.IP
	}
	return a.IP + "/" + string(a.TargetRef.UID)
}

// endpointsLabels are the Service's labels, with the headless label for a
// headless Service.
func endpointsLabels(svc *api.Service) map[string]string {
	out := map[string]string{}
	for k, v := range svc.Labels {
		out[k] = v
	}
	if svc.Spec.ClusterIP == api.ClusterIPNone {
		out[LabelHeadless] = ""
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// desiredSubsets are the subsets of the pods' addresses: grouped by the
// ports they serve, sorted, ready ones in addresses and the others in
// notReadyAddresses.
func desiredSubsets(svc *api.Service, pods []*api.Pod) []api.EndpointSubset {
	type group struct {
		ports           []api.EndpointPort
		ready, notReady []api.EndpointAddress
	}
	groups := map[string]*group{}
	for _, pod := range pods {
		st, ok := controllerutil.PodEndpoint(svc, pod)
		if !ok || (st.Terminating && !svc.Spec.PublishNotReadyAddresses) {
			continue
		}
		addr := endpointAddress(svc, pod)
		var ports []api.EndpointPort
		for i := range svc.Spec.Ports {
			sp := &svc.Spec.Ports[i]
			port, err := controllerutil.PodPort(pod, sp)
			if err != nil {
				continue
			}
			ports = append(ports, api.EndpointPort{Name: sp.Name, Port: port, Protocol: sp.Protocol, AppProtocol: sp.AppProtocol})
		}
		if len(svc.Spec.Ports) > 0 && len(ports) == 0 {
			continue // serves none of the service's ports
		}
		k := portsKey(ports)
		g := groups[k]
		if g == nil {
			g = &group{ports: ports}
			groups[k] = g
		}
		if st.Ready {
			g.ready = append(g.ready, addr)
		} else {
			g.notReady = append(g.notReady, addr)
		}
	}
	keys := make([]string, 0, len(groups))
	for k := range groups {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var out []api.EndpointSubset
	for _, k := range keys {
		g := groups[k]
		sortAddresses(g.ready)
		sortAddresses(g.notReady)
		out = append(out, api.EndpointSubset{Addresses: g.ready, NotReadyAddresses: g.notReady, Ports: g.ports})
	}
	return out
}

// endpointAddress is the pod as an address of svc.
func endpointAddress(svc *api.Service, pod *api.Pod) api.EndpointAddress {
	a := api.EndpointAddress{IP: pod.Status.PodIP, TargetRef: podRef(pod)}
	if pod.Spec.NodeName != "" {
		n := pod.Spec.NodeName
		a.NodeName = &n
	}
	if pod.Spec.Hostname != "" && pod.Spec.Subdomain == svc.Name {
		a.Hostname = pod.Spec.Hostname
	}
	return a
}

func podRef(pod *api.Pod) *api.ObjectReference {
	return &api.ObjectReference{Kind: "Pod", Namespace: pod.Namespace, Name: pod.Name, UID: pod.UID}
}

func sortAddresses(a []api.EndpointAddress) {
	sort.Slice(a, func(i, j int) bool {
		if a[i].IP != a[j].IP {
			return a[i].IP < a[j].IP
		}
		return a[i].TargetRef.Name < a[j].TargetRef.Name
	})
}

// portsKey identifies a set of resolved ports.
func portsKey(ports []api.EndpointPort) string {
	parts := make([]string, len(ports))
	for i, p := range ports {
		parts[i] = p.Name + "/" + string(p.Protocol) + "/" + strconv.Itoa(int(p.Port))
	}
	return strings.Join(parts, ",")
}
