package validation

import (
	"encoding/json"
	"fmt"
	"math"
	"net/netip"
	"path"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/api/field"
)

// Supported values of the pod's enums, in Kubernetes' order.
var (
	restartPolicies   = []string{string(api.RestartPolicyAlways), string(api.RestartPolicyOnFailure), string(api.RestartPolicyNever)}
	dnsPolicies       = []string{string(api.DNSClusterFirstWithHostNet), string(api.DNSClusterFirst), string(api.DNSDefault), string(api.DNSNone)}
	pullPolicies      = []string{string(api.PullAlways), string(api.PullIfNotPresent), string(api.PullNever)}
	messagePolicies   = []string{string(api.TerminationMessageReadFile), string(api.TerminationMessageFallbackToLogsOnError)}
	protocols         = []string{string(api.ProtocolSCTP), string(api.ProtocolTCP), string(api.ProtocolUDP)}
	uriSchemes        = []string{string(api.URISchemeHTTP), string(api.URISchemeHTTPS)}
	taintEffects      = []string{string(api.TaintEffectNoSchedule), string(api.TaintEffectPreferNoSchedule), string(api.TaintEffectNoExecute)}
	preemptPolicies   = []string{"Never", "PreemptLowerPriority"}
	tolerationOps     = []string{string(api.TolerationOpEqual), string(api.TolerationOpExists)}
	podFieldRefPaths  = []string{"metadata.annotations", "metadata.labels", "metadata.name", "metadata.namespace", "metadata.uid", "spec.nodeName", "spec.serviceAccountName", "status.hostIP", "status.hostIPs", "status.podIP", "status.podIPs"}
	containerResNames = []string{string(api.ResourceCPU), string(api.ResourceMemory), string(api.ResourceEphemeralStorage)}
)

// podUpdateForbiddenMsg is Kubernetes' message for a change of an
// immutable part of a pod's spec.
const podUpdateForbiddenMsg = "pod updates may not change fields other than `spec.containers[*].image`," +
	"`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations)," +
	"`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)"

// ValidatePod checks a pod; oldObj is nil on create. On update the spec is
// immutable except for container and init container images,
// activeDeadlineSeconds (which may only be set or lowered), additions to
// tolerations and a negative terminationGracePeriodSeconds becoming 1.
func ValidatePod(newObj, oldObj *api.Pod) field.ErrorList {
	errs := ValidateObjectMeta(&newObj.ObjectMeta, true, NameIsDNSSubdomain, field.NewPath("metadata"))
	errs = append(errs, ValidatePodSpec(&newObj.Spec, field.NewPath("spec"))...)
	if oldObj != nil {
		errs = append(errs, validatePodSpecUpdate(&newObj.Spec, &oldObj.Spec, field.NewPath("spec"))...)
	}
	return errs
}

// ValidatePodStatusUpdate checks a pod's /status write, as Kubernetes'
// ValidatePodStatusUpdate does: the spec is the stored one (the status
// strategy keeps it), so the checks are metadata and status: the
// nominated node's name, condition types and statuses, and addresses
// (valid IPs, none twice).
func ValidatePodStatusUpdate(newObj, _ *api.Pod) field.ErrorList {
	errs := ValidateObjectMeta(&newObj.ObjectMeta, true, NameIsDNSSubdomain, field.NewPath("metadata"))
	st, p := &newObj.Status, field.NewPath("status")
	if n := st.NominatedNodeName; n != "" {
		for _, msg := range IsDNS1123Subdomain(n) {
			errs = append(errs, field.Invalid(p.Child("nominatedNodeName"), n, msg))
		}
	}
	for i, c := range st.Conditions {
		cp := p.Child("conditions").Index(i)
		if c.Type == "" {
			errs = append(errs, field.Required(cp.Child("type"), "must be specified"))
		}
		errs = append(errs, validateEnum(string(c.Status), conditionStatuses, cp.Child("status"))...)
	}
	podIPs := make([]string, len(st.PodIPs))
	for i, ip := range st.PodIPs {
		podIPs[i] = ip.IP
	}
	errs = append(errs, validateStatusIPs(st.PodIP, podIPs, p.Child("podIP"), p.Child("podIPs"))...)
	hostIPs := make([]string, len(st.HostIPs))
	for i, ip := range st.HostIPs {
		hostIPs[i] = ip.IP
	}
	return append(errs, validateStatusIPs(st.HostIP, hostIPs, p.Child("hostIP"), p.Child("hostIPs"))...)
}

// conditionStatuses are the values of a condition's status.
var conditionStatuses = []string{"True", "False", "Unknown"}

// validateStatusIPs checks a pod's or its node's addresses: each a valid
// IP, none twice. (A primary address that differs from the list's first
// is not refused: Kubernetes' conversion lets the primary win.)
func validateStatusIPs(primary string, ips []string, pp, lp *field.Path) field.ErrorList {
	var errs field.ErrorList
	if primary != "" {
		if _, err := netip.ParseAddr(primary); err != nil {
			errs = append(errs, field.Invalid(pp, primary, validIPMessage))
		}
	}
	seen := map[string]bool{}
	for i, ip := range ips {
		if _, err := netip.ParseAddr(ip); err != nil {
			errs = append(errs, field.Invalid(lp.Index(i).Child("ip"), ip, validIPMessage))
		} else if seen[ip] {
			errs = append(errs, field.Duplicate(lp.Index(i).Child("ip"), ip))
		}
		seen[ip] = true
	}
	return errs
}

