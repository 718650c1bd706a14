package validation

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/api/field"
)

// This file validates the networking.k8s.io/v1 kinds as Kubernetes'
// networking validation does.

var (
	pathTypes     = []string{api.PathTypeExact, api.PathTypeImplementationSpecific, api.PathTypePrefix}
	policyTypes   = []string{"Egress", "Ingress"}
	paramsScopes  = []string{"Cluster", "Namespace"}
	maxController = 250
)

// ValidateIngress checks an Ingress: a default backend or rules, each
// host a DNS name (maybe with a leading "*."), each path with a known
// type (absolute for Exact and Prefix) and one backend, each Service
// backend with a port name or number.
func ValidateIngress(newObj, _ *api.Ingress) field.ErrorList {
	errs := ValidateObjectMeta(&newObj.ObjectMeta, true, NameIsDNSSubdomain, field.NewPath("metadata"))
	spec := field.NewPath("spec")
	s := &newObj.Spec
	if s.DefaultBackend == nil && len(s.Rules) == 0 {
		errs = append(errs, field.Invalid(spec, s.Rules, "either `defaultBackend` or `rules` must be specified"))
	}
	if s.DefaultBackend != nil {
		errs = append(errs, validateIngressBackend(s.DefaultBackend, spec.Child("defaultBackend"))...)
	}
	if c := s.IngressClassName; c != nil {
		for _, msg := range IsDNS1123Subdomain(*c) {
			errs = append(errs, field.Invalid(spec.Child("ingressClassName"), *c, msg))
		}
	}
	for i, tls := range s.TLS {
		for j, h := range tls.Hosts {
			errs = append(errs, validateIngressHost(h, spec.Child("tls").Index(i).Child("hosts").Index(j))...)
		}
	}
	for i, rule := range s.Rules {
		rp := spec.Child("rules").Index(i)
		if rule.Host != "" {
			errs = append(errs, validateIngressHost(rule.Host, rp.Child("host"))...)
		}
		if rule.HTTP == nil {
			continue
		}
		pp := rp.Child("http", "paths")
		if len(rule.HTTP.Paths) == 0 {
			errs = append(errs, field.Required(pp, ""))
		}
		for j, path := range rule.HTTP.Paths {
			errs = append(errs, validateIngressPath(&path, pp.Index(j))...)
		}
	}
	return errs
}

func validateIngressHost(host string, p *field.Path) field.ErrorList {
	if _, err := netip.ParseAddr(host); err == nil {
		return field.ErrorList{field.Invalid(p, host, "must be a DNS name, not an IP address")}
	}
	name := host
	if strings.HasPrefix(host, "*.") {
		name = host[2:]
	} else if strings.Contains(host, "*") {
		return field.ErrorList{field.Invalid(p, host, "a wildcard DNS-1123 subdomain must start with '*.', followed by a valid DNS subdomain, which must consist of lower case alphanumeric characters, '-' or '.' and end with an alphanumeric character (e.g. '*.example.com', regex used for validation is '\\*\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')")}
	}
	var errs field.ErrorList
	for _, msg := range IsDNS1123Subdomain(name) {
		errs = append(errs, field.Invalid(p, host, msg))
	}
	return errs
}

func validateIngressPath(path *api.HTTPIngressPath, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	if path.PathType == nil {
		errs = append(errs, field.Required(p.Child("pathType"), "pathType must be specified"))
	} else {
		switch *path.PathType {
		case api.PathTypeExact, api.PathTypePrefix:
			if !strings.HasPrefix(path.Path, "/") {
				errs = append(errs, field.Invalid(p.Child("path"), path.Path, "must be an absolute path"))
			}
			for _, bad := range []string{"//", "/./", "/../", "%2f", "%2F"} {
				if strings.Contains(path.Path, bad) {
					errs = append(errs, field.Invalid(p.Child("path"), path.Path, fmt.Sprintf("must not contain '%s'", bad)))
				}
			}
		case api.PathTypeImplementationSpecific:
			if path.Path != "" && !strings.HasPrefix(path.Path, "/") {
				errs = append(errs, field.Invalid(p.Child("path"), path.Path, "must be an absolute path"))
			}
		default:
			errs = append(errs, field.NotSupported(p.Child("pathType"), *path.PathType, pathTypes))
		}
	}
	return append(errs, validateIngressBackend(&path.Backend, p.Child("backend"))...)
}

