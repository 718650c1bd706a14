package registry

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"
)

var now = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

// ago is the RFC 3339 timestamp d before now.
func ago(d time.Duration) string { return now.Add(-d).Format(time.RFC3339) }

// obj decodes JSON as the API server does (numbers as json.Number).
func obj(t *testing.T, s string) map[string]any {
	t.Helper()
	d := json.NewDecoder(strings.NewReader(s))
	d.UseNumber()
	var o map[string]any
	if err := d.Decode(&o); err != nil {
		t.Fatalf("decode %s: %v", s, err)
	}
	return o
}

func resource(t *testing.T, kind string) *Resource {
	t.Helper()
	r, ok := ByKind(kind)
	if !ok {
		t.Fatalf("no resource of kind %s", kind)
	}
	return r
}

// cells renders o's row and returns its cells by column name.
func cells(t *testing.T, kind string, o map[string]any) map[string]any {
	t.Helper()
	r := resource(t, kind)
	tab := r.Table([]map[string]any{o}, IncludeNone, "1", now)
	out := map[string]any{}
	row := tab["rows"].([]any)[0].(map[string]any)["cells"].([]any)
	for i, def := range tab["columnDefinitions"].([]any) {
		out[def.(map[string]any)["name"].(string)] = row[i]
	}
	return out
}

func TestHumanDuration(t *testing.T) {
	for _, tc := range []struct {
		d    time.Duration
		want string
	}{
		{-3 * time.Second, "<invalid>"},
		{-time.Second, "0s"},
		{0, "0s"},
		{45 * time.Second, "45s"},
		{119 * time.Second, "119s"},
		{2 * time.Minute, "2m"},
		{3*time.Minute + 2*time.Second, "3m2s"},
		{10 * time.Minute, "10m"},
		{179 * time.Minute, "179m"},
		{3 * time.Hour, "3h"},
		{5*time.Hour + 30*time.Minute, "5h30m"},
		{8*time.Hour + 30*time.Minute, "8h"},
		{47 * time.Hour, "47h"},
		{48 * time.Hour, "2d"},
		{3*24*time.Hour + 4*time.Hour, "3d4h"},
		{8 * 24 * time.Hour, "8d"},
		{400 * 24 * time.Hour, "400d"},
		{2 * 365 * 24 * time.Hour, "2y"},
		{(3*365 + 10) * 24 * time.Hour, "3y10d"},
		{9 * 365 * 24 * time.Hour, "9y"},
	} {
		if got := HumanDuration(tc.d); got != tc.want {
			t.Errorf("HumanDuration(%v) = %q, want %q", tc.d, got, tc.want)
		}
	}
}

func TestTableColumns(t *testing.T) {
	for _, tc := range []struct {
		kind string
		want string // every column; wide ones in brackets
	}{
		{"Pod", "Name Ready Status Restarts Age [IP] [Node] [Nominated Node] [Readiness Gates]"},
		{"Node", "Name Status Roles Age Version [Internal-IP] [External-IP] [OS-Image] [Kernel-Version] [Container-Runtime]"},
		{"Namespace", "Name Status Age"},
		{"Deployment", "Name Ready Up-to-date Available Age [Containers] [Images] [Selector]"},
		{"ReplicaSet", "Name Desired Current Ready Age [Containers] [Images] [Selector]"},
		{"Event", "Last Seen Type Reason Object [Subobject] [Source] Message [First Seen] [Count] [Name]"},
		{"Lease", "Name Holder Age"},
	} {
		t.Run(tc.kind, func(t *testing.T) {
			var got []string
			for _, c := range resource(t, tc.kind).TableColumns() {
				if c.Priority > 0 {
					got = append(got, "["+c.Name+"]")
				} else {
					got = append(got, c.Name)
				}
			}
			if strings.Join(got, " ") != tc.want {
				t.Errorf("columns %q, want %q", strings.Join(got, " "), tc.want)
			}
		})
	}
}