const validIPMessage = "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)"

// ValidatePodTemplateSpec checks a workload's pod template at p: its
// labels and annotations (no name is needed) and its spec.
func ValidatePodTemplateSpec(t *api.PodTemplateSpec, p *field.Path) field.ErrorList {
	errs := ValidateLabels(t.Labels, p.Child("metadata", "labels"))
	errs = append(errs, ValidateAnnotations(t.Annotations, p.Child("metadata", "annotations"))...)
	return append(errs, ValidatePodSpec(&t.Spec, p.Child("spec"))...)
}

// ValidatePodSpec checks a pod spec at p.
func ValidatePodSpec(s *api.PodSpec, p *field.Path) field.ErrorList {
	volumes, errs := validateVolumes(s.Volumes, p.Child("volumes"))
	names := map[string]bool{}
	errs = append(errs, validateContainers(s.InitContainers, volumes, names, true, p.Child("initContainers"))...)
	if len(s.Containers) == 0 {
		errs = append(errs, field.Required(p.Child("containers"), ""))
	}
	errs = append(errs, validateContainers(s.Containers, volumes, names, false, p.Child("containers"))...)
	errs = append(errs, validateHostPorts(s, p)...)
	errs = append(errs, validateEnum(string(s.RestartPolicy), restartPolicies, p.Child("restartPolicy"))...)
	errs = append(errs, validateEnum(string(s.DNSPolicy), dnsPolicies, p.Child("dnsPolicy"))...)
	if s.DNSPolicy == api.DNSNone && s.DNSConfig == nil {
		errs = append(errs, field.Required(p.Child("dnsConfig"), "must provide `dnsConfig` when `dnsPolicy` is None"))
	}
	if s.TerminationGracePeriodSeconds != nil {
		errs = append(errs, ValidateNonnegativeField(*s.TerminationGracePeriodSeconds, p.Child("terminationGracePeriodSeconds"))...)
	}
	if d := s.ActiveDeadlineSeconds; d != nil && (*d < 1 || *d > math.MaxInt32) {
		errs = append(errs, field.Invalid(p.Child("activeDeadlineSeconds"), *d, InclusiveRangeError(1, math.MaxInt32)))
	}
	errs = append(errs, ValidateLabels(s.NodeSelector, p.Child("nodeSelector"))...)
	for _, f := range []struct {
		value string
		name  string
		check func(string) []string
	}{
		{s.ServiceAccountName, "serviceAccountName", IsDNS1123Subdomain},
		{s.NodeName, "nodeName", IsDNS1123Subdomain},
		{s.Hostname, "hostname", IsDNS1123Label},
		{s.Subdomain, "subdomain", IsDNS1123Label},
		{s.SchedulerName, "schedulerName", IsDNS1123Subdomain},
		{s.PriorityClassName, "priorityClassName", IsDNS1123Subdomain},
	} {
		if f.value == "" {
			continue
		}
		for _, msg := range f.check(f.value) {
			errs = append(errs, field.Invalid(p.Child(f.name), f.value, msg))
		}
	}
	for i, r := range s.ImagePullSecrets {
		if r.Name == "" {
			errs = append(errs, field.Required(p.Child("imagePullSecrets").Index(i).Child("name"), ""))
		}
	}
	if s.PreemptionPolicy != nil {
		errs = append(errs, validateEnum(*s.PreemptionPolicy, preemptPolicies, p.Child("preemptionPolicy"))...)
	}
	errs = append(errs, validateTolerations(s.Tolerations, p.Child("tolerations"))...)
	if s.Affinity != nil && s.Affinity.NodeAffinity != nil {
		errs = append(errs, validateNodeAffinity(s.Affinity.NodeAffinity, p.Child("affinity", "nodeAffinity"))...)
	}
	errs = append(errs, validateSpreadConstraints(s.TopologySpreadConstraints, p.Child("topologySpreadConstraints"))...)
	for i, g := range s.SchedulingGates {
		if g.Name == "" {
			errs = append(errs, field.Required(p.Child("schedulingGates").Index(i).Child("name"), ""))
		}
	}
	return errs
}

