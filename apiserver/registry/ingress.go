package registry

import (
	"fmt"
	"strings"
	"time"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/api/validation"
)

// ingresses: networking.k8s.io/v1 Ingress, stored and validated; no
// ingress controller acts on it. Its status is an ingress controller's.
var ingresses = &Resource{
	Group: "networking.k8s.io", Version: "v1", Kind: "Ingress", Name: "ingresses", Singular: "ingress",
	Namespaced: true, ShortNames: []string{"ing"},
	Subresources: []string{"status"},
	Schema:       GoType[api.Ingress](),
	Strategy: Strategy{
		PrepareForCreate: ResetStatus,
		PrepareForUpdate: KeepStatus,
		Validate:         Typed(validation.ValidateIngress),
	},
	Columns: []Column{
		{Name: "Class", Type: "string", Description: "The name of the IngressClass that serves the Ingress.",
			Cell: func(o map[string]any, _ time.Time) any {
				if c := str(o, "spec", "ingressClassName"); c != "" {
					return c
				}
				if c := str(o, "metadata", "annotations", "kubernetes.io/ingress.class"); c != "" {
					return c
				}
				return "<none>"
			}},
		{Name: "Hosts", Type: "string", Description: "Hosts that incoming requests are matched against.",
			Cell: func(o map[string]any, _ time.Time) any { return ingressHosts(o) }},
		{Name: "Address", Type: "string", Description: "Address is a list containing ingress points for the load-balancer.",
			Cell: func(o map[string]any, _ time.Time) any { return ingressAddress(o) }},
		{Name: "Ports", Type: "string", Description: "Ports of TLS configurations that open.",
			Cell: func(o map[string]any, _ time.Time) any {
				if len(list(o, "spec", "tls")) > 0 {
					return "80, 443"
				}
				return "80"
			}},
		ageColumn,
	},
	GroupTypes: []string{"IngressRule", "IngressRuleValue", "HTTPIngressRuleValue", "HTTPIngressPath",
		"IngressBackend", "IngressServiceBackend", "ServiceBackendPort", "IngressTLS", "IngressLoadBalancerStatus",
		"IngressLoadBalancerIngress", "IngressPortStatus", "TypedLocalObjectReference"},
	Docs: map[string]string{
		"Ingress":                      "Ingress is a collection of rules that allow inbound connections to reach the endpoints defined by a backend. An Ingress can be configured to give services externally-reachable urls, load balance traffic, terminate SSL, offer name based virtual hosting etc.",
		"Ingress.spec":                 "spec is the desired state of the Ingress.",
		"Ingress.status":               "status is the current state of the Ingress.",
		"IngressSpec":                  "IngressSpec describes the Ingress the user wishes to exist.",
		"IngressSpec.ingressClassName": "ingressClassName is the name of an IngressClass cluster resource. Ingress controller implementations use this field to know whether they should be serving this Ingress resource.",
		"IngressSpec.defaultBackend":   "defaultBackend is the backend that should handle requests that don't match any rule. If Rules are not specified, DefaultBackend must be specified.",
		"IngressSpec.tls":              "tls represents the TLS configuration.",
		"IngressSpec.rules":            "rules is a list of host rules used to configure the Ingress. If unspecified, or no rule matches, all traffic is sent to the default backend.",
		"IngressRule":                  "IngressRule represents the rules mapping the paths under a specified host to the related backend services.",
		"IngressRule.host":             "host is the fully qualified domain name of a network host, as defined by RFC 3986. A wildcard (\"*.foo.com\") matches exactly one DNS label.",
		"HTTPIngressPath":              "HTTPIngressPath associates a path with a backend. Incoming urls matching the path are forwarded to the backend.",
		"HTTPIngressPath.path":         "path is matched against the path of an incoming request. It must begin with a '/' for the Exact and Prefix path types.",
		"HTTPIngressPath.pathType":     "pathType determines the interpretation of the path matching: Exact, Prefix or ImplementationSpecific.",
		"HTTPIngressPath.backend":      "backend defines the referenced service endpoint to which the traffic will be forwarded to.",
	},
}

func init() { register(ingresses) }

// ingressHosts lists the rules' hosts ("*" for a rule without one), at
// most three then "+ N more...", as kubectl's printer does.
func ingressHosts(o map[string]any) string {
	var hosts []string
	for _, r := range list(o, "spec", "rules") {
		r, _ := r.(map[string]any)
		h := str(r, "host")
		if h == "" {
			h = "*"
		}
		hosts = append(hosts, h)
	}
	if len(hosts) == 0 {
		return "*"
	}
	const most = 3
	if len(hosts) > most {
		return fmt.Sprintf("%s + %d more...", strings.Join(hosts[:most], ","), len(hosts)-most)
	}
	return strings.Join(hosts, ",")
}

// ingressAddress joins the load balancer's IPs and host names.
func ingressAddress(o map[string]any) string {
	var out []string
	for _, i := range list(o, "status", "loadBalancer", "ingress") {
		i, _ := i.(map[string]any)
		if ip := str(i, "ip"); ip != "" {
			out = append(out, ip)
		} else if h := str(i, "hostname"); h != "" {
			out = append(out, h)
		}
	}
	return strings.Join(out, ",")
}
