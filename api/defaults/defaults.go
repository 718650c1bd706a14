package defaults

import (
	"strings"

	"github.com/minik8s/minik8s/api"
)

// Pod defaults a pod: its spec as PodSpec does; container requests from
// limits; the tolerations of Kubernetes' DefaultTolerationSeconds admission
// (not-ready and unreachable, NoExecute, 300 s) unless the pod already
// tolerates them. A new pod's status (phase, QoS class) is the API
// server's; see the pod's declaration in apiserver/registry.
func Pod(obj map[string]any) {
	spec := ensure(obj, "spec")
	PodSpec(spec)
	for _, list := range []string{"initContainers", "containers"} {
		for _, c := range objects(spec, list) {
			defaultRequestsFromLimits(c)
		}
	}
	defaultTolerations(spec)
}

// PodSpec defaults a pod spec, of a pod or a template: restartPolicy
// Always, terminationGracePeriodSeconds 30, dnsPolicy ClusterFirst,
// securityContext {}, schedulerName default-scheduler, enableServiceLinks
// true, host ports under host networking, and each container and volume.
func PodSpec(spec map[string]any) {
	if spec == nil {
		return
	}
	setIfZero(spec, "restartPolicy", string(api.RestartPolicyAlways))
	setIfAbsent(spec, "terminationGracePeriodSeconds", num(api.DefaultTerminationGracePeriodSeconds))
	setIfZero(spec, "dnsPolicy", string(api.DNSClusterFirst))
	setIfAbsent(spec, "securityContext", map[string]any{})
	setIfZero(spec, "schedulerName", api.DefaultSchedulerName)
	setIfAbsent(spec, "enableServiceLinks", true)
	// serviceAccount is the deprecated name of serviceAccountName: each
	// fills in the other, as Kubernetes' conversion does on every decode.
	if sa, _ := spec["serviceAccountName"].(string); sa != "" {
		setIfZero(spec, "serviceAccount", sa)
	} else if sa, _ := spec["serviceAccount"].(string); sa != "" {
		spec["serviceAccountName"] = sa
	}
	hostNetwork, _ := spec["hostNetwork"].(bool)
	for _, list := range []string{"initContainers", "containers"} {
		for _, c := range objects(spec, list) {
			container(c, hostNetwork)
		}
	}
	for _, v := range objects(spec, "volumes") {
		volume(v)
	}
}

func container(c map[string]any, hostNetwork bool) {
	setIfZero(c, "terminationMessagePath", api.DefaultTerminationMessagePath)
	setIfZero(c, "terminationMessagePolicy", string(api.TerminationMessageReadFile))
	if image, ok := c["image"].(string); ok && image != "" {
		setIfZero(c, "imagePullPolicy", string(pullPolicy(image)))
	}
	for _, p := range objects(c, "ports") {
		setIfZero(p, "protocol", string(api.ProtocolTCP))
		if cp, ok := p["containerPort"]; ok && hostNetwork {
			setIfZero(p, "hostPort", cp)
		}
	}
	for _, name := range []string{"livenessProbe", "readinessProbe", "startupProbe"} {
		probe(child(c, name))
	}
	for _, e := range objects(c, "env") {
		if f := child(child(e, "valueFrom"), "fieldRef"); f != nil {
			setIfZero(f, "apiVersion", "v1")
		}
	}
}

// pullPolicy is Always for an image tagged latest or not tagged at all,
// else IfNotPresent (also for an image pinned by digest).
func pullPolicy(image string) api.PullPolicy {
	if strings.Contains(image, "@") {
		return api.PullIfNotPresent
	}
	name := image[strings.LastIndex(image, "/")+1:] // a registry host may have a port
	if i := strings.LastIndex(name, ":"); i >= 0 && name[i+1:] != "latest" {
		return api.PullIfNotPresent
	}
	return api.PullAlways
}

func probe(p map[string]any) {
	if p == nil {
		return
	}
	setIfZero(p, "timeoutSeconds", num(1))
	setIfZero(p, "periodSeconds", num(10))
	setIfZero(p, "successThreshold", num(1))
	setIfZero(p, "failureThreshold", num(3))
	if h := child(p, "httpGet"); h != nil {
		setIfZero(h, "path", "/")
		setIfZero(h, "scheme", string(api.URISchemeHTTP))
	}
}