// validateSpreadConstraints checks topology spread constraints as
// Kubernetes' validateTopologySpreadConstraints does (the rules the
// scheduler relies on).
func validateSpreadConstraints(cs []api.TopologySpreadConstraint, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	seen := map[string]bool{}
	for i, c := range cs {
		cp := p.Index(i)
		if c.MaxSkew <= 0 {
			errs = append(errs, field.Invalid(cp.Child("maxSkew"), c.MaxSkew, "must be greater than zero"))
		}
		if c.TopologyKey == "" {
			errs = append(errs, field.Required(cp.Child("topologyKey"), "can not be empty"))
		}
		errs = append(errs, validateEnum(string(c.WhenUnsatisfiable), []string{string(api.DoNotSchedule), string(api.ScheduleAnyway)}, cp.Child("whenUnsatisfiable"))...)
		if pair := c.TopologyKey + "/" + string(c.WhenUnsatisfiable); seen[pair] {
			errs = append(errs, field.Duplicate(cp, fmt.Sprintf("{%v, %v}", c.TopologyKey, c.WhenUnsatisfiable)))
		} else {
			seen[pair] = true
		}
		if c.MinDomains != nil {
			if *c.MinDomains <= 0 {
				errs = append(errs, field.Invalid(cp.Child("minDomains"), *c.MinDomains, "must be greater than 0"))
			} else if c.WhenUnsatisfiable != api.DoNotSchedule {
				errs = append(errs, field.Invalid(cp.Child("minDomains"), *c.MinDomains, "can only use minDomains if whenUnsatisfiable=DoNotSchedule, not "+string(c.WhenUnsatisfiable)))
			}
		}
		for _, pol := range []struct {
			name string
			v    *api.NodeInclusionPolicy
		}{{"nodeAffinityPolicy", c.NodeAffinityPolicy}, {"nodeTaintsPolicy", c.NodeTaintsPolicy}} {
			if pol.v != nil {
				errs = append(errs, validateEnum(string(*pol.v), []string{string(api.NodeInclusionPolicyHonor), string(api.NodeInclusionPolicyIgnore)}, cp.Child(pol.name))...)
			}
		}
	}
	return errs
}

// validateEnum reports an empty v as required and an unknown one as not
// supported.
func validateEnum(v string, supported []string, p *field.Path) field.ErrorList {
	if v == "" {
		return field.ErrorList{field.Required(p, "")}
	}
	if !slices.Contains(supported, v) {
		return field.ErrorList{field.NotSupported(p, v, supported)}
	}
	return nil
}

// requireNameAndKey checks a reference to one key of a named object (a
// ConfigMap's, a Secret's) names both.
func requireNameAndKey(name, key string, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	if name == "" {
		errs = append(errs, field.Required(p.Child("name"), ""))
	}
	if key == "" {
		errs = append(errs, field.Required(p.Child("key"), ""))
	}
	return errs
}

// validateListName checks the name of an item of a list whose items are
// named by unique DNS-1123 labels (volumes, containers), and adds it to seen.
func validateListName(name string, seen map[string]bool, p *field.Path) field.ErrorList {
	dup := seen[name]
	seen[name] = true
	switch {
	case name == "":
		return field.ErrorList{field.Required(p, "")}
	case dup:
		return field.ErrorList{field.Duplicate(p, name)}
	}
	var errs field.ErrorList
	for _, msg := range IsDNS1123Label(name) {
		errs = append(errs, field.Invalid(p, name, msg))
	}
	return errs
}

func validateVolumes(vols []api.Volume, p *field.Path) (map[string]bool, field.ErrorList) {
	var errs field.ErrorList
	names := map[string]bool{}
	for i, v := range vols {
		ip := p.Index(i)
		errs = append(errs, validateListName(v.Name, names, ip.Child("name"))...)
		errs = append(errs, validateVolumeSource(&v.VolumeSource, ip)...)
	}
	return names, errs
}

func validateVolumeSource(s *api.VolumeSource, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	n := 0
	more := func(name string) bool {
		n++
		if n > 1 {
			errs = append(errs, field.Forbidden(p.Child(name), "may not specify more than 1 volume type"))
			return false
		}
		return true
	}
	if s.HostPath != nil && more("hostPath") {
		if s.HostPath.Path == "" {
			errs = append(errs, field.Required(p.Child("hostPath", "path"), ""))
		}
	}
	if s.EmptyDir != nil && more("emptyDir") {
		if q := s.EmptyDir.SizeLimit; q != nil && q.Sign() < 0 {
			errs = append(errs, field.Invalid(p.Child("emptyDir", "sizeLimit"), q.String(), isNegativeErrorMsg))
		}
	}
	if s.ConfigMap != nil && more("configMap") {
		if s.ConfigMap.Name == "" {
			errs = append(errs, field.Required(p.Child("configMap", "name"), ""))
		}
		errs = append(errs, validateKeyToPaths(s.ConfigMap.Items, p.Child("configMap", "items"))...)
	}
	if s.Secret != nil && more("secret") {
		if s.Secret.SecretName == "" {
			errs = append(errs, field.Required(p.Child("secret", "secretName"), ""))
		}
		errs = append(errs, validateKeyToPaths(s.Secret.Items, p.Child("secret", "items"))...)
	}
	if s.DownwardAPI != nil && more("downwardAPI") {
		errs = append(errs, validateDownwardAPIFiles(s.DownwardAPI.Items, p.Child("downwardAPI", "items"))...)
	}
	if s.Projected != nil && more("projected") {
		errs = append(errs, validateProjections(s.Projected.Sources, p.Child("projected", "sources"))...)
	}
	if s.PersistentVolumeClaim != nil && more("persistentVolumeClaim") {
		if s.PersistentVolumeClaim.ClaimName == "" {
			errs = append(errs, field.Required(p.Child("persistentVolumeClaim", "claimName"), ""))
		}
	}
	if n == 0 {
		errs = append(errs, field.Required(p, "must specify a volume type"))
	}
	return errs
}

