package registry

import (
	"time"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/api/defaults"
	"github.com/minik8s/minik8s/api/validation"
)

// networkPolicies: networking.k8s.io/v1 NetworkPolicy, stored and
// validated; nothing enforces it.
var networkPolicies = &Resource{
	Group: "networking.k8s.io", Version: "v1", Kind: "NetworkPolicy", Name: "networkpolicies", Singular: "networkpolicy",
	Namespaced: true, ShortNames: []string{"netpol"},
	Schema: GoType[api.NetworkPolicy](),
	Strategy: Strategy{
		Default:  defaults.NetworkPolicy,
		Validate: Typed(validation.ValidateNetworkPolicy),
	},
	Columns: []Column{
		{Name: "Pod-Selector", Type: "string", Description: "The pods the policy applies to.",
			Cell: func(o map[string]any, _ time.Time) any {
				return orNone(selectorString(mapAt(o, "spec", "podSelector")))
			}},
		ageColumn,
	},
	GroupTypes: []string{"IPBlock"},
	Docs: map[string]string{
		"NetworkPolicy":                 "NetworkPolicy describes what network traffic is allowed for a set of Pods",
		"NetworkPolicy.spec":            "spec represents the specification of the desired behavior for this NetworkPolicy.",
		"NetworkPolicySpec":             "NetworkPolicySpec provides the specification of a NetworkPolicy",
		"NetworkPolicySpec.podSelector": "podSelector selects the pods to which this NetworkPolicy object applies. An empty selector selects all pods in the namespace.",
		"NetworkPolicySpec.ingress":     "ingress is a list of ingress rules to be applied to the selected pods. Traffic is allowed to a pod if there are no NetworkPolicies selecting the pod, or if the traffic source is the pod's local node, or if it matches at least one ingress rule across all of the NetworkPolicy objects whose podSelector matches the pod.",
		"NetworkPolicySpec.egress":      "egress is a list of egress rules to be applied to the selected pods.",
		"NetworkPolicySpec.policyTypes": "policyTypes is a list of rule types that the NetworkPolicy relates to. Valid options are [\"Ingress\"], [\"Egress\"], or [\"Ingress\", \"Egress\"]. If not specified, it defaults to Ingress plus Egress when the policy has egress rules.",
	},
}

func init() { register(networkPolicies) }
