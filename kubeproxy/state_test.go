package kubeproxy

import (
	"net/netip"
	"reflect"
	"testing"

	"github.com/minik8s/minik8s/api"
)

func ptr[T any](v T) *T { return &v }

func svc(ns, name, typ, ip string, ports ...api.ServicePort) *api.Service {
	s := &api.Service{Spec: api.ServiceSpec{Type: api.ServiceType(typ), ClusterIP: ip, Ports: ports}}
	s.Namespace, s.Name = ns, name
	return s
}

func slice(ns, name, svcName string, ports []api.EndpointSlicePort, eps ...api.Endpoint) *api.EndpointSlice {
	s := &api.EndpointSlice{AddressType: "IPv4", Ports: ports, Endpoints: eps}
	s.Namespace, s.Name = ns, name
	s.Labels = map[string]string{api.LabelServiceName: svcName}
	return s
}

func ep(ip string, ready, serving, terminating *bool) api.Endpoint {
	return api.Endpoint{Addresses: []string{ip}, Conditions: api.EndpointConditions{Ready: ready, Serving: serving, Terminating: terminating}}
}

func ap(s string) netip.AddrPort { return netip.MustParseAddrPort(s) }

func TestBuildState(t *testing.T) {
	httpPort := []api.EndpointSlicePort{{Name: ptr("http"), Port: ptr(int32(8080))}}
	for _, tc := range []struct {
		name   string
		svcs   []*api.Service
		slices []*api.EndpointSlice
		want   []ServicePort
	}{
		{
			name: "ready endpoints of two slices, once each, sorted; not-ready left out",
			svcs: []*api.Service{svc("ns", "web", "NodePort", "10.96.0.5", api.ServicePort{Name: "http", Port: 80, NodePort: 30080})},
			slices: []*api.EndpointSlice{
				slice("ns", "web-a", "web", httpPort, ep("10.0.0.2", nil, nil, nil), ep("10.0.0.9", ptr(false), ptr(false), nil)),
				slice("ns", "web-b", "web", httpPort, ep("10.0.0.1", ptr(true), nil, nil), ep("10.0.0.2", ptr(true), nil, nil)),
			},
			want: []ServicePort{{Namespace: "ns", Service: "web", Port: "http", Protocol: api.ProtocolTCP,
				ClusterIP: netip.MustParseAddr("10.96.0.5"), ServicePort: 80, NodePort: 30080,
				Endpoints: []netip.AddrPort{ap("10.0.0.1:8080"), ap("10.0.0.2:8080")}}},
		},
		{
			name: "no ready endpoint: the serving terminating ones",
			svcs: []*api.Service{svc("ns", "web", "", "10.96.0.5", api.ServicePort{Name: "http", Port: 80, NodePort: 30080})},
			slices: []*api.EndpointSlice{slice("ns", "web-a", "web", httpPort,
				ep("10.0.0.3", ptr(false), ptr(true), ptr(true)), ep("10.0.0.4", ptr(false), ptr(false), ptr(true)))},
			want: []ServicePort{{Namespace: "ns", Service: "web", Port: "http", Protocol: api.ProtocolTCP,
				ClusterIP: netip.MustParseAddr("10.96.0.5"), ServicePort: 80, // a ClusterIP Service has no node port
				Endpoints: []netip.AddrPort{ap("10.0.0.3:8080")}}},
		},
		{
			name: "no endpoints at all, a port of another name, another namespace's slice",
			svcs: []*api.Service{svc("ns", "web", "ClusterIP", "10.96.0.5", api.ServicePort{Name: "http", Port: 80, Protocol: api.ProtocolUDP})},
			slices: []*api.EndpointSlice{
				slice("ns", "web-a", "web", []api.EndpointSlicePort{{Name: ptr("other"), Port: ptr(int32(1))}}, ep("10.0.0.2", nil, nil, nil)),
				slice("other", "web-a", "web", httpPort, ep("10.0.0.3", nil, nil, nil)),
			},
			want: []ServicePort{{Namespace: "ns", Service: "web", Port: "http", Protocol: api.ProtocolUDP,
				ClusterIP: netip.MustParseAddr("10.96.0.5"), ServicePort: 80, Endpoints: []netip.AddrPort{}}},
		},
		{
			name: "headless, ExternalName, unallocated and SCTP are not programmed",
			svcs: []*api.Service{
				svc("ns", "headless", "ClusterIP", "None", api.ServicePort{Port: 80}),
				svc("ns", "ext", "ExternalName", "", api.ServicePort{Port: 80}),
				svc("ns", "pending", "ClusterIP", "", api.ServicePort{Port: 80}),
				svc("ns", "sctp", "ClusterIP", "10.96.0.7", api.ServicePort{Port: 80, Protocol: api.ProtocolSCTP}),
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := BuildState(tc.svcs, tc.slices)
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got  %+v\nwant %+v", got, tc.want)
			}
		})
	}
}
