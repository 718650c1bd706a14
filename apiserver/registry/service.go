package registry

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/api/field"
	"github.com/minik8s/minik8s/api/validation"
)

// services: core/v1 Service. Defaults and validation are Kubernetes'
// (SetDefaults_Service, ValidateService, ValidateServiceUpdate, the
// service strategy's field dropping); spec.clusterIP is immutable while
// the type needs one. The cluster IPs and node ports themselves are
// allocated by the API server (apiserver/servicealloc), which also fills
// ipFamilies and ipFamilyPolicy from the service range's family, as
// Kubernetes' allocator does. A LoadBalancer stays pending: nothing
// provisions load balancers, so status.loadBalancer has no ingress.
var services = &Resource{
	Version: "v1", Kind: "Service", Name: "services", Singular: "service", Namespaced: true,
	ShortNames: []string{"svc"}, Categories: []string{"all"}, Subresources: []string{"status", "proxy"},
	Schema: GoType[api.Service](),
	Strategy: Strategy{
		Default: defaultService,
		PrepareForCreate: func(o Object) {
			o["status"] = map[string]any{"loadBalancer": map[string]any{}}
		},
		PrepareForUpdate: func(next, cur Object) {
			KeepStatus(next, cur)
			keepAllocated(next, cur)
			dropTypeDependentFields(next, cur)
		},
		Validate: Typed(validateService),
	},
	Fields: map[string][]string{
		"spec.clusterIP": {"spec", "clusterIP"},
		"spec.type":      {"spec", "type"},
	},
	Columns: []Column{
		{Name: "Type", Type: "string", Description: "The type of the service: ClusterIP, NodePort, LoadBalancer or ExternalName.",
			Cell: func(o map[string]any, _ time.Time) any { return str(o, "spec", "type") }},
		{Name: "Cluster-IP", Type: "string", Description: "The service's virtual IP.",
			Cell: func(o map[string]any, _ time.Time) any { return orNone(str(o, "spec", "clusterIP")) }},
		{Name: "External-IP", Type: "string", Description: "The addresses the service is reachable at from outside the cluster.",
			Cell: func(o map[string]any, _ time.Time) any { return serviceExternalIP(o) }},
		{Name: "Port(s)", Type: "string", Description: "The service's ports, with their node ports.",
			Cell: func(o map[string]any, _ time.Time) any { return servicePorts(o) }},
		ageColumn,
		{Name: "Selector", Type: "string", Priority: 1, Description: "The labels of the pods behind the service.",
			Cell: func(o map[string]any, _ time.Time) any { return orNone(labelsString(mapAt(o, "spec", "selector"))) }},
	},
	GroupTypes: []string{"SessionAffinityConfig", "ClientIPConfig", "LoadBalancerStatus", "LoadBalancerIngress", "PortStatus"},
	Docs: map[string]string{
		"Service":                     "Service is a named abstraction of software service (for example, mysql) consisting of local port (for example 3306) that the proxy listens on, and the selector that determines which pods will answer requests sent through the proxy.",
		"ServiceSpec.type":            "type determines how the Service is exposed: ClusterIP (the default) allocates a cluster-internal IP; NodePort also allocates a port on every node; LoadBalancer also asks for an external load balancer (none exists in minik8s, so it stays pending); ExternalName aliases a DNS name and has no IP.",
		"ServiceSpec.clusterIP":       "clusterIP is the IP address of the service, allocated from the service range unless given (a taken or out-of-range address is an error). \"None\" makes a headless service. It cannot be changed while the type needs one.",
		"ServiceSpec.ports":           "The list of ports that are exposed by this service. With more than one, each must have a name.",
		"ServiceSpec.selector":        "Route service traffic to pods with label keys and values matching this selector. Without one, the service's endpoints are managed by hand.",
		"ServicePort.targetPort":      "Number or name of the port to access on the pods targeted by the service; defaults to port.",
		"ServicePort.nodePort":        "The port on each node on which this service is exposed when type is NodePort or LoadBalancer, allocated from the node port range (30000-32767 by default) unless given.",
		"ServiceSpec.sessionAffinity": "Supports \"ClientIP\" and \"None\" (the default).",
	},
}

func init() { register(services) }

// The service types, as Kubernetes lists them in its messages.
var serviceTypes = []string{"ClusterIP", "ExternalName", "LoadBalancer", "NodePort"}

