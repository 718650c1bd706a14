package kubeproxy

import (
	"cmp"
	"net/netip"
	"slices"
	"strconv"

	"github.com/minik8s/minik8s/api"
)

// ServicePort is one port of one Service as a data plane programs it: the
// addresses it is reached on and the endpoints traffic goes to.
type ServicePort struct {
	// Namespace, Service and Port name it (Port is the service port's
	// name, "" for an unnamed one).
	Namespace, Service, Port string
	// Protocol is TCP or UDP (SCTP ports are not programmed).
	Protocol api.Protocol
	// ClusterIP and ServicePort are the virtual address; ClusterIP is
	// invalid for a Service without one (headless Services are not
	// programmed at all).
	ClusterIP   netip.Addr
	ServicePort uint16
	// NodePort is opened on every local address; 0: none.
	NodePort uint16
	// Endpoints are where the traffic goes, sorted; none: connections are
	// refused.
	Endpoints []netip.AddrPort
}

// Key names the port for logs and chain names: namespace/service:port.
func (sp *ServicePort) Key() string {
	k := sp.Namespace + "/" + sp.Service
	if sp.Port != "" {
		k += ":" + sp.Port
	}
	return k + "/" + string(sp.Protocol)
}

// BuildState computes the ports to program from the Services and
// EndpointSlices of the cluster, as kube-proxy does:
//
//   - Services of type ClusterIP, NodePort and LoadBalancer with an IPv4
//     cluster IP; headless and ExternalName Services carry no virtual
//     address (DNS answers for them);
//   - a port's endpoints are the ready ones of the IPv4 EndpointSlices
//     labelled with the Service's name, on the slice port of the same name;
//     with no ready endpoint, the serving and terminating ones (kube-proxy's
//     fallback, so that a rollout's last pods still answer);
//   - an address in two slices counts once.
//
// The result is sorted by Key, so equal inputs give equal states.
func BuildState(svcs []*api.Service, eslices []*api.EndpointSlice) []ServicePort {
	type svcKey struct{ ns, name string }
	bySvc := map[svcKey][]*api.EndpointSlice{}
	for _, s := range eslices {
		name := s.Labels[api.LabelServiceName]
		if name == "" || s.AddressType != "IPv4" {
			continue
		}
		k := svcKey{s.Namespace, name}
		bySvc[k] = append(bySvc[k], s)
	}
	var out []ServicePort
	for _, svc := range svcs {
		switch svc.Spec.Type {
		case "", api.ServiceTypeClusterIP, api.ServiceTypeNodePort, api.ServiceTypeLoadBalancer:
		default:
			continue
		}
		vip, err := netip.ParseAddr(svc.Spec.ClusterIP)
		if err != nil || !vip.Is4() {
			continue // headless, unallocated yet, or IPv6
		}
		for _, p := range svc.Spec.Ports {
			proto := p.Protocol
			if proto == "" {
				proto = api.ProtocolTCP
			}
			if proto != api.ProtocolTCP && proto != api.ProtocolUDP {
				continue
			}
			sp := ServicePort{Namespace: svc.Namespace, Service: svc.Name, Port: p.Name, Protocol: proto,
				ClusterIP: vip, ServicePort: uint16(p.Port)}
			if svc.Spec.Type == api.ServiceTypeNodePort || svc.Spec.Type == api.ServiceTypeLoadBalancer {
				sp.NodePort = uint16(p.NodePort)
			}
			sp.Endpoints = endpointsOf(bySvc[svcKey{svc.Namespace, svc.Name}], p.Name, proto)
			out = append(out, sp)
		}
	}
	slices.SortFunc(out, func(a, b ServicePort) int { return cmp.Compare(a.Key(), b.Key()) })
	return out
}

// endpointsOf returns the ready endpoints of the slices for the port named
// port, or the serving terminating ones if none is ready.
func endpointsOf(ss []*api.EndpointSlice, port string, proto api.Protocol) []netip.AddrPort {
	ready, serving := map[netip.AddrPort]bool{}, map[netip.AddrPort]bool{}
	for _, s := range ss {
		var num int32
		for _, sp := range s.Ports {
			name := ""
			if sp.Name != nil {
				name = *sp.Name
			}
			pr := api.ProtocolTCP
			if sp.Protocol != nil {
				pr = *sp.Protocol
			}
			if name == port && pr == proto && sp.Port != nil {
				num = *sp.Port
			}
		}
		if num <= 0 || num > 65535 {
			continue
		}
		for _, e := range s.Endpoints {
			if len(e.Addresses) == 0 {
				continue
			}
			ip, err := netip.ParseAddr(e.Addresses[0])
			if err != nil || !ip.Is4() {
				continue
			}
			ap := netip.AddrPortFrom(ip, uint16(num))
			c := e.Conditions
			switch {
			case c.Ready == nil || *c.Ready: // nil means ready (discovery/v1)
				ready[ap] = true
			case c.Serving != nil && *c.Serving && c.Terminating != nil && *c.Terminating:
				serving[ap] = true
			}
		}
	}
	pick := ready
	if len(ready) == 0 {
		pick = serving
	}
	out := make([]netip.AddrPort, 0, len(pick))
	for ap := range pick {
		out = append(out, ap)
	}
	slices.SortFunc(out, func(a, b netip.AddrPort) int { return a.Compare(b) })
	return out
}

// String is the port's key with its endpoints, for logs.
func (sp *ServicePort) String() string {
	return sp.Key() + " → " + strconv.Itoa(len(sp.Endpoints)) + " endpoints"
}