// validateProjections checks the sources of a projected volume: one
// source each, with what it needs.
func validateProjections(sources []api.VolumeProjection, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	for i, src := range sources {
		ip := p.Index(i)
		n := 0
		if src.Secret != nil {
			n++
			if src.Secret.Name == "" {
				errs = append(errs, field.Required(ip.Child("secret", "name"), ""))
			}
			errs = append(errs, validateKeyToPaths(src.Secret.Items, ip.Child("secret", "items"))...)
		}
		if src.ConfigMap != nil {
			n++
			if src.ConfigMap.Name == "" {
				errs = append(errs, field.Required(ip.Child("configMap", "name"), ""))
			}
			errs = append(errs, validateKeyToPaths(src.ConfigMap.Items, ip.Child("configMap", "items"))...)
		}
		if src.DownwardAPI != nil {
			n++
			errs = append(errs, validateDownwardAPIFiles(src.DownwardAPI.Items, ip.Child("downwardAPI", "items"))...)
		}
		if t := src.ServiceAccountToken; t != nil {
			n++
			if t.Path == "" {
				errs = append(errs, field.Required(ip.Child("serviceAccountToken", "path"), ""))
			}
			if e := t.ExpirationSeconds; e != nil && *e < 600 {
				errs = append(errs, field.Invalid(ip.Child("serviceAccountToken", "expirationSeconds"), *e, "may not specify a duration less than 10 minutes"))
			}
		}
		if n != 1 {
			errs = append(errs, field.Forbidden(ip, "may not specify more than 1 volume type per source"))
		}
	}
	return errs
}

// validateDownwardAPIFiles checks the files of a downward API volume or
// projection: a relative path and exactly one of fieldRef and
// resourceFieldRef each.
func validateDownwardAPIFiles(items []api.DownwardAPIVolumeFile, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	for j, it := range items {
		jp := p.Index(j)
		if it.Path == "" {
			errs = append(errs, field.Required(jp.Child("path"), ""))
		}
		errs = append(errs, validateRelativePath(it.Path, jp.Child("path"))...)
		hasField := it.FieldRef != nil && it.FieldRef.FieldPath != ""
		hasResource := it.ResourceFieldRef != nil && it.ResourceFieldRef.Resource != ""
		switch {
		case hasField && hasResource:
			errs = append(errs, field.Invalid(jp, "resource", "fieldRef and resourceFieldRef can not be specified simultaneously"))
		case !hasField && !hasResource:
			errs = append(errs, field.Required(jp.Child("fieldRef"), "must specify fieldRef or resourceFieldRef"))
		}
	}
	return errs
}

func validateKeyToPaths(items []api.KeyToPath, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	for i, it := range items {
		ip := p.Index(i)
		if it.Key == "" {
			errs = append(errs, field.Required(ip.Child("key"), ""))
		}
		if it.Path == "" {
			errs = append(errs, field.Required(ip.Child("path"), ""))
		}
		errs = append(errs, validateRelativePath(it.Path, ip.Child("path"))...)
	}
	return errs
}

func validateRelativePath(v string, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	if path.IsAbs(v) {
		errs = append(errs, field.Invalid(p, v, "must be a relative path"))
	}
	if slices.Contains(strings.Split(v, "/"), "..") {
		errs = append(errs, field.Invalid(p, v, "must not contain '..'"))
	}
	return errs
}

// validateContainers checks containers; names collects the names of all
// containers of the pod, which must be unique across both lists.
func validateContainers(cs []api.Container, volumes, names map[string]bool, init bool, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	for i := range cs {
		c := &cs[i]
		ip := p.Index(i)
		errs = append(errs, validateListName(c.Name, names, ip.Child("name"))...)
		if c.Image == "" {
			errs = append(errs, field.Required(ip.Child("image"), ""))
		} else if strings.TrimSpace(c.Image) != c.Image {
			errs = append(errs, field.Invalid(ip.Child("image"), c.Image, "must not have leading or trailing whitespace"))
		}
		errs = append(errs, validateContainerPorts(c.Ports, ip.Child("ports"))...)
		errs = append(errs, validateEnv(c.Env, ip.Child("env"))...)
		errs = append(errs, validateEnvFrom(c.EnvFrom, ip.Child("envFrom"))...)
		errs = append(errs, validateResources(&c.Resources, ip.Child("resources"))...)
		errs = append(errs, validateVolumeMounts(c.VolumeMounts, volumes, ip.Child("volumeMounts"))...)
		if init {
			for _, pr := range []struct {
				name  string
				probe *api.Probe
			}{{"livenessProbe", c.LivenessProbe}, {"readinessProbe", c.ReadinessProbe}, {"startupProbe", c.StartupProbe}} {
				if pr.probe != nil {
					errs = append(errs, field.Forbidden(ip.Child(pr.name), "may not be set for init containers without restartPolicy=Always"))
				}
			}
		} else {
			errs = append(errs, validateProbe(c.LivenessProbe, true, ip.Child("livenessProbe"))...)
			errs = append(errs, validateProbe(c.ReadinessProbe, false, ip.Child("readinessProbe"))...)
			errs = append(errs, validateProbe(c.StartupProbe, true, ip.Child("startupProbe"))...)
			if pr := c.ReadinessProbe; pr != nil && pr.TerminationGracePeriodSeconds != nil {
				errs = append(errs, field.Invalid(ip.Child("readinessProbe", "terminationGracePeriodSeconds"), *pr.TerminationGracePeriodSeconds, "must not be set for readinessProbes"))
			}
		}
		errs = append(errs, validateEnum(string(c.TerminationMessagePolicy), messagePolicies, ip.Child("terminationMessagePolicy"))...)
		errs = append(errs, validateEnum(string(c.ImagePullPolicy), pullPolicies, ip.Child("imagePullPolicy"))...)
	}
	return errs
}