func TestTable(t *testing.T) {
	r := resource(t, "Pod")
	pod := obj(t, `{"kind":"Pod","metadata":{"name":"web","namespace":"default","uid":"u1","creationTimestamp":"`+ago(time.Minute)+`"},
		"spec":{"containers":[{"name":"a"}]},"status":{"phase":"Pending"}}`)
	for _, tc := range []struct {
		include string
		want    any
	}{
		{"", map[string]any{"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": pod["metadata"]}},
		{IncludeMetadata, map[string]any{"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": pod["metadata"]}},
		{IncludeObject, pod},
		{IncludeNone, nil},
	} {
		t.Run("includeObject="+tc.include, func(t *testing.T) {
			tab := r.Table([]map[string]any{pod, pod}, tc.include, "42", now)
			if tab["kind"] != "Table" || tab["apiVersion"] != "meta.k8s.io/v1" ||
				tab["metadata"].(map[string]any)["resourceVersion"] != "42" {
				t.Errorf("table header %v %v %v", tab["kind"], tab["apiVersion"], tab["metadata"])
			}
			defs := tab["columnDefinitions"].([]any)
			first := defs[0].(map[string]any)
			if first["name"] != "Name" || first["format"] != "name" || first["type"] != "string" {
				t.Errorf("first column %v", first)
			}
			rows := tab["rows"].([]any)
			if len(rows) != 2 {
				t.Fatalf("%d rows", len(rows))
			}
			row := rows[0].(map[string]any)
			if len(row["cells"].([]any)) != len(defs) {
				t.Errorf("%d cells for %d columns", len(row["cells"].([]any)), len(defs))
			}
			if got := row["object"]; !reflect.DeepEqual(got, tc.want) {
				t.Errorf("object %v, want %v", got, tc.want)
			}
			if _, err := json.Marshal(tab); err != nil {
				t.Errorf("encode: %v", err)
			}
		})
	}
	if rows := r.Table(nil, "", "1", now)["rows"].([]any); rows == nil || len(rows) != 0 {
		t.Errorf("empty table rows %v, want []", rows)
	}
}

