package registry

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/api/defaults"
	"github.com/minik8s/minik8s/api/validation"
)

// pods: core/v1 Pod. A new pod is Pending with its QoS class computed
// once from its (defaulted) requests and limits; the class never changes
// afterwards, not even through /status. Spec writes keep the status, which
// the scheduler (binding) and the kubelet (/status) write. A bound pod that
// has not finished gets a grace period on delete, which its kubelet ends.
var pods = &Resource{
	Version: "v1", Kind: "Pod", Name: "pods", Singular: "pod", Namespaced: true,
	ShortNames: []string{"po"}, Categories: []string{"all"},
	Subresources: []string{"status", "binding", "eviction", "log", "exec", "attach", "portforward", "proxy"},
	Schema:       GoType[api.Pod](),
	Strategy: Strategy{
		Default: defaults.Pod,
		PrepareForCreate: func(o Object) {
			status := map[string]any{"phase": string(api.PodPending)}
			if spec, ok := podResources(o["spec"]); ok {
				status["qosClass"] = string(api.ComputeQOSClass(spec))
			} // else validation refuses the pod
			o["status"] = status
		},
		PrepareForUpdate: KeepStatus,
		PrepareForStatusUpdate: func(next, cur Object) {
			qos := value(cur, "status", "qosClass")
			status, ok := next["status"].(map[string]any)
			if qos == nil || !ok {
				return
			}
			status["qosClass"] = qos
		},
		Validate:       Typed(validation.ValidatePod),
		ValidateStatus: Typed(validation.ValidatePodStatusUpdate),
		GracePeriod:    podGracePeriod,
	},
	Fields: map[string][]string{
		"spec.nodeName":            {"spec", "nodeName"},
		"spec.schedulerName":       {"spec", "schedulerName"},
		"spec.restartPolicy":       {"spec", "restartPolicy"},
		"spec.serviceAccountName":  {"spec", "serviceAccountName"},
		"spec.hostNetwork":         {"spec", "hostNetwork"},
		"status.phase":             {"status", "phase"},
		"status.podIP":             {"status", "podIP"},
		"status.nominatedNodeName": {"status", "nominatedNodeName"},
	},
	WatchIndex: "spec.nodeName",
	Columns: []Column{
		{Name: "Ready", Type: "string", Description: "The number of ready containers out of all containers.",
			Cell: func(o map[string]any, now time.Time) any { return podSummary(o, now).ready }},
		{Name: "Status", Type: "string", Description: "The pod's status as kubectl derives it from its phase and container states.",
			Cell: func(o map[string]any, now time.Time) any { return podSummary(o, now).status }},
		{Name: "Restarts", Type: "string", Description: "The number of container restarts and how long ago the last one was.",
			Cell: func(o map[string]any, now time.Time) any { return podSummary(o, now).restarts }},
		ageColumn,
		{Name: "IP", Type: "string", Priority: 1, Description: "The pod's IP address.",
			Cell: func(o map[string]any, _ time.Time) any { return podIP(o) }},
		{Name: "Node", Type: "string", Priority: 1, Description: "The node the pod is bound to.",
			Cell: func(o map[string]any, _ time.Time) any { return orNone(str(o, "spec", "nodeName")) }},
		{Name: "Nominated Node", Type: "string", Priority: 1, Description: "The node the scheduler nominated for a preempting pod.",
			Cell: func(o map[string]any, _ time.Time) any { return orNone(str(o, "status", "nominatedNodeName")) }},
		{Name: "Readiness Gates", Type: "string", Priority: 1, Description: "The number of readiness gates that are true out of all.",
			Cell: func(o map[string]any, _ time.Time) any { return readinessGates(o) }},
	},
}

func init() { register(pods) }