// defaultService applies Kubernetes' defaults: type ClusterIP, session
// affinity None (and ClientIP's three-hour timeout), protocol TCP and
// targetPort = port for each port, traffic policies Cluster, node ports
// for load balancers, and clusterIPs mirroring clusterIP.
func defaultService(o Object) {
	spec, ok := o["spec"].(map[string]any)
	if !ok {
		if o["spec"] != nil {
			return
		}
		spec = map[string]any{}
		o["spec"] = spec
	}
	if s, _ := spec["type"].(string); spec["type"] == nil || s == "" {
		spec["type"] = string(api.ServiceTypeClusterIP)
	}
	typ, _ := spec["type"].(string)
	if s, _ := spec["sessionAffinity"].(string); spec["sessionAffinity"] == nil || s == "" {
		spec["sessionAffinity"] = "None"
	}
	if spec["sessionAffinity"] == "ClientIP" {
		cfg, _ := spec["sessionAffinityConfig"].(map[string]any)
		if cfg == nil && spec["sessionAffinityConfig"] == nil {
			cfg = map[string]any{}
			spec["sessionAffinityConfig"] = cfg
		}
		if cfg != nil {
			cip, _ := cfg["clientIP"].(map[string]any)
			if cip == nil && cfg["clientIP"] == nil {
				cip = map[string]any{}
				cfg["clientIP"] = cip
			}
			if cip != nil && cip["timeoutSeconds"] == nil {
				cip["timeoutSeconds"] = json.Number("10800")
			}
		}
	}
	if ports, ok := spec["ports"].([]any); ok {
		for _, p := range ports {
			p, ok := p.(map[string]any)
			if !ok {
				continue
			}
			if s, _ := p["protocol"].(string); p["protocol"] == nil || s == "" {
				p["protocol"] = string(api.ProtocolTCP)
			}
			if tp, set := p["targetPort"]; !set || tp == nil || isZeroNumber(tp) || tp == "" {
				if p["port"] != nil {
					p["targetPort"] = p["port"]
				}
			}
		}
	}
	if typ == string(api.ServiceTypeNodePort) || typ == string(api.ServiceTypeLoadBalancer) {
		if s, _ := spec["externalTrafficPolicy"].(string); spec["externalTrafficPolicy"] == nil || s == "" {
			spec["externalTrafficPolicy"] = "Cluster"
		}
	}
	if typ != string(api.ServiceTypeExternalName) && spec["internalTrafficPolicy"] == nil {
		spec["internalTrafficPolicy"] = "Cluster"
	}
	if typ == string(api.ServiceTypeLoadBalancer) && spec["allocateLoadBalancerNodePorts"] == nil {
		spec["allocateLoadBalancerNodePorts"] = true
	}
	// clusterIP and clusterIPs[0] are one value written twice.
	ip, _ := spec["clusterIP"].(string)
	ips, _ := spec["clusterIPs"].([]any)
	switch {
	case ip != "" && len(ips) == 0 && spec["clusterIPs"] == nil:
		spec["clusterIPs"] = []any{ip}
	case ip == "" && len(ips) > 0:
		if first, ok := ips[0].(string); ok {
			spec["clusterIP"] = first
		}
	}
}

func isZeroNumber(v any) bool {
	n, ok := toInt(v)
	return ok && n == 0
}

// keepAllocated keeps, on a write of a service that does not name them,
// the cluster IPs, node ports and health check port the current object
// holds, as Kubernetes' patchAllocatedValues does: a replace with a
// manifest that leaves them out does not try to change them.
func keepAllocated(next, cur Object) {
	spec, _ := next["spec"].(map[string]any)
	curSpec, _ := cur["spec"].(map[string]any)
	if spec == nil || curSpec == nil {
		return
	}
	needsIP := func(s map[string]any) bool { return s["type"] != string(api.ServiceTypeExternalName) }
	if needsIP(spec) && needsIP(curSpec) {
		if ip, _ := spec["clusterIP"].(string); ip == "" && spec["clusterIPs"] == nil {
			if curSpec["clusterIP"] != nil {
				spec["clusterIP"] = curSpec["clusterIP"]
			}
			if curSpec["clusterIPs"] != nil {
				spec["clusterIPs"] = DeepCopy(curSpec["clusterIPs"])
			}
		}
	}
	if ServiceNeedsNodePorts(spec) && ServiceNeedsNodePorts(curSpec) {
		curPorts := map[string]any{} // "port/protocol" → nodePort
		for _, p := range list(curSpec, "ports") {
			p, _ := p.(map[string]any)
			if np := p["nodePort"]; np != nil {
				curPorts[portKey(p)] = np
			}
		}
		for _, p := range list(spec, "ports") {
			p, _ := p.(map[string]any)
			if p == nil {
				continue
			}
			if np, ok := curPorts[portKey(p)]; ok && (p["nodePort"] == nil || isZeroNumber(p["nodePort"])) {
				p["nodePort"] = np
			}
		}
		if spec["healthCheckNodePort"] == nil && curSpec["healthCheckNodePort"] != nil {
			spec["healthCheckNodePort"] = curSpec["healthCheckNodePort"]
		}
	}
}