func TestPodCells(t *testing.T) {
	created := `"creationTimestamp":"` + ago(3*time.Minute) + `"`
	for _, tc := range []struct {
		name                    string
		pod                     string
		ready, status, restarts string
		ip, node, gates, age    string
	}{
		{"pending", `{"metadata":{"name":"p",` + created + `},"spec":{"containers":[{"name":"a"}]},"status":{"phase":"Pending"}}`,
			"0/1", "Pending", "0", "<none>", "<none>", "<none>", "3m"},
		{"running", `{"metadata":{"name":"p",` + created + `},"spec":{"nodeName":"n1","containers":[{"name":"a"},{"name":"b"}]},
			"status":{"phase":"Running","podIPs":[{"ip":"10.0.0.7"}],"podIP":"10.0.0.7","containerStatuses":[
			{"name":"a","ready":true,"restartCount":0,"state":{"running":{}}},
			{"name":"b","ready":false,"restartCount":0,"state":{"running":{}}}]}}`,
			"1/2", "Running", "0", "10.0.0.7", "n1", "<none>", "3m"},
		{"crash loop", `{"metadata":{"name":"p",` + created + `},"spec":{"containers":[{"name":"a"}]},
			"status":{"phase":"Running","podIP":"10.0.0.8","containerStatuses":[{"name":"a","ready":false,"restartCount":3,
			"state":{"waiting":{"reason":"CrashLoopBackOff"}},"lastState":{"terminated":{"exitCode":1,"finishedAt":"` + ago(5*time.Second) + `"}}}]}}`,
			"0/1", "CrashLoopBackOff", "3 (5s ago)", "10.0.0.8", "<none>", "<none>", "3m"},
		{"image pull", `{"metadata":{"name":"p"},"spec":{"containers":[{"name":"a"}]},
			"status":{"phase":"Pending","containerStatuses":[{"name":"a","restartCount":0,"state":{"waiting":{"reason":"ErrImagePull"}}}]}}`,
			"0/1", "ErrImagePull", "0", "<none>", "<none>", "<none>", "<unknown>"},
		{"completed", `{"metadata":{"name":"p",` + created + `},"spec":{"containers":[{"name":"a"}]},
			"status":{"phase":"Succeeded","containerStatuses":[{"name":"a","restartCount":0,"state":{"terminated":{"exitCode":0,"reason":"Completed"}}}]}}`,
			"0/1", "Completed", "0", "<none>", "<none>", "<none>", "3m"},
		{"error", `{"metadata":{"name":"p",` + created + `},"spec":{"containers":[{"name":"a"}]},
			"status":{"phase":"Failed","containerStatuses":[{"name":"a","restartCount":0,"state":{"terminated":{"exitCode":2,"reason":"Error"}}}]}}`,
			"0/1", "Error", "0", "<none>", "<none>", "<none>", "3m"},
		{"exit code without reason", `{"metadata":{"name":"p"},"spec":{"containers":[{"name":"a"}]},
			"status":{"phase":"Failed","containerStatuses":[{"name":"a","state":{"terminated":{"exitCode":137}}}]}}`,
			"0/1", "ExitCode:137", "0", "<none>", "<none>", "<none>", "<unknown>"},
		{"signal", `{"metadata":{"name":"p"},"spec":{"containers":[{"name":"a"}]},
			"status":{"phase":"Failed","containerStatuses":[{"name":"a","state":{"terminated":{"exitCode":0,"signal":9}}}]}}`,
			"0/1", "Signal:9", "0", "<none>", "<none>", "<none>", "<unknown>"},
		{"completed beside running is running", `{"metadata":{"name":"p"},"spec":{"containers":[{"name":"a"},{"name":"b"}]},
			"status":{"phase":"Running","conditions":[{"type":"Ready","status":"True"}],"containerStatuses":[
			{"name":"a","ready":true,"state":{"running":{}}},
			{"name":"b","ready":false,"state":{"terminated":{"exitCode":0,"reason":"Completed"}}}]}}`,
			"1/2", "Running", "0", "<none>", "<none>", "<none>", "<unknown>"},
		{"terminating", `{"metadata":{"name":"p","deletionTimestamp":"` + ago(time.Second) + `"},"spec":{"containers":[{"name":"a"}]},
			"status":{"phase":"Running","containerStatuses":[{"name":"a","ready":true,"state":{"running":{}}}]}}`,
			"1/1", "Terminating", "0", "<none>", "<none>", "<none>", "<unknown>"},
		{"deleted after success", `{"metadata":{"name":"p","deletionTimestamp":"` + ago(time.Second) + `"},"spec":{"containers":[{"name":"a"}]},
			"status":{"phase":"Succeeded","containerStatuses":[{"name":"a","state":{"terminated":{"exitCode":0,"reason":"Completed"}}}]}}`,
			"0/1", "Completed", "0", "<none>", "<none>", "<none>", "<unknown>"},
		{"evicted", `{"metadata":{"name":"p"},"spec":{"containers":[{"name":"a"}]},"status":{"phase":"Failed","reason":"Evicted"}}`,
			"0/1", "Evicted", "0", "<none>", "<none>", "<none>", "<unknown>"},
		{"scheduling gated", `{"metadata":{"name":"p"},"spec":{"containers":[{"name":"a"}]},
			"status":{"phase":"Pending","conditions":[{"type":"PodScheduled","status":"False","reason":"SchedulingGated"}]}}`,
			"0/1", "SchedulingGated", "0", "<none>", "<none>", "<none>", "<unknown>"},
		{"init waiting", `{"metadata":{"name":"p"},"spec":{"initContainers":[{"name":"i"}],"containers":[{"name":"a"}]},
			"status":{"phase":"Pending","initContainerStatuses":[{"name":"i","state":{"waiting":{"reason":"PodInitializing"}}}],
			"containerStatuses":[{"name":"a","state":{"waiting":{"reason":"PodInitializing"}}}]}}`,
			"0/1", "Init:0/1", "0", "<none>", "<none>", "<none>", "<unknown>"},
		{"init crash loop", `{"metadata":{"name":"p"},"spec":{"initContainers":[{"name":"i"},{"name":"j"}],"containers":[{"name":"a"}]},
			"status":{"phase":"Pending","initContainerStatuses":[
			{"name":"i","state":{"terminated":{"exitCode":0,"reason":"Completed"}}},
			{"name":"j","restartCount":2,"state":{"waiting":{"reason":"CrashLoopBackOff"}},"lastState":{"terminated":{"exitCode":1,"finishedAt":"` + ago(time.Minute) + `"}}}],
			"containerStatuses":[{"name":"a","state":{"waiting":{"reason":"PodInitializing"}}}]}}`,
			"0/1", "Init:CrashLoopBackOff", "2 (60s ago)", "<none>", "<none>", "<none>", "<unknown>"},
		{"init failed", `{"metadata":{"name":"p"},"spec":{"initContainers":[{"name":"i"}],"containers":[{"name":"a"}]},
			"status":{"phase":"Failed","initContainerStatuses":[{"name":"i","state":{"terminated":{"exitCode":3}}}]}}`,
			"0/1", "Init:ExitCode:3", "0", "<none>", "<none>", "<none>", "<unknown>"},
		{"sidecar counts as a container", `{"metadata":{"name":"p"},"spec":{"initContainers":[{"name":"s","restartPolicy":"Always"}],"containers":[{"name":"a"}]},
			"status":{"phase":"Running","conditions":[{"type":"Initialized","status":"True"}],
			"initContainerStatuses":[{"name":"s","ready":true,"started":true,"restartCount":1,"state":{"running":{}},
			"lastState":{"terminated":{"exitCode":1,"finishedAt":"` + ago(2*time.Hour) + `"}}}],
			"containerStatuses":[{"name":"a","ready":true,"state":{"running":{}}}]}}`,
			"2/2", "Running", "1 (120m ago)", "<none>", "<none>", "<none>", "<unknown>"},
		{"readiness gates", `{"metadata":{"name":"p"},"spec":{"containers":[{"name":"a"}],"readinessGates":[{"conditionType":"x"},{"conditionType":"y"}]},
			"status":{"phase":"Running","podIP":"10.0.0.9","conditions":[{"type":"x","status":"True"},{"type":"y","status":"False"}]}}`,
			"0/1", "Running", "0", "10.0.0.9", "<none>", "1/2", "<unknown>"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := cells(t, "Pod", obj(t, tc.pod))
			got := []any{c["Ready"], c["Status"], c["Restarts"], c["IP"], c["Node"], c["Readiness Gates"], c["Age"]}
			want := []any{tc.ready, tc.status, tc.restarts, tc.ip, tc.node, tc.gates, tc.age}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("READY STATUS RESTARTS IP NODE GATES AGE = %q, want %q", got, want)
			}
		})
	}
}

