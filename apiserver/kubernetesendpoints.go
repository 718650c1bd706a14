package apiserver

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/apiserver/registry"
	"github.com/minik8s/minik8s/store"
)

// The kubernetes Service's endpoints name the live API servers, as
// kube-apiserver's lease endpoint reconciler keeps them. Each API server
// holds a Lease in kube-system (kube-apiserver-<ip>-<port>, labelled
// apiserver.kubernetes.io/identity=kube-apiserver, holder "ip:port"),
// renewed every apiServerLeaseRenew, and after each renewal rewrites the
// endpoints from the Leases that have not expired: the Endpoints object
// groups the addresses by port (API servers on one host listen on
// different ports), and there is one EndpointSlice per port, "kubernetes"
// for the Service's target port and "kubernetes-<port>" for any other. A
// server that stops cleanly deletes its Lease and leaves at once; one that
// dies leaves once its Lease has expired and another server renews.

// The API servers' Leases.
const (
	apiServerLeaseDuration = 15 * time.Second
	apiServerLeaseRenew    = 5 * time.Second
	apiServerLeaseLabel    = "apiserver.kubernetes.io/identity"
	leaseNamespace         = "kube-system"
)

// apiServerEndpoint is the address clients reach this server at: the
// listen address, or the loopback address when it listens on all.
func apiServerEndpoint(addr net.Addr) (ip string, port int) {
	port = apiServerPort(addr)
	if a, ok := addr.(*net.TCPAddr); ok && a.IP != nil && !a.IP.IsUnspecified() {
		return a.IP.String(), port
	}
	return "127.0.0.1", port
}

// apiServerLeaseKey is the store key of the Lease of the API server at
// ip:port.
func apiServerLeaseKey(ip string, port int) store.Key {
	res, _ := registry.ByKind("Lease")
	name := "kube-apiserver-" + strings.NewReplacer(":", "-", "%", "-").Replace(ip) + "-" + strconv.Itoa(port)
	return store.Key{Resource: res.StoreName(), Namespace: leaseNamespace, Name: name}
}

// renewAPIServerLease writes this server's Lease with a fresh renew time.
func (s *Server) renewAPIServerLease(ctx context.Context, ip string, port int) error {
	res, _ := registry.ByKind("Lease")
	key := apiServerLeaseKey(ip, port)
	holder := net.JoinHostPort(ip, strconv.Itoa(port))
	return s.upsert(ctx, res, key, func(cur object) object {
		now := api.NowMicro()
		dur := int32(apiServerLeaseDuration / time.Second)
		l := api.Lease{Spec: api.LeaseSpec{HolderIdentity: &holder, LeaseDurationSeconds: &dur, RenewTime: &now, AcquireTime: &now}}
		if cur != nil {
			if prev, err := registry.As[api.Lease](cur); err == nil && prev.Spec.AcquireTime != nil {
				l.Spec.AcquireTime = prev.Spec.AcquireTime
			}
		}
		return toObject(l, cur, key, map[string]any{apiServerLeaseLabel: "kube-apiserver"})
	})
}

// liveAPIServers are the ip:port of the API servers whose Leases have not
// expired at now, by port.
func (s *Server) liveAPIServers(ctx context.Context, now time.Time) (map[int32][]string, error) {
	res, _ := registry.ByKind("Lease")
	recs, _, err := s.deps.Store.List(ctx, store.Prefix{Resource: res.StoreName(), Namespace: leaseNamespace}, store.ListOptions{})
	if err != nil {
		return nil, err
	}
	live := map[int32][]string{}
	for _, rec := range recs {
		var l api.Lease
		if err := json.Unmarshal(rec.Value, &l); err != nil || l.Labels[apiServerLeaseLabel] != "kube-apiserver" {
			continue
		}
		sp := l.Spec
		if sp.HolderIdentity == nil || sp.RenewTime == nil || sp.LeaseDurationSeconds == nil ||
			now.After(sp.RenewTime.Add(time.Duration(*sp.LeaseDurationSeconds)*time.Second)) {
			continue
		}
		host, p, err := net.SplitHostPort(*sp.HolderIdentity)
		port, perr := strconv.Atoi(p)
		if err != nil || perr != nil || net.ParseIP(host) == nil {
			continue
		}
		live[int32(port)] = append(live[int32(port)], host)
	}
	for _, ips := range live {
		sort.Strings(ips)
	}
	return live, nil
}

// runAPIServerLease renews this server's Lease and rewrites the kubernetes
// endpoints every apiServerLeaseRenew until ctx ends; then it deletes the
// Lease and rewrites them once more without this server.
func (s *Server) runAPIServerLease(ctx context.Context, ip string, port int) {
	t := time.NewTicker(apiServerLeaseRenew)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.cfg.ShutdownTimeout)
			defer cancel()
			if _, err := s.deps.Store.Delete(sctx, apiServerLeaseKey(ip, port), 0); err != nil && !errors.Is(err, store.ErrNotFound) {
				s.log.Warn().Err(err).Msg("could not delete this API server's lease")
			}
			if err := s.syncKubernetesEndpoints(sctx); err != nil {
				s.log.Warn().Err(err).Msg("could not remove this API server from the kubernetes endpoints")
			}
			return
		case <-t.C:
		}
		err := s.renewAPIServerLease(ctx, ip, port)
		if err == nil {
			err = s.syncKubernetesEndpoints(ctx)
		}
		if err != nil && ctx.Err() == nil {
			s.log.Warn().Err(err).Msg("could not renew this API server's lease and endpoints")
		}
	}
}