func validateIngressBackend(b *api.IngressBackend, p *field.Path) field.ErrorList {
	switch {
	case b.Service != nil && b.Resource != nil:
		return field.ErrorList{field.Invalid(p, "", "cannot set both resource and service backends")}
	case b.Resource != nil:
		var errs field.ErrorList
		if b.Resource.Kind == "" {
			errs = append(errs, field.Required(p.Child("resource", "kind"), ""))
		}
		if b.Resource.Name == "" {
			errs = append(errs, field.Required(p.Child("resource", "name"), ""))
		}
		return errs
	case b.Service == nil:
		return field.ErrorList{field.Invalid(p, "", "resource or service backend is required")}
	}
	var errs field.ErrorList
	sp := p.Child("service")
	if b.Service.Name == "" {
		errs = append(errs, field.Required(sp.Child("name"), ""))
	} else {
		for _, msg := range NameIsDNSLabel(b.Service.Name, false) {
			errs = append(errs, field.Invalid(sp.Child("name"), b.Service.Name, msg))
		}
	}
	port := b.Service.Port
	switch {
	case port.Name != "" && port.Number != 0:
		errs = append(errs, field.Invalid(sp.Child("port"), port, "cannot set both port name & port number"))
	case port.Name != "":
		for _, msg := range IsValidPortName(port.Name) {
			errs = append(errs, field.Invalid(sp.Child("port", "name"), port.Name, msg))
		}
	case port.Number != 0:
		for _, msg := range IsValidPortNum(int(port.Number)) {
			errs = append(errs, field.Invalid(sp.Child("port", "number"), port.Number, msg))
		}
	default:
		errs = append(errs, field.Required(sp.Child("port"), "port name or number is required"))
	}
	return errs
}

// ValidateIngressClass checks an IngressClass: a controller that is a
// domain-prefixed path of at most 250 characters (immutable), and
// parameters naming a kind and a name, with a namespace exactly when
// their scope is Namespace.
func ValidateIngressClass(newObj, oldObj *api.IngressClass) field.ErrorList {
	errs := ValidateObjectMeta(&newObj.ObjectMeta, false, NameIsDNSSubdomain, field.NewPath("metadata"))
	cp := field.NewPath("spec", "controller")
	c := newObj.Spec.Controller
	switch {
	case c == "":
		errs = append(errs, field.Required(cp, ""))
	case len(c) > maxController:
		errs = append(errs, field.TooLong(cp, maxController))
	default:
		domain, path, ok := strings.Cut(c, "/")
		if msgs := IsDNS1123Subdomain(domain); !ok || path == "" || len(msgs) > 0 {
			errs = append(errs, field.Invalid(cp, c, "must be a domain-prefixed path (such as \"acme.io/foo\")"))
		}
	}
	if pr := newObj.Spec.Parameters; pr != nil {
		pp := field.NewPath("spec", "parameters")
		if pr.Kind == "" {
			errs = append(errs, field.Required(pp.Child("kind"), ""))
		}
		if pr.Name == "" {
			errs = append(errs, field.Required(pp.Child("name"), ""))
		}
		scope := "Cluster"
		if pr.Scope != nil {
			scope = *pr.Scope
		}
		errs = append(errs, validateEnum(scope, paramsScopes, pp.Child("scope"))...)
		switch {
		case scope == "Namespace" && (pr.Namespace == nil || *pr.Namespace == ""):
			errs = append(errs, field.Required(pp.Child("namespace"), "`parameters.scope` is set to 'Namespace'"))
		case scope == "Cluster" && pr.Namespace != nil:
			errs = append(errs, field.Forbidden(pp.Child("namespace"), "`parameters.scope` is set to 'Cluster'"))
		}
	}
	if oldObj != nil {
		errs = append(errs, ValidateImmutableField(c, oldObj.Spec.Controller, cp)...)
	}
	return errs
}