// podResources reads what api.ComputeQOSClass looks at, the containers'
// and init containers' resources, from a pod spec in the pipeline's form.
// It reads quantities written as strings or numbers directly and hands
// anything else to As (a JSON round trip of the whole spec, which cost a
// create about 6% of its CPU). It fails where As fails: validation then
// refuses the pod.
func podResources(spec any) (*api.PodSpec, bool) {
	m, ok := spec.(map[string]any)
	if !ok {
		return nil, false
	}
	var ps api.PodSpec
	for _, f := range []struct {
		key string
		dst *[]api.Container
	}{{"containers", &ps.Containers}, {"initContainers", &ps.InitContainers}} {
		if m[f.key] == nil {
			continue
		}
		list, ok := m[f.key].([]any)
		if !ok {
			return slowPodResources(spec)
		}
		*f.dst = make([]api.Container, len(list))
		for i, c := range list {
			cm, ok := c.(map[string]any)
			if !ok {
				return slowPodResources(spec)
			}
			if cm["resources"] == nil {
				continue
			}
			res, ok := cm["resources"].(map[string]any)
			if !ok {
				return slowPodResources(spec)
			}
			r := &(*f.dst)[i].Resources
			if r.Limits, ok = resourceList(res["limits"]); !ok {
				return slowPodResources(spec)
			}
			if r.Requests, ok = resourceList(res["requests"]); !ok {
				return slowPodResources(spec)
			}
		}
	}
	return &ps, true
}

func slowPodResources(spec any) (*api.PodSpec, bool) {
	ps, err := As[api.PodSpec](spec)
	return ps, err == nil
}

// resourceList reads a map of quantities written as strings or JSON
// numbers; false for anything else.
func resourceList(v any) (api.ResourceList, bool) {
	if v == nil {
		return nil, true
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, false
	}
	rl := make(api.ResourceList, len(m))
	for k, q := range m {
		var s string
		switch q := q.(type) {
		case string:
			s = q
		case json.Number:
			s = q.String()
		default:
			return nil, false
		}
		p, err := api.ParseQuantity(s)
		if err != nil {
			return nil, false
		}
		rl[api.ResourceName(k)] = p
	}
	return rl, true
}

// podGracePeriod is the grace a deleted pod gets: the request's, else the
// pod's own (30 s by default); zero for a pod no kubelet runs (unbound or
// finished).
func podGracePeriod(o Object, requested *int64) int64 {
	if str(o, "spec", "nodeName") == "" {
		return 0
	}
	switch str(o, "status", "phase") {
	case string(api.PodSucceeded), string(api.PodFailed):
		return 0
	}
	if requested != nil {
		return max(*requested, 0)
	}
	if g, ok := toInt(value(o, "spec", "terminationGracePeriodSeconds")); ok {
		return g
	}
	return api.DefaultTerminationGracePeriodSeconds
}

// pod is the summary kubectl prints for a pod.
type pod struct{ ready, status, restarts string }

