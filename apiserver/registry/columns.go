package registry

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// columns are the server-side table columns of each kind, after NAME (and
// before AGE, which every table ends with unless listed here; see
// TableColumns). The cells follow kubectl's own printers (Kubernetes'
// pkg/printers/internalversion) and read the decoded JSON object, in which
// numbers may be json.Number or float64.
var columns = map[string][]Column{
	"Namespace": {
		{Name: "Status", Type: "string", Description: "The current phase of the namespace.",
			Cell: func(o map[string]any, _ time.Time) any { return str(o, "status", "phase") }},
	},
	"Node": {
		{Name: "Status", Type: "string", Description: "The readiness of the node and whether it accepts new pods.",
			Cell: func(o map[string]any, _ time.Time) any { return nodeStatus(o) }},
		{Name: "Roles", Type: "string", Description: "The roles of the node, from its node-role.kubernetes.io/ labels.",
			Cell: func(o map[string]any, _ time.Time) any { return nodeRoles(o) }},
		ageColumn,
		{Name: "Version", Type: "string", Description: "Kubelet version reported by the node.",
			Cell: func(o map[string]any, _ time.Time) any { return str(o, "status", "nodeInfo", "kubeletVersion") }},
		{Name: "Internal-IP", Type: "string", Priority: 1, Description: "The node's first InternalIP address.",
			Cell: func(o map[string]any, _ time.Time) any { return nodeAddress(o, "InternalIP") }},
		{Name: "External-IP", Type: "string", Priority: 1, Description: "The node's first ExternalIP address.",
			Cell: func(o map[string]any, _ time.Time) any { return nodeAddress(o, "ExternalIP") }},
		{Name: "OS-Image", Type: "string", Priority: 1, Description: "OS image reported by the node.",
			Cell: func(o map[string]any, _ time.Time) any { return orUnknown(str(o, "status", "nodeInfo", "osImage")) }},
		{Name: "Kernel-Version", Type: "string", Priority: 1, Description: "Kernel version reported by the node.",
			Cell: func(o map[string]any, _ time.Time) any {
				return orUnknown(str(o, "status", "nodeInfo", "kernelVersion"))
			}},
		{Name: "Container-Runtime", Type: "string", Priority: 1, Description: "Container runtime version reported by the node.",
			Cell: func(o map[string]any, _ time.Time) any {
				return orUnknown(str(o, "status", "nodeInfo", "containerRuntimeVersion"))
			}},
	},
	"Pod": {
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
	"Event": {
		{Name: "Last Seen", Type: "string", Description: "The time at which the most recent occurrence of this event was recorded.",
			Cell: func(o map[string]any, now time.Time) any { last, _, _ := eventTimes(o, now); return last }},
		{Name: "Type", Type: "string", Description: "Type of this event (Normal, Warning).",
			Cell: func(o map[string]any, _ time.Time) any { return str(o, "type") }},
		{Name: "Reason", Type: "string", Description: "A short, machine understandable reason for the event.",
			Cell: func(o map[string]any, _ time.Time) any { return str(o, "reason") }},
		{Name: "Object", Type: "string", Description: "The object this event is about.",
			Cell: func(o map[string]any, _ time.Time) any { return eventObject(o) }},
		{Name: "Subobject", Type: "string", Priority: 1, Description: "The part of the object this event is about.",
			Cell: func(o map[string]any, _ time.Time) any { return str(o, "involvedObject", "fieldPath") }},
		{Name: "Source", Type: "string", Priority: 1, Description: "The component reporting this event.",
			Cell: func(o map[string]any, _ time.Time) any { return eventSource(o) }},
		{Name: "Message", Type: "string", Description: "A human-readable description of the event.",
			Cell: func(o map[string]any, _ time.Time) any { return strings.TrimSpace(str(o, "message")) }},
		{Name: "First Seen", Type: "string", Priority: 1, Description: "The time at which the event was first recorded.",
			Cell: func(o map[string]any, now time.Time) any { _, first, _ := eventTimes(o, now); return first }},
		{Name: "Count", Type: "string", Priority: 1, Description: "The number of times this event has occurred.",
			Cell: func(o map[string]any, now time.Time) any { _, _, count := eventTimes(o, now); return count }},
		{Name: "Name", Type: "string", Format: "name", Priority: 1, Description: "Name must be unique within a namespace.",
			Cell: func(o map[string]any, _ time.Time) any { return str(o, "metadata", "name") }},
	},
	"ReplicaSet": {
		{Name: "Desired", Type: "integer", Description: "Number of desired pods.",
			Cell: func(o map[string]any, _ time.Time) any { return replicas(o) }},
		{Name: "Current", Type: "integer", Description: "The number of pods the ReplicaSet owns.",
			Cell: func(o map[string]any, _ time.Time) any { return num(o, "status", "replicas") }},
		{Name: "Ready", Type: "integer", Description: "The number of ready pods.",
			Cell: func(o map[string]any, _ time.Time) any { return num(o, "status", "readyReplicas") }},
		ageColumn,
		containersColumn, imagesColumn, selectorColumn,
	},
	"Deployment": {
		{Name: "Ready", Type: "string", Description: "Number of ready pods out of the desired number.",
			Cell: func(o map[string]any, _ time.Time) any {
				return fmt.Sprintf("%d/%d", num(o, "status", "readyReplicas"), replicas(o))
			}},
		{Name: "Up-to-date", Type: "integer", Description: "Total number of pods running the current pod template.",
			Cell: func(o map[string]any, _ time.Time) any { return num(o, "status", "updatedReplicas") }},
		{Name: "Available", Type: "integer", Description: "Total number of available pods (ready for at least minReadySeconds).",
			Cell: func(o map[string]any, _ time.Time) any { return num(o, "status", "availableReplicas") }},
		ageColumn,
		containersColumn, imagesColumn, selectorColumn,
	},
	"Lease": {
		{Name: "Holder", Type: "string", Description: "The identity of the holder of the lease.",
			Cell: func(o map[string]any, _ time.Time) any { return str(o, "spec", "holderIdentity") }},
	},
}

// The wide columns of workloads with a pod template.
var (
	containersColumn = Column{
		Name: "Containers", Type: "string", Priority: 1, Description: "Names of each container in the template.",
		Cell: func(o map[string]any, _ time.Time) any { return templateContainers(o, "name") },
	}
	imagesColumn = Column{
		Name: "Images", Type: "string", Priority: 1, Description: "Images referenced by each container in the template.",
		Cell: func(o map[string]any, _ time.Time) any { return templateContainers(o, "image") },
	}
	selectorColumn = Column{
		Name: "Selector", Type: "string", Priority: 1, Description: "Label selector for the pods.",
		Cell: func(o map[string]any, _ time.Time) any { return selectorString(mapAt(o, "spec", "selector")) },
	}
)

// value walks path through nested maps; nil if any step is missing.
func value(obj map[string]any, path ...string) any {
	var v any = obj
	for _, p := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[p]
	}
	return v
}