// ValidateNetworkPolicy checks a NetworkPolicy: its selectors, ports
// (known protocol, a port number or name, endPort only after a numbered
// port and not below it), peers (exactly one kind each) and policy types.
func ValidateNetworkPolicy(newObj, _ *api.NetworkPolicy) field.ErrorList {
	errs := ValidateObjectMeta(&newObj.ObjectMeta, true, NameIsDNSSubdomain, field.NewPath("metadata"))
	spec := field.NewPath("spec")
	s := &newObj.Spec
	errs = append(errs, ValidateLabelSelector(&s.PodSelector, spec.Child("podSelector"))...)
	for i, rule := range s.Ingress {
		rp := spec.Child("ingress").Index(i)
		for j := range rule.Ports {
			errs = append(errs, validateNetworkPolicyPort(&rule.Ports[j], rp.Child("ports").Index(j))...)
		}
		for j := range rule.From {
			errs = append(errs, validateNetworkPolicyPeer(&rule.From[j], rp.Child("from").Index(j))...)
		}
	}
	for i, rule := range s.Egress {
		rp := spec.Child("egress").Index(i)
		for j := range rule.Ports {
			errs = append(errs, validateNetworkPolicyPort(&rule.Ports[j], rp.Child("ports").Index(j))...)
		}
		for j := range rule.To {
			errs = append(errs, validateNetworkPolicyPeer(&rule.To[j], rp.Child("to").Index(j))...)
		}
	}
	tp := spec.Child("policyTypes")
	for i, t := range s.PolicyTypes {
		errs = append(errs, validateEnum(t, policyTypes, tp.Index(i))...)
	}
	if len(s.PolicyTypes) > len(policyTypes) {
		errs = append(errs, field.Invalid(tp, s.PolicyTypes, "may not specify more than two policyTypes"))
	}
	return errs
}

func validateNetworkPolicyPort(port *api.NetworkPolicyPort, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	if port.Protocol != nil {
		errs = append(errs, validateEnum(string(*port.Protocol), protocols, p.Child("protocol"))...)
	}
	if port.Port == nil {
		if port.EndPort != nil {
			errs = append(errs, field.Required(p.Child("port"), "must be specified when endPort is specified"))
		}
		return errs
	}
	if port.Port.Type == api.IntOrStringInt {
		for _, msg := range IsValidPortNum(int(port.Port.IntVal)) {
			errs = append(errs, field.Invalid(p.Child("port"), port.Port.IntVal, msg))
		}
		if port.EndPort != nil {
			if *port.EndPort < port.Port.IntVal {
				errs = append(errs, field.Invalid(p.Child("endPort"), *port.EndPort, "must be greater than or equal to `port`"))
			}
			for _, msg := range IsValidPortNum(int(*port.EndPort)) {
				errs = append(errs, field.Invalid(p.Child("endPort"), *port.EndPort, msg))
			}
		}
		return errs
	}
	if port.EndPort != nil {
		errs = append(errs, field.Invalid(p.Child("endPort"), *port.EndPort, "may not be specified when `port` is non-numeric"))
	}
	for _, msg := range IsValidPortName(port.Port.StrVal) {
		errs = append(errs, field.Invalid(p.Child("port"), port.Port.StrVal, msg))
	}
	return errs
}

func validateNetworkPolicyPeer(peer *api.NetworkPolicyPeer, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	kinds := 0
	if peer.PodSelector != nil {
		kinds++
		errs = append(errs, ValidateLabelSelector(peer.PodSelector, p.Child("podSelector"))...)
	}
	if peer.NamespaceSelector != nil {
		kinds++
		errs = append(errs, ValidateLabelSelector(peer.NamespaceSelector, p.Child("namespaceSelector"))...)
	}
	if b := peer.IPBlock; b != nil {
		if kinds > 0 {
			kinds = 2 // an ipBlock goes with nothing else
		} else {
			kinds = 1
		}
		bp := p.Child("ipBlock")
		if b.CIDR == "" {
			errs = append(errs, field.Required(bp.Child("cidr"), ""))
		} else {
			errs = append(errs, validateCIDR(b.CIDR, bp.Child("cidr"))...)
		}
		outer, outerErr := netip.ParsePrefix(b.CIDR)
		for i, ex := range b.Except {
			ep := bp.Child("except").Index(i)
			inner, err := netip.ParsePrefix(ex)
			if err != nil {
				errs = append(errs, validateCIDR(ex, ep)...)
				continue
			}
			if outerErr == nil && (!outer.Contains(inner.Addr()) || inner.Bits() <= outer.Bits()) {
				errs = append(errs, field.Invalid(ep, ex, "must be a strict subset of `cidr`"))
			}
		}
	}
	switch {
	case kinds == 0:
		errs = append(errs, field.Required(p, "must specify a peer"))
	case kinds > 1 && peer.IPBlock != nil:
		errs = append(errs, field.Forbidden(p, "may not specify more than 1 peer type"))
	}
	return errs
}