// portKey identifies a service port by number and protocol.
func portKey(p map[string]any) string {
	n, _ := toInt(p["port"])
	proto, _ := p["protocol"].(string)
	if proto == "" {
		proto = string(api.ProtocolTCP)
	}
	return strconv.FormatInt(n, 10) + "/" + proto
}

// ServiceNeedsNodePorts reports whether a Service spec (decoded JSON) of
// its type gets node ports: NodePort, and LoadBalancer unless
// allocateLoadBalancerNodePorts is false.
func ServiceNeedsNodePorts(spec map[string]any) bool {
	switch spec["type"] {
	case string(api.ServiceTypeNodePort):
		return true
	case string(api.ServiceTypeLoadBalancer):
		b, ok := spec["allocateLoadBalancerNodePorts"].(bool)
		return !ok || b
	}
	return false
}

// dropTypeDependentFields clears what a type change leaves meaningless,
// when the client did not change it itself, as Kubernetes' service
// strategy does: the cluster IPs and IP families of a service that became
// ExternalName, the node ports of one that no longer needs them, the
// external traffic policy of one that is no longer external.
func dropTypeDependentFields(next, cur Object) {
	spec, _ := next["spec"].(map[string]any)
	curSpec, _ := cur["spec"].(map[string]any)
	if spec == nil || curSpec == nil || spec["type"] == curSpec["type"] {
		return
	}
	if spec["type"] == string(api.ServiceTypeExternalName) {
		for _, f := range []string{"clusterIP", "clusterIPs", "ipFamilies", "ipFamilyPolicy", "internalTrafficPolicy"} {
			if jsonSame(spec[f], curSpec[f]) {
				delete(spec, f)
			}
		}
	}
	if !ServiceNeedsNodePorts(spec) && ServiceNeedsNodePorts(curSpec) {
		curPorts := map[string]any{}
		for _, p := range list(curSpec, "ports") {
			p, _ := p.(map[string]any)
			curPorts[portKey(p)] = p["nodePort"]
		}
		for _, p := range list(spec, "ports") {
			if p, ok := p.(map[string]any); ok && jsonSame(p["nodePort"], curPorts[portKey(p)]) {
				delete(p, "nodePort")
			}
		}
	}
	external := func(s map[string]any) bool {
		return s["type"] == string(api.ServiceTypeNodePort) || s["type"] == string(api.ServiceTypeLoadBalancer)
	}
	if !external(spec) && external(curSpec) && jsonSame(spec["externalTrafficPolicy"], curSpec["externalTrafficPolicy"]) {
		delete(spec, "externalTrafficPolicy")
		delete(spec, "healthCheckNodePort")
	}
	if spec["type"] != string(api.ServiceTypeLoadBalancer) && jsonSame(spec["allocateLoadBalancerNodePorts"], curSpec["allocateLoadBalancerNodePorts"]) {
		delete(spec, "allocateLoadBalancerNodePorts")
	}
}

// jsonSame compares two decoded JSON values by their encoding.
func jsonSame(a, b any) bool {
	ja, errA := json.Marshal(a)
	jb, errB := json.Marshal(b)
	return errA == nil && errB == nil && string(ja) == string(jb)
}

