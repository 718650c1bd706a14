package runtime

import (
	"reflect"
	"testing"

	"github.com/minik8s/minik8s/api"
)

func TestPodDNS(t *testing.T) {
	cluster := ClusterDNS{Nameserver: "169.254.53.9", Domain: "cluster.local"}
	two := "2"
	clusterFirst := DNSSettings{Nameservers: []string{"169.254.53.9"},
		Searches: []string{"ns.svc.cluster.local", "svc.cluster.local", "cluster.local"}, Options: []string{"ndots:5"}}
	for _, tc := range []struct {
		name    string
		policy  api.DNSPolicy
		host    bool
		config  *api.PodDNSConfig
		cluster ClusterDNS
		want    DNSSettings
	}{
		{name: "default is ClusterFirst", want: clusterFirst},
		{name: "ClusterFirst on the host network is Default", policy: api.DNSClusterFirst, host: true, want: DNSSettings{Inherit: true}},
		{name: "ClusterFirstWithHostNet", policy: api.DNSClusterFirstWithHostNet, host: true, want: clusterFirst},
		{name: "no cluster DNS: Default", cluster: ClusterDNS{Domain: "cluster.local"}, want: DNSSettings{Inherit: true}},
		{name: "Default with dnsConfig", policy: api.DNSDefault, config: &api.PodDNSConfig{Searches: []string{"corp.example"}},
			want: DNSSettings{Inherit: true, Searches: []string{"corp.example"}}},
		{name: "None takes dnsConfig only", policy: api.DNSNone,
			config: &api.PodDNSConfig{Nameservers: []string{"1.1.1.1"}, Options: []api.PodDNSConfigOption{{Name: "edns0"}}},
			want:   DNSSettings{Nameservers: []string{"1.1.1.1"}, Options: []string{"edns0"}}},
		{name: "ClusterFirst merges dnsConfig, an option given again replaces", config: &api.PodDNSConfig{
			Nameservers: []string{"169.254.53.9", "1.1.1.1"}, Searches: []string{"x.example"},
			Options: []api.PodDNSConfigOption{{Name: "ndots", Value: &two}}},
			want: DNSSettings{Nameservers: []string{"169.254.53.9", "1.1.1.1"},
				Searches: []string{"ns.svc.cluster.local", "svc.cluster.local", "cluster.local", "x.example"}, Options: []string{"ndots:2"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := &api.Pod{Spec: api.PodSpec{DNSPolicy: tc.policy, HostNetwork: tc.host, DNSConfig: tc.config}}
			p.Namespace = "ns"
			c := cluster
			if tc.cluster.Domain != "" {
				c = tc.cluster
			}
			if got := PodDNS(p, c); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}