// podSummary derives READY, STATUS and RESTARTS as kubectl's printPod
// does: STATUS is the phase (or status.reason), overridden by the state of
// a failing init container ("Init:CrashLoopBackOff", "Init:1/2"), else by
// the waiting or terminated reason of a container ("ErrImagePull",
// "Completed", "ExitCode:1"), and by "Terminating" once the pod is being
// deleted. Restartable (sidecar) init containers count as containers.
func podSummary(o map[string]any, now time.Time) pod {
	var (
		restarts, ready int
		lastRestart     time.Time
		sidecarRestarts int
		lastSidecar     time.Time
	)
	phase := str(o, "status", "phase")
	reason := phase
	if r := str(o, "status", "reason"); r != "" {
		reason = r
	}
	conditions := list(o, "status", "conditions")
	for _, c := range conditions {
		c, _ := c.(map[string]any)
		if str(c, "type") == "PodScheduled" && str(c, "reason") == "SchedulingGated" {
			reason = "SchedulingGated"
		}
	}

	total := len(list(o, "spec", "containers"))
	initSpecs := list(o, "spec", "initContainers")
	sidecars := map[string]bool{}
	for _, c := range initSpecs {
		c, _ := c.(map[string]any)
		if str(c, "restartPolicy") == "Always" {
			sidecars[str(c, "name")] = true
			total++
		}
	}

	initializing := false
	for i, s := range list(o, "status", "initContainerStatuses") {
		s, _ := s.(map[string]any)
		n := int(num(s, "restartCount"))
		restarts += n
		finished := parseTime(str(s, "lastState", "terminated", "finishedAt"))
		if finished.After(lastRestart) {
			lastRestart = finished
		}
		sidecar := sidecars[str(s, "name")]
		if sidecar {
			sidecarRestarts += n
			if finished.After(lastSidecar) {
				lastSidecar = finished
			}
		}
		terminated := mapAt(s, "state", "terminated")
		waiting := str(s, "state", "waiting", "reason")
		started, _ := s["started"].(bool)
		if terminated != nil && num(terminated, "exitCode") == 0 {
			continue
		}
		if sidecar && started {
			if b, _ := s["ready"].(bool); b {
				ready++
			}
			continue
		}
		initializing = true
		switch {
		case terminated != nil:
			reason = "Init:" + terminatedReason(terminated)
		case waiting != "" && waiting != "PodInitializing":
			reason = "Init:" + waiting
		default:
			reason = fmt.Sprintf("Init:%d/%d", i, len(initSpecs))
		}
		break
	}

	if !initializing || hasCondition(conditions, "Initialized") {
		restarts, lastRestart = sidecarRestarts, lastSidecar
		running := false
		statuses := list(o, "status", "containerStatuses")
		for i := len(statuses) - 1; i >= 0; i-- {
			s, _ := statuses[i].(map[string]any)
			restarts += int(num(s, "restartCount"))
			if finished := parseTime(str(s, "lastState", "terminated", "finishedAt")); finished.After(lastRestart) {
				lastRestart = finished
			}
			terminated := mapAt(s, "state", "terminated")
			isReady, _ := s["ready"].(bool)
			switch {
			case str(s, "state", "waiting", "reason") != "":
				reason = str(s, "state", "waiting", "reason")
			case terminated != nil:
				reason = terminatedReason(terminated)
			case isReady && mapAt(s, "state", "running") != nil:
				running = true
				ready++
			}
		}
		// A pod with a completed container and one still running is running.
		if reason == "Completed" && running {
			reason = "NotReady"
			if hasCondition(conditions, "Ready") {
				reason = "Running"
			}
		}
	}

	if value(o, "metadata", "deletionTimestamp") != nil {
		if str(o, "status", "reason") == "NodeLost" {
			reason = "Unknown"
		} else if phase != "Succeeded" && phase != "Failed" {
			reason = "Terminating"
		}
	}

	r := strconv.Itoa(restarts)
	if restarts != 0 && !lastRestart.IsZero() {
		r = fmt.Sprintf("%d (%s ago)", restarts, HumanDuration(now.Sub(lastRestart)))
	}
	return pod{ready: fmt.Sprintf("%d/%d", ready, total), status: reason, restarts: r}
}

// terminatedReason is a terminated container's reason, or its signal or
// exit code when it has none.
func terminatedReason(t map[string]any) string {
	if r := str(t, "reason"); r != "" {
		return r
	}
	if sig := num(t, "signal"); sig != 0 {
		return fmt.Sprintf("Signal:%d", sig)
	}
	return fmt.Sprintf("ExitCode:%d", num(t, "exitCode"))
}

// hasCondition reports whether the condition of type typ is "True".
func hasCondition(conditions []any, typ string) bool {
	for _, c := range conditions {
		c, _ := c.(map[string]any)
		if str(c, "type") == typ {
			return str(c, "status") == "True"
		}
	}
	return false
}

// podIP is the pod's first IP, or <none>.
func podIP(o map[string]any) string {
	if ips := list(o, "status", "podIPs"); len(ips) > 0 {
		ip, _ := ips[0].(map[string]any)
		if s := str(ip, "ip"); s != "" {
			return s
		}
	}
	return orNone(str(o, "status", "podIP"))
}

// readinessGates is "true/total" for the pod's readiness gates, or <none>.
func readinessGates(o map[string]any) string {
	gates := list(o, "spec", "readinessGates")
	if len(gates) == 0 {
		return "<none>"
	}
	conditions := list(o, "status", "conditions")
	n := 0
	for _, g := range gates {
		g, _ := g.(map[string]any)
		if hasCondition(conditions, str(g, "conditionType")) {
			n++
		}
	}
	return fmt.Sprintf("%d/%d", n, len(gates))
}