func TestNodeCells(t *testing.T) {
	for _, tc := range []struct {
		name, node                     string
		status, roles, version         string
		internal, external, os, kernel string
	}{
		{"ready", `{"metadata":{"name":"n","labels":{"node-role.kubernetes.io/worker":"","node-role.kubernetes.io/control-plane":""}},
			"status":{"conditions":[{"type":"MemoryPressure","status":"False"},{"type":"Ready","status":"True"}],
			"addresses":[{"type":"Hostname","address":"n"},{"type":"InternalIP","address":"10.1.0.1"},{"type":"InternalIP","address":"10.1.0.2"}],
			"nodeInfo":{"kubeletVersion":"v1.32.0","osImage":"Ubuntu","kernelVersion":"6.8.0"}}}`,
			"Ready", "control-plane,worker", "v1.32.0", "10.1.0.1", "<none>", "Ubuntu", "6.8.0"},
		{"not ready", `{"metadata":{"name":"n","labels":{"kubernetes.io/role":"master"}},"status":{"conditions":[{"type":"Ready","status":"False"}],
			"addresses":[{"type":"ExternalIP","address":"1.2.3.4"}]}}`,
			"NotReady", "master", "", "<none>", "1.2.3.4", "<unknown>", "<unknown>"},
		{"ready unknown", `{"metadata":{"name":"n"},"status":{"conditions":[{"type":"Ready","status":"Unknown"}]}}`,
			"NotReady", "<none>", "", "<none>", "<none>", "<unknown>", "<unknown>"},
		{"no conditions", `{"metadata":{"name":"n"}}`, "Unknown", "<none>", "", "<none>", "<none>", "<unknown>", "<unknown>"},
		{"cordoned", `{"metadata":{"name":"n"},"spec":{"unschedulable":true},"status":{"conditions":[{"type":"Ready","status":"True"}]}}`,
			"Ready,SchedulingDisabled", "<none>", "", "<none>", "<none>", "<unknown>", "<unknown>"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := cells(t, "Node", obj(t, tc.node))
			got := []any{c["Status"], c["Roles"], c["Version"], c["Internal-IP"], c["External-IP"], c["OS-Image"], c["Kernel-Version"]}
			want := []any{tc.status, tc.roles, tc.version, tc.internal, tc.external, tc.os, tc.kernel}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("cells %q, want %q", got, want)
			}
		})
	}
}