func volume(v map[string]any) {
	for _, src := range []string{"configMap", "secret", "projected"} {
		setIfAbsent(child(v, src), "defaultMode", num(0o644))
	}
	if h := child(v, "hostPath"); h != nil {
		setIfAbsent(h, "type", "")
	}
}

// defaultRequestsFromLimits copies each limit without a request to the
// requests, as Kubernetes does for pods (not for templates).
func defaultRequestsFromLimits(c map[string]any) {
	res := child(c, "resources")
	limits := child(res, "limits")
	if len(limits) == 0 {
		return
	}
	requests := ensure(res, "requests")
	if requests == nil {
		return
	}
	for k, v := range limits {
		setIfAbsent(requests, k, v)
	}
}

// defaultTolerations adds the tolerations of the DefaultTolerationSeconds
// admission plugin.
func defaultTolerations(spec map[string]any) {
	if spec == nil { // not an object: validation refuses the pod
		return
	}
	existing, ok := spec["tolerations"].([]any)
	if !ok && spec["tolerations"] != nil {
		return
	}
	for _, key := range []string{api.TaintNodeNotReady, api.TaintNodeUnreachable} {
		if tolerates(existing, key) {
			continue
		}
		existing = append(existing, map[string]any{
			"key": key, "operator": string(api.TolerationOpExists),
			"effect": string(api.TaintEffectNoExecute), "tolerationSeconds": num(300),
		})
	}
	spec["tolerations"] = existing
}

// tolerates reports whether a toleration already matches the NoExecute
// taint with the key.
func tolerates(ts []any, key string) bool {
	for _, v := range ts {
		t, ok := v.(map[string]any)
		if !ok {
			continue
		}
		k, _ := t["key"].(string)
		op, _ := t["operator"].(string)
		effect, _ := t["effect"].(string)
		if (k == key || (k == "" && op == string(api.TolerationOpExists))) &&
			(effect == "" || effect == string(api.TaintEffectNoExecute)) {
			return true
		}
	}
	return false
}

// Deployment defaults a Deployment: replicas 1, strategy RollingUpdate
// with maxUnavailable and maxSurge 25%, revisionHistoryLimit 10,
// progressDeadlineSeconds 600, and its pod template.
func Deployment(obj map[string]any) {
	spec := ensure(obj, "spec")
	if spec == nil {
		return
	}
	setIfAbsent(spec, "replicas", num(1))
	strategy := ensure(spec, "strategy")
	setIfZero(strategy, "type", string(api.RollingUpdateDeploymentStrategyType))
	if strategy != nil && strategy["type"] == string(api.RollingUpdateDeploymentStrategyType) {
		ru := ensure(strategy, "rollingUpdate")
		setIfAbsent(ru, "maxUnavailable", "25%")
		setIfAbsent(ru, "maxSurge", "25%")
	}
	setIfAbsent(spec, "revisionHistoryLimit", num(10))
	setIfAbsent(spec, "progressDeadlineSeconds", num(600))
	PodSpec(ensure(ensure(spec, "template"), "spec"))
}

// ReplicaSet defaults a ReplicaSet: replicas 1 and its pod template.
func ReplicaSet(obj map[string]any) {
	spec := ensure(obj, "spec")
	if spec == nil {
		return
	}
	setIfAbsent(spec, "replicas", num(1))
	PodSpec(ensure(ensure(spec, "template"), "spec"))
}

// Namespace defaults a namespace: status.phase Active, and spec.finalizers
// ["kubernetes"] when it names none and is not being deleted, so that
// deleting it waits for the namespace controller to empty it (and that
// controller's removal of the finalizer is not undone).
func Namespace(obj map[string]any) {
	setIfZero(ensure(obj, "status"), "phase", api.NamespaceActive)
	if child(obj, "metadata")["deletionTimestamp"] == nil {
		setIfAbsent(ensure(obj, "spec"), "finalizers", []any{api.FinalizerKubernetes})
	}
}

// Node defaults a node: status.allocatable to its capacity.
func Node(obj map[string]any) {
	status := child(obj, "status")
	capacity := child(status, "capacity")
	if capacity == nil {
		return
	}
	if _, ok := status["allocatable"]; ok && status["allocatable"] != nil {
		return
	}
	alloc := make(map[string]any, len(capacity))
	for k, v := range capacity {
		alloc[k] = v
	}
	status["allocatable"] = alloc
}