// str is the string at path, or "".
func str(obj map[string]any, path ...string) string {
	s, _ := value(obj, path...).(string)
	return s
}

// mapAt is the object at path, or nil.
func mapAt(obj map[string]any, path ...string) map[string]any {
	m, _ := value(obj, path...).(map[string]any)
	return m
}

// list is the array at path, or nil.
func list(obj map[string]any, path ...string) []any {
	l, _ := value(obj, path...).([]any)
	return l
}

// num is the integer at path, or 0. Decoded JSON holds numbers as
// json.Number or float64 (or Go integers when built in code).
func num(obj map[string]any, path ...string) int64 {
	n, _ := toInt(value(obj, path...))
	return n
}

func toInt(v any) (int64, bool) {
	switch n := v.(type) {
	case json.Number:
		if i, err := n.Int64(); err == nil {
			return i, true
		}
		f, err := n.Float64()
		return int64(f), err == nil
	case float64:
		return int64(n), true
	case int:
		return int64(n), true
	case int32:
		return int64(n), true
	case int64:
		return n, true
	}
	return 0, false
}

// replicas is spec.replicas, which defaults to 1.
func replicas(o map[string]any) int64 {
	if n, ok := toInt(value(o, "spec", "replicas")); ok {
		return n
	}
	return 1
}

