package apiserver

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"sort"
	"strconv"
	"time"

	"github.com/google/uuid"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/apiserver/registry"
	"github.com/minik8s/minik8s/store"
)

// The kubernetes Service's endpoints name the API servers, as
// kube-apiserver's endpoint reconciler keeps them: each API server adds
// its address when it starts and removes it when it stops cleanly. The
// Endpoints object groups the addresses by port (API servers on one host
// listen on different ports); there is one EndpointSlice per port,
// "kubernetes" for the Service's target port and "kubernetes-<port>" for
// any other. An API server that dies without stopping stays listed until
// it starts again or someone edits it out.

// apiServerEndpoint is the address clients reach this server at: the
// listen address, or the loopback address when it listens on all.
func apiServerEndpoint(addr net.Addr) (ip string, port int) {
	port = apiServerPort(addr)
	if a, ok := addr.(*net.TCPAddr); ok && a.IP != nil && !a.IP.IsUnspecified() {
		return a.IP.String(), port
	}
	return "127.0.0.1", port
}

// reconcileKubernetesEndpoints adds (or, with add false, removes) ip:port
// in the kubernetes Service's Endpoints and EndpointSlices.
func (s *Server) reconcileKubernetesEndpoints(ctx context.Context, ip string, port int, add bool) error {
	epRes, _ := registry.ByStoreName("endpoints")
	key := store.Key{Resource: epRes.StoreName(), Namespace: kubernetesService.Namespace, Name: kubernetesService.Name}
	err := s.upsert(ctx, epRes, key, func(cur object) object {
		var ep api.Endpoints
		if cur != nil {
			if b, err := json.Marshal(cur); err == nil {
				_ = json.Unmarshal(b, &ep)
			}
		}
		ep.Subsets = editSubsets(ep.Subsets, ip, int32(port), add)
		return toObject(ep, cur, key.Name, nil)
	})
	if err != nil {
		return err
	}
	sliceRes, _ := registry.ByStoreName("endpointslices.discovery.k8s.io")
	name := kubernetesService.Name
	if rec, err := s.deps.Store.Get(ctx, kubernetesService); err == nil {
		var svc api.Service
		if json.Unmarshal(rec.Value, &svc) == nil && len(svc.Spec.Ports) > 0 && svc.Spec.Ports[0].TargetPort.IntVal != int32(port) {
			name += "-" + strconv.Itoa(port)
		}
	}
	key = store.Key{Resource: sliceRes.StoreName(), Namespace: kubernetesService.Namespace, Name: name}
	return s.upsert(ctx, sliceRes, key, func(cur object) object {
		var es api.EndpointSlice
		if cur != nil {
			if b, err := json.Marshal(cur); err == nil {
				_ = json.Unmarshal(b, &es)
			}
		}
		es.AddressType = "IPv4"
		if net.ParseIP(ip).To4() == nil {
			es.AddressType = "IPv6"
		}
		var eps []api.Endpoint
		for _, e := range es.Endpoints {
			if len(e.Addresses) == 1 && e.Addresses[0] == ip {
				continue
			}
			eps = append(eps, e)
		}
		if add {
			yes := true
			eps = append(eps, api.Endpoint{Addresses: []string{ip}, Conditions: api.EndpointConditions{Ready: &yes}})
		}
		sort.Slice(eps, func(i, j int) bool { return eps[i].Addresses[0] < eps[j].Addresses[0] })
		es.Endpoints = eps
		if es.Endpoints == nil {
			es.Endpoints = []api.Endpoint{}
		}
		portName, proto, p := "https", api.ProtocolTCP, int32(port)
		es.Ports = []api.EndpointSlicePort{{Name: &portName, Protocol: &proto, Port: &p}}
		return toObject(es, cur, name, map[string]any{
			api.LabelServiceName: kubernetesService.Name,
			api.LabelManagedBy:   "endpointslice-controller.k8s.io",
		})
	})
}

// editSubsets adds or removes ip in the subset of port.
func editSubsets(subsets []api.EndpointSubset, ip string, port int32, add bool) []api.EndpointSubset {
	var out []api.EndpointSubset
	found := false
	for _, ss := range subsets {
		isPort := len(ss.Ports) == 1 && ss.Ports[0].Port == port
		var addrs []api.EndpointAddress
		for _, a := range ss.Addresses {
			if !(isPort && a.IP == ip) {
				addrs = append(addrs, a)
			}
		}
		if isPort && add {
			addrs = append(addrs, api.EndpointAddress{IP: ip})
			found = true
		}
		sort.Slice(addrs, func(i, j int) bool { return addrs[i].IP < addrs[j].IP })
		ss.Addresses = addrs
		if len(ss.Addresses) > 0 || len(ss.NotReadyAddresses) > 0 {
			out = append(out, ss)
		}
	}
	if add && !found {
		out = append(out, api.EndpointSubset{
			Addresses: []api.EndpointAddress{{IP: ip}},
			Ports:     []api.EndpointPort{{Name: "https", Port: port, Protocol: api.ProtocolTCP}},
		})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Ports[0].Port < out[j].Ports[0].Port })
	return out
}

// toObject turns a typed object into the pipeline's representation,
// keeping cur's metadata (or, when cur is nil, naming it in the kubernetes
// Service's namespace with labels).
func toObject(v any, cur object, name string, labels map[string]any) object {
	b, _ := json.Marshal(v)
	o, _ := decodeObject(b)
	if cur != nil {
		o["metadata"] = deepCopy(cur["metadata"])
	} else {
		meta := map[string]any{"name": name, "namespace": kubernetesService.Namespace}
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
		_, err := s.guaranteedUpdate(ctx, key, func(cur object, _ []byte) (object, []byte, error) {
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