// validateService checks a Service as Kubernetes' ValidateService and
// ValidateServiceUpdate do.
func validateService(svc, old *api.Service) field.ErrorList {
	errs := validation.ValidateObjectMeta(&svc.ObjectMeta, true, validation.NameIsDNS1035Label, field.NewPath("metadata"))
	spec := &svc.Spec
	sp := field.NewPath("spec")
	if !slices.Contains(serviceTypes, string(spec.Type)) {
		errs = append(errs, field.NotSupported(sp.Child("type"), string(spec.Type), serviceTypes))
	}
	headless := spec.ClusterIP == api.ClusterIPNone
	external := spec.Type == api.ServiceTypeNodePort || spec.Type == api.ServiceTypeLoadBalancer

	// Cluster IPs.
	if spec.Type == api.ServiceTypeExternalName {
		if spec.ClusterIP != "" {
			errs = append(errs, field.Forbidden(sp.Child("clusterIP"), "may not be set for ExternalName services"))
		}
		if len(spec.ClusterIPs) > 0 {
			errs = append(errs, field.Forbidden(sp.Child("clusterIPs"), "may not be set for ExternalName services"))
		}
		if len(spec.IPFamilies) > 0 {
			errs = append(errs, field.Forbidden(sp.Child("ipFamilies"), "may not be set for ExternalName services"))
		}
		if spec.IPFamilyPolicy != nil {
			errs = append(errs, field.Forbidden(sp.Child("ipFamilyPolicy"), "may not be set for ExternalName services"))
		}
		name := strings.TrimSuffix(spec.ExternalName, ".")
		if spec.ExternalName == "" {
			errs = append(errs, field.Required(sp.Child("externalName"), ""))
		} else {
			for _, msg := range validation.IsDNS1123Subdomain(name) {
				errs = append(errs, field.Invalid(sp.Child("externalName"), spec.ExternalName, msg))
			}
		}
	} else {
		errs = append(errs, validateClusterIPs(spec, sp)...)
	}
	if headless && external {
		errs = append(errs, field.Invalid(sp.Child("clusterIPs").Index(0), spec.ClusterIP, fmt.Sprintf("may not be set to 'None' for %s services", spec.Type)))
	}

	// Ports.
	if len(spec.Ports) == 0 && !headless && spec.Type != api.ServiceTypeExternalName {
		errs = append(errs, field.Required(sp.Child("ports"), ""))
	}
	names := map[string]bool{}
	seen := map[string]bool{}
	nodePorts := map[string]bool{}
	for i := range spec.Ports {
		p := &spec.Ports[i]
		pp := sp.Child("ports").Index(i)
		if len(spec.Ports) > 1 && p.Name == "" {
			errs = append(errs, field.Required(pp.Child("name"), ""))
		} else if p.Name != "" {
			for _, msg := range validation.IsDNS1123Label(p.Name) {
				errs = append(errs, field.Invalid(pp.Child("name"), p.Name, msg))
			}
			if names[p.Name] {
				errs = append(errs, field.Duplicate(pp.Child("name"), p.Name))
			}
			names[p.Name] = true
		}
		for _, msg := range validation.IsValidPortNum(int(p.Port)) {
			errs = append(errs, field.Invalid(pp.Child("port"), p.Port, msg))
		}
		if !slices.Contains(protocols, string(p.Protocol)) {
			errs = append(errs, field.NotSupported(pp.Child("protocol"), string(p.Protocol), protocols))
		}
		switch p.TargetPort.Type {
		case api.IntOrStringInt:
			for _, msg := range validation.IsValidPortNum(int(p.TargetPort.IntVal)) {
				errs = append(errs, field.Invalid(pp.Child("targetPort"), p.TargetPort.IntVal, msg))
			}
		case api.IntOrStringString:
			for _, msg := range validation.IsValidPortName(p.TargetPort.StrVal) {
				errs = append(errs, field.Invalid(pp.Child("targetPort"), p.TargetPort.StrVal, msg))
			}
		}
		if p.AppProtocol != nil {
			for _, msg := range validation.IsQualifiedName(*p.AppProtocol) {
				errs = append(errs, field.Invalid(pp.Child("appProtocol"), *p.AppProtocol, msg))
			}
		}
		key := fmt.Sprintf("%d/%s", p.Port, p.Protocol)
		if seen[key] {
			errs = append(errs, field.Duplicate(pp, map[string]any{"port": p.Port, "protocol": string(p.Protocol)}))
		}
		seen[key] = true
		if p.NodePort != 0 {
			if spec.Type == api.ServiceTypeClusterIP || spec.Type == api.ServiceTypeExternalName {
				errs = append(errs, field.Forbidden(pp.Child("nodePort"), fmt.Sprintf("may not be used when `type` is '%s'", spec.Type)))
			} else {
				for _, msg := range validation.IsValidPortNum(int(p.NodePort)) {
					errs = append(errs, field.Invalid(pp.Child("nodePort"), p.NodePort, msg))
				}
				npKey := fmt.Sprintf("%d/%s", p.NodePort, p.Protocol)
				if nodePorts[npKey] {
					errs = append(errs, field.Duplicate(pp.Child("nodePort"), p.NodePort))
				}
				nodePorts[npKey] = true
			}
		}
	}

	// Selector, session affinity, traffic policies, external addresses.
	errs = append(errs, validation.ValidateLabels(spec.Selector, sp.Child("selector"))...)
	affinities := []string{"ClientIP", "None"}
	switch spec.SessionAffinity {
	case "ClientIP":
		cfg := spec.SessionAffinityConfig
		tp := sp.Child("sessionAffinityConfig").Child("clientIP").Child("timeoutSeconds")
		if cfg == nil || cfg.ClientIP == nil || cfg.ClientIP.TimeoutSeconds == nil {
			errs = append(errs, field.Required(tp, "when session affinity type is ClientIP"))
		} else if t := *cfg.ClientIP.TimeoutSeconds; t <= 0 || t > 86400 {
			errs = append(errs, field.Invalid(tp, t, "must be greater than 0 and less than 86400"))
		}
	case "None":
		if spec.SessionAffinityConfig != nil {
			errs = append(errs, field.Forbidden(sp.Child("sessionAffinityConfig"), "must not be set when session affinity is None"))
		}
	default:
		errs = append(errs, field.NotSupported(sp.Child("sessionAffinity"), spec.SessionAffinity, affinities))
	}
	policies := []string{"Cluster", "Local"}
	if external {
		if !slices.Contains(policies, spec.ExternalTrafficPolicy) {
			errs = append(errs, field.NotSupported(sp.Child("externalTrafficPolicy"), spec.ExternalTrafficPolicy, policies))
		}
	} else if spec.ExternalTrafficPolicy != "" {
		errs = append(errs, field.Invalid(sp.Child("externalTrafficPolicy"), spec.ExternalTrafficPolicy, "may only be set for externally-accessible services"))
	}
	if spec.HealthCheckNodePort != 0 && !(spec.Type == api.ServiceTypeLoadBalancer && spec.ExternalTrafficPolicy == "Local") {
		errs = append(errs, field.Invalid(sp.Child("healthCheckNodePort"), spec.HealthCheckNodePort, "may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'"))
	}
	if p := spec.InternalTrafficPolicy; p != nil && !slices.Contains(policies, *p) {
		errs = append(errs, field.NotSupported(sp.Child("internalTrafficPolicy"), *p, policies))
	} else if p == nil && spec.Type != api.ServiceTypeExternalName {
		errs = append(errs, field.Required(sp.Child("internalTrafficPolicy"), ""))
	}
	if spec.AllocateLoadBalancerNodePorts != nil && spec.Type != api.ServiceTypeLoadBalancer {
		errs = append(errs, field.Forbidden(sp.Child("allocateLoadBalancerNodePorts"), "may only be used when `type` is 'LoadBalancer'"))
	}
	if spec.LoadBalancerClass != nil && spec.Type != api.ServiceTypeLoadBalancer {
		errs = append(errs, field.Forbidden(sp.Child("loadBalancerClass"), "may only be used when `type` is 'LoadBalancer'"))
	}
	for i, ip := range spec.ExternalIPs {
		if _, err := netip.ParseAddr(ip); err != nil {
			errs = append(errs, field.Invalid(sp.Child("externalIPs").Index(i), ip, "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)"))
		}
	}
	for i, c := range spec.LoadBalancerSourceRanges {
		if _, err := netip.ParsePrefix(strings.TrimSpace(c)); err != nil {
			errs = append(errs, field.Invalid(sp.Child("loadBalancerSourceRanges").Index(i), c, "must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)"))
		}
	}
	if old == nil {
		return errs
	}
	// The cluster IP is immutable while both types need one.
	if old.Spec.Type != api.ServiceTypeExternalName && spec.Type != api.ServiceTypeExternalName {
		errs = append(errs, validation.ValidateImmutableField(spec.ClusterIP, old.Spec.ClusterIP, sp.Child("clusterIP"))...)
		if len(old.Spec.ClusterIPs) > 0 && len(spec.ClusterIPs) > 0 && spec.ClusterIPs[0] != old.Spec.ClusterIPs[0] {
			errs = append(errs, field.Invalid(sp.Child("clusterIPs").Index(0), spec.ClusterIPs[0], "may not change once set"))
		}
	}
	return errs
}