func validateContainerPorts(ports []api.ContainerPort, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	names := map[string]bool{}
	for i, port := range ports {
		ip := p.Index(i)
		if port.Name != "" {
			for _, msg := range IsValidPortName(port.Name) {
				errs = append(errs, field.Invalid(ip.Child("name"), port.Name, msg))
			}
			if names[port.Name] {
				errs = append(errs, field.Duplicate(ip.Child("name"), port.Name))
			}
			names[port.Name] = true
		}
		if port.ContainerPort == 0 {
			errs = append(errs, field.Required(ip.Child("containerPort"), ""))
		} else {
			for _, msg := range IsValidPortNum(int(port.ContainerPort)) {
				errs = append(errs, field.Invalid(ip.Child("containerPort"), port.ContainerPort, msg))
			}
		}
		if port.HostPort != 0 {
			for _, msg := range IsValidPortNum(int(port.HostPort)) {
				errs = append(errs, field.Invalid(ip.Child("hostPort"), port.HostPort, msg))
			}
		}
		errs = append(errs, validateEnum(string(port.Protocol), protocols, ip.Child("protocol"))...)
	}
	return errs
}

// validateHostPorts checks that host ports are unique within the pod and,
// with host networking, equal to the container ports.
func validateHostPorts(s *api.PodSpec, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	seen := map[string]bool{}
	check := func(cs []api.Container, cp *field.Path) {
		for i, c := range cs {
			for j, port := range c.Ports {
				pp := cp.Index(i).Child("ports").Index(j)
				if s.HostNetwork && port.HostPort != 0 && port.HostPort != port.ContainerPort {
					errs = append(errs, field.Invalid(pp.Child("hostPort"), port.HostPort, "must match `containerPort` when `hostNetwork` is true"))
				}
				hp := port.HostPort
				if s.HostNetwork {
					hp = port.ContainerPort
				}
				if hp == 0 {
					continue
				}
				key := port.HostIP + "/" + string(port.Protocol) + "/" + strconv.Itoa(int(hp))
				if seen[key] {
					errs = append(errs, field.Duplicate(pp.Child("hostPort"), strconv.Itoa(int(hp))+"/"+string(port.Protocol)))
				}
				seen[key] = true
			}
		}
	}
	check(s.InitContainers, p.Child("initContainers"))
	check(s.Containers, p.Child("containers"))
	return errs
}

// validateEnvFrom checks that each source names one ConfigMap or Secret.
func validateEnvFrom(from []api.EnvFromSource, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	for i, f := range from {
		ip := p.Index(i)
		n := 0
		if f.ConfigMapRef != nil {
			n++
			if f.ConfigMapRef.Name == "" {
				errs = append(errs, field.Required(ip.Child("configMapRef", "name"), ""))
			}
		}
		if f.SecretRef != nil {
			n++
			if f.SecretRef.Name == "" {
				errs = append(errs, field.Required(ip.Child("secretRef", "name"), ""))
			}
		}
		switch {
		case n == 0:
			errs = append(errs, field.Invalid(ip, "", "must specify one of: `configMapRef` or `secretRef`"))
		case n > 1:
			errs = append(errs, field.Invalid(ip, "", "may not have more than one field specified at a time"))
		}
		if f.Prefix != "" {
			for _, msg := range IsEnvVarName(f.Prefix) {
				errs = append(errs, field.Invalid(ip.Child("prefix"), f.Prefix, msg))
			}
		}
	}
	return errs
}