// syncKubernetesEndpoints rewrites the kubernetes Service's Endpoints and
// EndpointSlices from the live API servers' Leases.
func (s *Server) syncKubernetesEndpoints(ctx context.Context) error {
	live, err := s.liveAPIServers(ctx, time.Now())
	if err != nil {
		return err
	}
	ports := make([]int32, 0, len(live))
	for p := range live {
		ports = append(ports, p)
	}
	sort.Slice(ports, func(i, j int) bool { return ports[i] < ports[j] })

	epRes, _ := registry.ByStoreName("endpoints")
	key := store.Key{Resource: epRes.StoreName(), Namespace: kubernetesService.Namespace, Name: kubernetesService.Name}
	var subsets []api.EndpointSubset
	for _, p := range ports {
		ss := api.EndpointSubset{Ports: []api.EndpointPort{{Name: "https", Port: p, Protocol: api.ProtocolTCP}}}
		for _, ip := range live[p] {
			ss.Addresses = append(ss.Addresses, api.EndpointAddress{IP: ip})
		}
		subsets = append(subsets, ss)
	}
	err = s.upsert(ctx, epRes, key, func(cur object) object {
		return toObject(api.Endpoints{Subsets: subsets}, cur, key, nil)
	})
	if err != nil {
		return err
	}

	sliceRes, _ := registry.ByStoreName("endpointslices.discovery.k8s.io")
	target := int32(0)
	if rec, err := s.deps.Store.Get(ctx, kubernetesService); err == nil {
		if svc, err := registry.As[api.Service](json.RawMessage(rec.Value)); err == nil && len(svc.Spec.Ports) > 0 {
			target = svc.Spec.Ports[0].TargetPort.IntVal
		}
	}
	sliceName := func(p int32) string {
		if p == target {
			return kubernetesService.Name
		}
		return kubernetesService.Name + "-" + strconv.Itoa(int(p))
	}
	want := map[string]int32{kubernetesService.Name: target}
	for _, p := range ports {
		want[sliceName(p)] = p
	}
	for name, p := range want {
		k := store.Key{Resource: sliceRes.StoreName(), Namespace: kubernetesService.Namespace, Name: name}
		err := s.upsert(ctx, sliceRes, k, func(cur object) object {
			es := api.EndpointSlice{AddressType: "IPv4", Endpoints: []api.Endpoint{}, Ports: []api.EndpointSlicePort{}}
			for _, ip := range live[p] {
				if net.ParseIP(ip).To4() == nil {
					es.AddressType = "IPv6"
				}
				yes := true
				es.Endpoints = append(es.Endpoints, api.Endpoint{Addresses: []string{ip}, Conditions: api.EndpointConditions{Ready: &yes}})
			}
			if p != 0 {
				portName, proto, port := "https", api.ProtocolTCP, p
				es.Ports = []api.EndpointSlicePort{{Name: &portName, Protocol: &proto, Port: &port}}
			}
			return toObject(es, cur, k, map[string]any{
				api.LabelServiceName: kubernetesService.Name,
				api.LabelManagedBy:   "endpointslice-controller.k8s.io",
			})
		})
		if err != nil {
			return err
		}
	}
	// Slices of ports no live server listens on go.
	recs, _, err := s.deps.Store.List(ctx, store.Prefix{Resource: sliceRes.StoreName(), Namespace: kubernetesService.Namespace}, store.ListOptions{})
	if err != nil {
		return err
	}
	for _, rec := range recs {
		if _, keep := want[rec.Name]; keep || !strings.HasPrefix(rec.Name, kubernetesService.Name+"-") {
			continue
		}
		var es api.EndpointSlice
		if json.Unmarshal(rec.Value, &es) == nil && es.Labels[api.LabelServiceName] == kubernetesService.Name &&
			es.Labels[api.LabelManagedBy] == "endpointslice-controller.k8s.io" {
			if _, err := s.deps.Store.Delete(ctx, rec.Key, rec.ResourceVersion); err != nil &&
				!errors.Is(err, store.ErrNotFound) && !errors.Is(err, store.ErrConflict) {
				return err
			}
		}
	}
	return nil
}

// toObject turns a typed object into the pipeline's representation,
// keeping cur's metadata (or, when cur is nil, naming it key, with
// labels).
func toObject(v any, cur object, key store.Key, labels map[string]any) object {
	b, _ := json.Marshal(v)
	o, _ := decodeObject(b)
	if cur != nil {
		o["metadata"] = registry.DeepCopy(cur["metadata"])
	} else {
		meta := map[string]any{"name": key.Name, "namespace": key.Namespace}
		if labels != nil {
			meta["labels"] = labels
		}
		o["metadata"] = meta
	}
	return o
}

// upsert writes the object build returns from the current one (nil when
// there is none), creating it if missing, retrying lost races.
func (s *Server) upsert(ctx context.Context, res *registry.Resource, key store.Key, build func(cur object) object) error {
	for range maxUpdateRetries {
		_, err := s.guaranteedUpdate(ctx, res, key, func(cur object, _ []byte) (object, []byte, error) {
			next := build(cur)
			next["apiVersion"], next["kind"] = res.GroupVersion(), res.Kind
			return next, nil, nil
		})
		if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		o := build(nil)
		o["apiVersion"], o["kind"] = res.GroupVersion(), res.Kind
		uid := uuid.NewString()
		initMeta(o, time.Now(), uid)
		value, err := encodeStored(o)
		if err != nil {
			return err
		}
		_, err = s.deps.Store.Create(ctx, &store.Record{Key: key, UID: uid, Value: value})
		if !errors.Is(err, store.ErrAlreadyExists) {
			return err
		}
	}
	return errors.New("the object keeps changing")
}