var protocols = []string{"SCTP", "TCP", "UDP"}

// validateClusterIPs checks clusterIP, clusterIPs, ipFamilies and
// ipFamilyPolicy of a service that is not ExternalName. The allocator
// checks that the addresses lie in the service range and are free.
func validateClusterIPs(spec *api.ServiceSpec, sp *field.Path) field.ErrorList {
	var errs field.ErrorList
	if len(spec.ClusterIPs) > 0 && spec.ClusterIP != spec.ClusterIPs[0] {
		errs = append(errs, field.Invalid(sp.Child("clusterIPs").Index(0), spec.ClusterIPs[0], "must match `clusterIP` when set"))
	}
	if len(spec.ClusterIPs) > 2 {
		errs = append(errs, field.Invalid(sp.Child("clusterIPs"), spec.ClusterIPs, "may only hold up to 2 values"))
	}
	for i, ip := range spec.ClusterIPs {
		if ip == api.ClusterIPNone {
			if i > 0 || len(spec.ClusterIPs) > 1 {
				errs = append(errs, field.Invalid(sp.Child("clusterIPs").Index(i), ip, "'None' must be the first and only value"))
			}
			continue
		}
		if _, err := netip.ParseAddr(ip); err != nil || ip == "" {
			errs = append(errs, field.Invalid(sp.Child("clusterIPs").Index(i), ip, "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)"))
		}
	}
	if p := spec.IPFamilyPolicy; p != nil {
		supported := []string{"PreferDualStack", "RequireDualStack", "SingleStack"}
		if !slices.Contains(supported, *p) {
			errs = append(errs, field.NotSupported(sp.Child("ipFamilyPolicy"), *p, supported))
		}
		if *p == "SingleStack" && len(spec.ClusterIPs) > 1 {
			errs = append(errs, field.Invalid(sp.Child("clusterIPs"), spec.ClusterIPs, "must have at most one value for SingleStack services"))
		}
	}
	if len(spec.IPFamilies) > 2 {
		errs = append(errs, field.Invalid(sp.Child("ipFamilies"), spec.IPFamilies, "may only hold up to 2 values"))
	}
	for i, f := range spec.IPFamilies {
		if f != "IPv4" && f != "IPv6" {
			errs = append(errs, field.NotSupported(sp.Child("ipFamilies").Index(i), f, []string{"IPv4", "IPv6"}))
		}
		if slices.Contains(spec.IPFamilies[:i], f) {
			errs = append(errs, field.Duplicate(sp.Child("ipFamilies").Index(i), f))
		}
	}
	return errs
}