func validateEnv(env []api.EnvVar, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	for i, e := range env {
		ip := p.Index(i)
		if e.Name == "" {
			errs = append(errs, field.Required(ip.Child("name"), ""))
		} else {
			for _, msg := range IsEnvVarName(e.Name) {
				errs = append(errs, field.Invalid(ip.Child("name"), e.Name, msg))
			}
		}
		if e.ValueFrom == nil {
			continue
		}
		vp := ip.Child("valueFrom")
		if e.Value != "" {
			errs = append(errs, field.Invalid(vp, "", "may not be specified when `value` is not empty"))
		}
		n := 0
		if f := e.ValueFrom.FieldRef; f != nil {
			n++
			fp := vp.Child("fieldRef")
			if f.APIVersion == "" {
				errs = append(errs, field.Required(fp.Child("apiVersion"), ""))
			}
			if f.FieldPath == "" {
				errs = append(errs, field.Required(fp.Child("fieldPath"), ""))
			} else if !slices.Contains(podFieldRefPaths, f.FieldPath) && !isLabelOrAnnotationSubscript(f.FieldPath) {
				errs = append(errs, field.NotSupported(fp.Child("fieldPath"), f.FieldPath, podFieldRefPaths))
			}
		}
		if f := e.ValueFrom.ResourceFieldRef; f != nil {
			n++
			if f.Resource == "" {
				errs = append(errs, field.Required(vp.Child("resourceFieldRef", "resource"), ""))
			}
		}
		if f := e.ValueFrom.ConfigMapKeyRef; f != nil {
			n++
			errs = append(errs, requireNameAndKey(f.Name, f.Key, vp.Child("configMapKeyRef"))...)
		}
		if f := e.ValueFrom.SecretKeyRef; f != nil {
			n++
			errs = append(errs, requireNameAndKey(f.Name, f.Key, vp.Child("secretKeyRef"))...)
		}
		switch {
		case n == 0:
			errs = append(errs, field.Invalid(vp, "", "must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`"))
		case n > 1:
			errs = append(errs, field.Invalid(vp, "", "may not have more than one field specified at a time"))
		}
	}
	return errs
}

// isLabelOrAnnotationSubscript reports field paths like metadata.labels['app'].
func isLabelOrAnnotationSubscript(fp string) bool {
	for _, prefix := range []string{"metadata.labels['", "metadata.annotations['"} {
		if rest, ok := strings.CutPrefix(fp, prefix); ok && strings.HasSuffix(rest, "']") && len(rest) > 2 {
			return true
		}
	}
	return false
}

func validateResources(r *api.ResourceRequirements, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	check := func(rl api.ResourceList, lp *field.Path) {
		for _, name := range sortedResourceNames(rl) {
			kp := lp.Key(string(name))
			errs = append(errs, validateContainerResourceName(string(name), kp)...)
			if q := rl[name]; q.Sign() < 0 {
				errs = append(errs, field.Invalid(kp, q.String(), isNegativeErrorMsg))
			}
		}
	}
	check(r.Limits, p.Child("limits"))
	check(r.Requests, p.Child("requests"))
	for _, name := range sortedResourceNames(r.Requests) {
		req := r.Requests[name]
		if lim, ok := r.Limits[name]; ok && req.Cmp(lim) > 0 {
			errs = append(errs, field.Invalid(p.Child("requests").Key(string(name)), req.String(),
				"must be less than or equal to "+string(name)+" limit of "+lim.String()))
		}
	}
	return errs
}

func validateContainerResourceName(name string, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	for _, msg := range IsQualifiedName(name) {
		errs = append(errs, field.Invalid(p, name, msg))
	}
	if len(errs) == 0 && !strings.Contains(name, "/") && !slices.Contains(containerResNames, name) && !strings.HasPrefix(name, "hugepages-") {
		errs = append(errs, field.Invalid(p, name, "must be a standard resource for containers"))
	}
	return errs
}