func TestWorkloadCells(t *testing.T) {
	template := `"template":{"spec":{"containers":[{"name":"web","image":"nginx:1.27"},{"name":"log","image":"busybox"}]}}`
	for _, tc := range []struct {
		name, kind, obj string
		want            map[string]any
	}{
		{"deployment", "Deployment", `{"metadata":{"name":"d","creationTimestamp":"` + ago(4*time.Hour) + `"},
			"spec":{"replicas":3,"selector":{"matchLabels":{"app":"web"},"matchExpressions":[{"key":"tier","operator":"In","values":["b","a"]},{"key":"canary","operator":"DoesNotExist"}]},` + template + `},
			"status":{"replicas":3,"readyReplicas":2,"updatedReplicas":3,"availableReplicas":2}}`,
			map[string]any{"Name": "d", "Ready": "2/3", "Up-to-date": int64(3), "Available": int64(2), "Age": "4h",
				"Containers": "web,log", "Images": "nginx:1.27,busybox", "Selector": "app=web,!canary,tier in (a,b)"}},
		{"deployment without status or replicas", "Deployment", `{"metadata":{"name":"d"},"spec":{"selector":{"matchLabels":{"app":"web"}},` + template + `}}`,
			map[string]any{"Ready": "0/1", "Up-to-date": int64(0), "Available": int64(0), "Selector": "app=web"}},
		{"replicaset", "ReplicaSet", `{"metadata":{"name":"rs"},"spec":{"replicas":2,"selector":{"matchExpressions":[{"key":"app","operator":"Exists"}]},` + template + `},
			"status":{"replicas":2,"readyReplicas":1}}`,
			map[string]any{"Desired": int64(2), "Current": int64(2), "Ready": int64(1), "Selector": "app", "Containers": "web,log"}},
		{"replicaset scaled to zero", "ReplicaSet", `{"metadata":{"name":"rs"},"spec":{"replicas":0}}`,
			map[string]any{"Desired": int64(0), "Current": int64(0), "Ready": int64(0), "Selector": "", "Containers": ""}},
		{"namespace", "Namespace", `{"metadata":{"name":"default","creationTimestamp":"` + ago(50*time.Hour) + `"},"status":{"phase":"Active"}}`,
			map[string]any{"Name": "default", "Status": "Active", "Age": "2d2h"}},
		{"lease", "Lease", `{"metadata":{"name":"kube-scheduler"},"spec":{"holderIdentity":"sched-1"}}`,
			map[string]any{"Name": "kube-scheduler", "Holder": "sched-1", "Age": "<unknown>"}},
		{"lease without holder", "Lease", `{"metadata":{"name":"l"},"spec":{}}`, map[string]any{"Holder": ""}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := cells(t, tc.kind, obj(t, tc.obj))
			for col, want := range tc.want {
				if got := c[col]; !reflect.DeepEqual(got, want) {
					t.Errorf("%s = %#v, want %#v", col, got, want)
				}
			}
		})
	}
}

func TestEventCells(t *testing.T) {
	for _, tc := range []struct {
		name, event string
		want        map[string]any
	}{
		{"core event", `{"metadata":{"name":"web.1"},"type":"Warning","reason":"BackOff","message":" Back-off restarting \n",
			"involvedObject":{"kind":"Pod","name":"web","fieldPath":"spec.containers{a}"},"source":{"component":"kubelet","host":"node-1"},
			"firstTimestamp":"` + ago(10*time.Minute) + `","lastTimestamp":"` + ago(30*time.Second) + `","count":4}`,
			map[string]any{"Last Seen": "30s", "Type": "Warning", "Reason": "BackOff", "Object": "pod/web",
				"Subobject": "spec.containers{a}", "Source": "kubelet, node-1", "Message": "Back-off restarting",
				"First Seen": "10m", "Count": int64(4), "Name": "web.1"}},
		{"new-style event", `{"metadata":{"name":"e"},"type":"Normal","reason":"Scheduled","involvedObject":{"kind":"Pod","name":"web"},
			"eventTime":"` + now.Add(-5*time.Second).Format("2006-01-02T15:04:05.000000Z07:00") + `","reportingComponent":"default-scheduler","reportingInstance":""}`,
			map[string]any{"Last Seen": "5s", "First Seen": "5s", "Count": int64(1), "Source": "default-scheduler"}},
		{"series", `{"metadata":{"name":"e"},"involvedObject":{"kind":"Node"},"eventTime":"` + ago(time.Hour) + `",
			"series":{"count":7,"lastObservedTime":"` + ago(2*time.Second) + `"}}`,
			map[string]any{"Last Seen": "2s", "First Seen": "60m", "Count": int64(7), "Object": "node", "Source": ""}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := cells(t, "Event", obj(t, tc.event))
			for col, want := range tc.want {
				if got := c[col]; !reflect.DeepEqual(got, want) {
					t.Errorf("%s = %#v, want %#v", col, got, want)
				}
			}
		})
	}
}

// TestNumbers checks cells read numbers in every form decoded JSON takes.
func TestNumbers(t *testing.T) {
	for _, v := range []any{json.Number("3"), 3.0, 3, int64(3), int32(3)} {
		o := map[string]any{"metadata": map[string]any{"name": "d"}, "spec": map[string]any{"replicas": v},
			"status": map[string]any{"readyReplicas": v}}
		if got := cells(t, "Deployment", o)["Ready"]; got != "3/3" {
			t.Errorf("replicas %T: READY %v, want 3/3", v, got)
		}
	}
}