// serviceExternalIP is the EXTERNAL-IP cell, as kubectl's printer
// derives it from the type.
func serviceExternalIP(o map[string]any) string {
	var ext []string
	for _, ip := range list(o, "spec", "externalIPs") {
		if s, ok := ip.(string); ok {
			ext = append(ext, s)
		}
	}
	switch str(o, "spec", "type") {
	case string(api.ServiceTypeExternalName):
		return str(o, "spec", "externalName")
	case string(api.ServiceTypeLoadBalancer):
		var lb []string
		for _, in := range list(o, "status", "loadBalancer", "ingress") {
			in, _ := in.(map[string]any)
			if ip := str(in, "ip"); ip != "" {
				lb = append(lb, ip)
			} else if h := str(in, "hostname"); h != "" {
				lb = append(lb, h)
			}
		}
		lb = append(lb, ext...)
		if len(lb) == 0 {
			return "<pending>"
		}
		return strings.Join(lb, ",")
	}
	if len(ext) == 0 {
		return "<none>"
	}
	return strings.Join(ext, ",")
}

// servicePorts is the PORT(S) cell: "80/TCP", "80:30080/TCP", joined
// with commas; <none> for a service without ports.
func servicePorts(o map[string]any) string {
	var out []string
	for _, p := range list(o, "spec", "ports") {
		p, _ := p.(map[string]any)
		s := strconv.FormatInt(num(p, "port"), 10)
		if np := num(p, "nodePort"); np != 0 {
			s += ":" + strconv.FormatInt(np, 10)
		}
		out = append(out, s+"/"+str(p, "protocol"))
	}
	if len(out) == 0 {
		return "<none>"
	}
	return strings.Join(out, ",")
}

// labelsString renders a map of labels as kubectl does: "a=b,c=d",
// sorted by key.
func labelsString(m map[string]any) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		v, _ := m[k].(string)
		parts[i] = k + "=" + v
	}
	return strings.Join(parts, ",")
}