func sortedResourceNames(rl api.ResourceList) []api.ResourceName {
	names := make([]api.ResourceName, 0, len(rl))
	for n := range rl {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

func validateVolumeMounts(mounts []api.VolumeMount, volumes map[string]bool, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	paths := map[string]bool{}
	for i, m := range mounts {
		ip := p.Index(i)
		if m.Name == "" {
			errs = append(errs, field.Required(ip.Child("name"), ""))
		} else if !volumes[m.Name] {
			errs = append(errs, notFound(ip.Child("name"), m.Name))
		}
		if m.MountPath == "" {
			errs = append(errs, field.Required(ip.Child("mountPath"), ""))
		} else if paths[m.MountPath] {
			errs = append(errs, field.Invalid(ip.Child("mountPath"), m.MountPath, "must be unique"))
		}
		paths[m.MountPath] = true
		if m.SubPath != "" {
			errs = append(errs, validateRelativePath(m.SubPath, ip.Child("subPath"))...)
		}
	}
	return errs
}

// validateProbe checks a probe; single (liveness, startup) requires a
// success threshold of 1.
func validateProbe(pr *api.Probe, single bool, p *field.Path) field.ErrorList {
	if pr == nil {
		return nil
	}
	var errs field.ErrorList
	n := 0
	more := func(name string) bool {
		n++
		if n > 1 {
			errs = append(errs, field.Forbidden(p.Child(name), "may not specify more than 1 handler type"))
			return false
		}
		return true
	}
	if pr.Exec != nil && more("exec") && len(pr.Exec.Command) == 0 {
		errs = append(errs, field.Required(p.Child("exec", "command"), ""))
	}
	if h := pr.HTTPGet; h != nil && more("httpGet") {
		hp := p.Child("httpGet")
		if h.Path == "" {
			errs = append(errs, field.Required(hp.Child("path"), ""))
		}
		errs = append(errs, validatePortNumOrName(h.Port, hp.Child("port"))...)
		errs = append(errs, validateEnum(string(h.Scheme), uriSchemes, hp.Child("scheme"))...)
		for i, hdr := range h.HTTPHeaders {
			for _, msg := range IsHTTPHeaderName(hdr.Name) {
				errs = append(errs, field.Invalid(hp.Child("httpHeaders").Index(i).Child("name"), hdr.Name, msg))
			}
		}
	}
	if t := pr.TCPSocket; t != nil && more("tcpSocket") {
		errs = append(errs, validatePortNumOrName(t.Port, p.Child("tcpSocket", "port"))...)
	}
	if n == 0 {
		errs = append(errs, field.Required(p, "must specify a handler type"))
	}
	for _, f := range []struct {
		name string
		v    int32
	}{
		{"initialDelaySeconds", pr.InitialDelaySeconds},
		{"timeoutSeconds", pr.TimeoutSeconds},
		{"periodSeconds", pr.PeriodSeconds},
		{"successThreshold", pr.SuccessThreshold},
		{"failureThreshold", pr.FailureThreshold},
	} {
		errs = append(errs, ValidateNonnegativeField(int64(f.v), p.Child(f.name))...)
	}
	if single && pr.SuccessThreshold != 1 {
		errs = append(errs, field.Invalid(p.Child("successThreshold"), pr.SuccessThreshold, "must be 1"))
	}
	if g := pr.TerminationGracePeriodSeconds; g != nil && *g <= 0 {
		errs = append(errs, field.Invalid(p.Child("terminationGracePeriodSeconds"), *g, isNotPositiveMsg))
	}
	return errs
}

func validatePortNumOrName(port api.IntOrString, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	if port.Type == api.IntOrStringInt {
		for _, msg := range IsValidPortNum(int(port.IntVal)) {
			errs = append(errs, field.Invalid(p, port.IntVal, msg))
		}
		return errs
	}
	for _, msg := range IsValidPortName(port.StrVal) {
		errs = append(errs, field.Invalid(p, port.StrVal, msg))
	}
	return errs
}

func validateTolerations(ts []api.Toleration, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	for i, t := range ts {
		ip := p.Index(i)
		if t.Key != "" {
			for _, msg := range IsQualifiedName(t.Key) {
				errs = append(errs, field.Invalid(ip.Child("key"), t.Key, msg))
			}
		} else if t.Operator != api.TolerationOpExists {
			errs = append(errs, field.Invalid(ip.Child("operator"), string(t.Operator),
				"operator must be Exists when `key` is empty, which means \"match all values and all keys\""))
		}
		if t.TolerationSeconds != nil && t.Effect != api.TaintEffectNoExecute {
			errs = append(errs, field.Invalid(ip.Child("effect"), string(t.Effect),
				"effect must be 'NoExecute' when `tolerationSeconds` is set"))
		}
		switch t.Operator {
		case api.TolerationOpEqual, "":
			for _, msg := range IsValidLabelValue(t.Value) {
				errs = append(errs, field.Invalid(ip.Child("value"), t.Value, msg))
			}
		case api.TolerationOpExists:
			if t.Value != "" {
				errs = append(errs, field.Invalid(ip.Child("operator"), t.Value, "value must be empty when `operator` is 'Exists'"))
			}
		default:
			errs = append(errs, field.NotSupported(ip.Child("operator"), string(t.Operator), tolerationOps))
		}
		if t.Effect != "" && !slices.Contains(taintEffects, string(t.Effect)) {
			errs = append(errs, field.NotSupported(ip.Child("effect"), string(t.Effect), taintEffects))
		}
	}
	return errs
}

func validateNodeAffinity(a *api.NodeAffinity, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	if r := a.RequiredDuringSchedulingIgnoredDuringExecution; r != nil {
		rp := p.Child("requiredDuringSchedulingIgnoredDuringExecution", "nodeSelectorTerms")
		if len(r.NodeSelectorTerms) == 0 {
			errs = append(errs, field.Required(rp, "must have at least one node selector term"))
		}
		for i := range r.NodeSelectorTerms {
			errs = append(errs, validateNodeSelectorTerm(&r.NodeSelectorTerms[i], rp.Index(i))...)
		}
	}
	for i, t := range a.PreferredDuringSchedulingIgnoredDuringExecution {
		ip := p.Child("preferredDuringSchedulingIgnoredDuringExecution").Index(i)
		if t.Weight < 1 || t.Weight > 100 {
			errs = append(errs, field.Invalid(ip.Child("weight"), t.Weight, "must be in the range 1-100"))
		}
		errs = append(errs, validateNodeSelectorTerm(&t.Preference, ip.Child("preference"))...)
	}
	return errs
}

func validateNodeSelectorTerm(t *api.NodeSelectorTerm, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	for i, r := range t.MatchExpressions {
		ip := p.Child("matchExpressions").Index(i)
		switch r.Operator {
		case api.NodeSelectorOpIn, api.NodeSelectorOpNotIn:
			if len(r.Values) == 0 {
				errs = append(errs, field.Required(ip.Child("values"), "must be specified when `operator` is 'In' or 'NotIn'"))
			}
		case api.NodeSelectorOpExists, api.NodeSelectorOpDoesNotExist:
			if len(r.Values) > 0 {
				errs = append(errs, field.Forbidden(ip.Child("values"), "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"))
			}
		case api.NodeSelectorOpGt, api.NodeSelectorOpLt:
			if len(r.Values) != 1 {
				errs = append(errs, field.Required(ip.Child("values"), "must be specified single value when `operator` is 'Lt' or 'Gt'"))
			}
		default:
			errs = append(errs, field.Invalid(ip.Child("operator"), string(r.Operator), "not a valid selector operator"))
		}
		for _, msg := range IsQualifiedName(r.Key) {
			errs = append(errs, field.Invalid(ip.Child("key"), r.Key, msg))
		}
	}
	for i, r := range t.MatchFields {
		ip := p.Child("matchFields").Index(i)
		if r.Key != "metadata.name" {
			errs = append(errs, field.Invalid(ip.Child("key"), r.Key, "not a valid field selector key"))
		}
		switch r.Operator {
		case api.NodeSelectorOpIn, api.NodeSelectorOpNotIn:
			if len(r.Values) != 1 {
				errs = append(errs, field.Required(ip.Child("values"), "must be only one value when `operator` is 'In' or 'NotIn' for node field selector"))
			}
		default:
			errs = append(errs, field.Invalid(ip.Child("operator"), string(r.Operator), "not a valid selector operator"))
		}
	}
	return errs
}

// validatePodSpecUpdate applies the update rules of ValidatePod.
func validatePodSpecUpdate(s, old *api.PodSpec, p *field.Path) field.ErrorList {
	// Most pod updates (status, labels, finalizers) leave the spec as it
	// was, and an unchanged spec breaks no rule: skip the copy and the
	// JSON comparison below, which cost more than the rest of the write.
	if reflect.DeepEqual(s, old) {
		return nil
	}
	var errs field.ErrorList
	if old.ActiveDeadlineSeconds != nil {
		ap := p.Child("activeDeadlineSeconds")
		switch {
		case s.ActiveDeadlineSeconds == nil:
			errs = append(errs, field.Invalid(ap, nil, "must not update from a positive integer to nil value"))
		case *s.ActiveDeadlineSeconds > *old.ActiveDeadlineSeconds:
			errs = append(errs, field.Invalid(ap, *s.ActiveDeadlineSeconds, "must be less than or equal to previous value"))
		}
	}
	for _, ot := range old.Tolerations {
		if !slices.ContainsFunc(s.Tolerations, func(t api.Toleration) bool {
			return t.Key == ot.Key && t.Operator == ot.Operator && t.Value == ot.Value && t.Effect == ot.Effect
		}) {
			errs = append(errs, field.Forbidden(p.Child("tolerations"), "existing toleration can not be modified except its tolerationSeconds"))
			break
		}
	}

	// Copy the new spec, give it the old values of every mutable field and
	// compare what is left.
	m := api.DeepCopy(*s)
	if len(m.Containers) == len(old.Containers) {
		for i := range m.Containers {
			m.Containers[i].Image = old.Containers[i].Image
		}
	}
	if len(m.InitContainers) == len(old.InitContainers) {
		for i := range m.InitContainers {
			m.InitContainers[i].Image = old.InitContainers[i].Image
		}
	}
	m.ActiveDeadlineSeconds = old.ActiveDeadlineSeconds
	m.Tolerations = old.Tolerations
	// Scheduling gates may only be removed.
	gp := p.Child("schedulingGates")
	for i, g := range s.SchedulingGates {
		if !slices.Contains(old.SchedulingGates, g) {
			errs = append(errs, field.Forbidden(gp.Index(i), fmt.Sprintf("only deletion is allowed, but found new scheduling gate '%s'", g.Name)))
		}
	}
	m.SchedulingGates = old.SchedulingGates
	if g, og := m.TerminationGracePeriodSeconds, old.TerminationGracePeriodSeconds; g != nil && *g == 1 && og != nil && *og < 0 {
		m.TerminationGracePeriodSeconds = og
	}
	if changed := changedFields(&m, old); len(changed) > 0 {
		errs = append(errs, field.Forbidden(p, podUpdateForbiddenMsg+"\n  changed: "+strings.Join(changed, ", ")))
	}
	return errs
}

// changedFields lists the top-level fields of two pod specs whose JSON
// differs, prefixed with "spec.".
func changedFields(a, b *api.PodSpec) []string {
	var ma, mb map[string]json.RawMessage
	ja, _ := json.Marshal(a) // PodSpec always marshals
	jb, _ := json.Marshal(b)
	_ = json.Unmarshal(ja, &ma)
	_ = json.Unmarshal(jb, &mb)
	var changed []string
	for _, k := range sortedKeys(ma) {
		if string(ma[k]) != string(mb[k]) {
			changed = append(changed, "spec."+k)
		}
	}
	for _, k := range sortedKeys(mb) {
		if _, ok := ma[k]; !ok {
			changed = append(changed, "spec."+k)
		}
	}
	slices.Sort(changed)
	return changed
}