func orNone(s string) string {
	if s == "" {
		return "<none>"
	}
	return s
}

func orUnknown(s string) string {
	if s == "" {
		return "<unknown>"
	}
	return s
}

// parseTime reads an RFC 3339 timestamp (with or without fractional
// seconds); the zero time if s is not one.
func parseTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}
	}
	return t
}

// since is the age of timestamp ts at now, as kubectl prints it, or
// "<unknown>" when ts is missing.
func since(ts string, now time.Time) string {
	t := parseTime(ts)
	if t.IsZero() {
		return "<unknown>"
	}
	return HumanDuration(now.Sub(t))
}

// HumanDuration renders d with two or three significant figures, the way
// kubectl prints ages: "45s", "3m2s", "15m", "4h", "5h30m", "2d", "3d4h",
// "2y". Durations slightly below zero (clock skew) are "0s"; more than a
// second below is "<invalid>".
func HumanDuration(d time.Duration) string {
	if seconds := int(d.Seconds()); seconds < -1 {
		return "<invalid>"
	} else if seconds < 0 {
		return "0s"
	} else if seconds < 60*2 {
		return fmt.Sprintf("%ds", seconds)
	}
	minutes := int(d / time.Minute)
	if minutes < 10 {
		if s := int(d/time.Second) % 60; s != 0 {
			return fmt.Sprintf("%dm%ds", minutes, s)
		}
		return fmt.Sprintf("%dm", minutes)
	} else if minutes < 60*3 {
		return fmt.Sprintf("%dm", minutes)
	}
	hours := int(d / time.Hour)
	switch {
	case hours < 8:
		if m := minutes % 60; m != 0 {
			return fmt.Sprintf("%dh%dm", hours, m)
		}
		return fmt.Sprintf("%dh", hours)
	case hours < 48:
		return fmt.Sprintf("%dh", hours)
	case hours < 24*8:
		if h := hours % 24; h != 0 {
			return fmt.Sprintf("%dd%dh", hours/24, h)
		}
		return fmt.Sprintf("%dd", hours/24)
	case hours < 24*365*2:
		return fmt.Sprintf("%dd", hours/24)
	case hours < 24*365*8:
		if dy := (hours / 24) % 365; dy != 0 {
			return fmt.Sprintf("%dy%dd", hours/24/365, dy)
		}
		return fmt.Sprintf("%dy", hours/24/365)
	}
	return fmt.Sprintf("%dy", hours/24/365)
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

// nodeStatus is "Ready", "NotReady" or "Unknown" (no Ready condition),
// followed by ",SchedulingDisabled" for a cordoned node.
func nodeStatus(o map[string]any) string {
	status := "Unknown"
	for _, c := range list(o, "status", "conditions") {
		c, _ := c.(map[string]any)
		if str(c, "type") == "Ready" {
			status = "NotReady"
			if str(c, "status") == "True" {
				status = "Ready"
			}
			break
		}
	}
	if b, _ := value(o, "spec", "unschedulable").(bool); b {
		status += ",SchedulingDisabled"
	}
	return status
}

// nodeRoles lists, sorted, the roles named by node-role.kubernetes.io/<role>
// labels and by the kubernetes.io/role label, or <none>.
func nodeRoles(o map[string]any) string {
	set := map[string]bool{}
	for k, v := range mapAt(o, "metadata", "labels") {
		v, _ := v.(string)
		switch {
		case strings.HasPrefix(k, "node-role.kubernetes.io/"):
			if role := strings.TrimPrefix(k, "node-role.kubernetes.io/"); role != "" {
				set[role] = true
			}
		case k == "kubernetes.io/role" && v != "":
			set[v] = true
		}
	}
	if len(set) == 0 {
		return "<none>"
	}
	roles := make([]string, 0, len(set))
	for r := range set {
		roles = append(roles, r)
	}
	sort.Strings(roles)
	return strings.Join(roles, ",")
}

// nodeAddress is the node's first address of type typ, or <none>.
func nodeAddress(o map[string]any, typ string) string {
	for _, a := range list(o, "status", "addresses") {
		a, _ := a.(map[string]any)
		if str(a, "type") == typ {
			return str(a, "address")
		}
	}
	return "<none>"
}

// templateContainers joins field (name or image) of the pod template's
// containers with commas.
func templateContainers(o map[string]any, field string) string {
	var out []string
	for _, c := range list(o, "spec", "template", "spec", "containers") {
		c, _ := c.(map[string]any)
		out = append(out, str(c, field))
	}
	return strings.Join(out, ",")
}

// selectorString renders a label selector as kubectl does: "a=b,c in
// (d,e),!f", requirements sorted by key.
func selectorString(sel map[string]any) string {
	type req struct{ key, text string }
	var reqs []req
	for k, v := range mapAt(sel, "matchLabels") {
		v, _ := v.(string)
		reqs = append(reqs, req{k, k + "=" + v})
	}
	for _, e := range list(sel, "matchExpressions") {
		e, _ := e.(map[string]any)
		key := str(e, "key")
		var vals []string
		for _, v := range list(e, "values") {
			s, _ := v.(string)
			vals = append(vals, s)
		}
		sort.Strings(vals)
		text := key
		switch str(e, "operator") {
		case "In":
			text = key + " in (" + strings.Join(vals, ",") + ")"
		case "NotIn":
			text = key + " notin (" + strings.Join(vals, ",") + ")"
		case "DoesNotExist":
			text = "!" + key
		}
		reqs = append(reqs, req{key, text})
	}
	sort.SliceStable(reqs, func(i, j int) bool { return reqs[i].key < reqs[j].key })
	texts := make([]string, len(reqs))
	for i, r := range reqs {
		texts[i] = r.text
	}
	return strings.Join(texts, ",")
}

// eventTimes are an event's LAST SEEN, FIRST SEEN and COUNT, from the
// core/v1 timestamps or, for events.k8s.io-style events, from eventTime and
// series.
func eventTimes(o map[string]any, now time.Time) (last, first string, count int64) {
	firstTS := str(o, "firstTimestamp")
	if firstTS == "" {
		firstTS = str(o, "eventTime")
	}
	first = since(firstTS, now)
	last = first
	if ts := str(o, "lastTimestamp"); ts != "" {
		last = since(ts, now)
	}
	count = num(o, "count")
	if series := mapAt(o, "series"); series != nil {
		last = since(str(series, "lastObservedTime"), now)
		count = num(series, "count")
	} else if count == 0 {
		count = 1
	}
	return last, first, count
}

// eventObject is "kind/name" of the object an event is about.
func eventObject(o map[string]any) string {
	kind := strings.ToLower(str(o, "involvedObject", "kind"))
	if name := str(o, "involvedObject", "name"); name != "" {
		return kind + "/" + name
	}
	return kind
}

// eventSource is "component, host" of the event's reporter.
func eventSource(o map[string]any) string {
	component := str(o, "source", "component")
	if component == "" {
		component = str(o, "reportingComponent")
	}
	host := str(o, "source", "host")
	if host == "" {
		host = str(o, "reportingInstance")
	}
	if component == "" {
		return ""
	}
	if host == "" {
		return component
	}
	return component + ", " + host
}
