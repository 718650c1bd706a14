package runtime

import (
	"slices"

	"github.com/minik8s/minik8s/api"
)

// ClusterDNS is the cluster's DNS service as the kubelet hands it to pods:
// the kubelet's clusterDNS and clusterDomain settings.
type ClusterDNS struct {
	// Nameserver is the address pods send queries to; "" when the node
	// has no cluster DNS (ClusterFirst then falls back to Default, as the
	// kubelet does).
	Nameserver string
	// Domain is the cluster domain, cluster.local.
	Domain string
}

// DNSSettings are a container's resolver settings. Inherit means "use the
// node's resolver configuration" (the runtime's default), with Searches
// and Options, when set, added to it.
type DNSSettings struct {
	Inherit     bool
	Nameservers []string
	Searches    []string
	Options     []string
}

// PodDNS returns the resolver settings of pod p under the Kubernetes
// kubelet's rules (pkg/kubelet/network/dns):
//
//   - ClusterFirst (the default): the cluster's nameserver, the searches
//     <ns>.svc.<domain>, svc.<domain>, <domain>, and ndots:5; a
//     hostNetwork pod gets Default instead unless its policy is
//     ClusterFirstWithHostNet;
//   - Default: the node's resolver configuration;
//   - None: only what dnsConfig says;
//
// and dnsConfig's nameservers, searches and options are then added (an
// option given again replaces the earlier one, as the kubelet merges them).
func PodDNS(p *api.Pod, cluster ClusterDNS) DNSSettings {
	policy := p.Spec.DNSPolicy
	if policy == "" {
		policy = api.DNSClusterFirst
	}
	if policy == api.DNSClusterFirst && p.Spec.HostNetwork {
		policy = api.DNSDefault
	}
	if (policy == api.DNSClusterFirst || policy == api.DNSClusterFirstWithHostNet) && cluster.Nameserver == "" {
		policy = api.DNSDefault
	}
	var s DNSSettings
	switch policy {
	case api.DNSClusterFirst, api.DNSClusterFirstWithHostNet:
		s.Nameservers = []string{cluster.Nameserver}
		s.Searches = []string{p.Namespace + ".svc." + cluster.Domain, "svc." + cluster.Domain, cluster.Domain}
		s.Options = []string{"ndots:5"}
	case api.DNSNone:
	default:
		s.Inherit = true
	}
	if c := p.Spec.DNSConfig; c != nil {
		s.Nameservers = appendNew(s.Nameservers, c.Nameservers...)
		s.Searches = appendNew(s.Searches, c.Searches...)
		for _, o := range c.Options {
			opt := o.Name
			if o.Value != nil {
				opt += ":" + *o.Value
			}
			s.Options = slices.DeleteFunc(s.Options, func(have string) bool { return optionName(have) == o.Name })
			s.Options = append(s.Options, opt)
		}
	}
	return s
}

func appendNew(have []string, add ...string) []string {
	for _, a := range add {
		if !slices.Contains(have, a) {
			have = append(have, a)
		}
	}
	return have
}

func optionName(opt string) string {
	for i := range len(opt) {
		if opt[i] == ':' {
			return opt[:i]
		}
	}
	return opt
}
