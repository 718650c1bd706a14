package apiserver_test

import (
	"strings"
	"testing"
)

// TestKubectlEventsVersions drives one Event through core/v1 and
// events.k8s.io/v1 with the real kubectl: a create at events.k8s.io/v1
// read at both versions (renamed fields), the stricter validation of a
// create at events.k8s.io/v1, an update there that checks the immutable
// regarding against the old object at the same version, each version's
// field selectors in lists, watches and a delete of a collection, and the
// table.
func TestKubectlEventsVersions(t *testing.T) {
	t.Parallel()
	k := newKubectlRun(t)
	k.match("api-versions", k.ok("api-versions"), `(?m)^events\.k8s\.io/v1$`)
	k.ok("create", "-f", k.file("ev.yaml", `apiVersion: events.k8s.io/v1
kind: Event
metadata: {name: e1, namespace: default}
eventTime: "2026-12-07T16:00:00.000000Z"
reportingController: example.com/ctl
reportingInstance: ctl-1
action: Reconcile
reason: Synced
type: Normal
note: all good
regarding: {kind: Pod, name: p1, namespace: default}
`))
	var core struct {
		APIVersion     string            `json:"apiVersion"`
		Message        string            `json:"message"`
		InvolvedObject map[string]string `json:"involvedObject"`
		Reporting      string            `json:"reportingComponent"`
	}
	k.json(&core, "events.v1.", "e1")
	if core.APIVersion != "v1" || core.Message != "all good" || core.InvolvedObject["name"] != "p1" || core.Reporting != "example.com/ctl" {
		t.Fatalf("at core/v1: %+v", core)
	}
	out := k.ok("get", "events.v1.events.k8s.io", "e1", "-o", "json")
	k.match("at events.k8s.io/v1", out, `"apiVersion": "events.k8s.io/v1"`, `"note": "all good"`, `"regarding": \{`, `"reportingController": "example.com/ctl"`)
	if strings.Contains(out, `"involvedObject"`) || strings.Contains(out, `"message"`) {
		t.Fatalf("events.k8s.io/v1 object with core/v1 fields:\n%s", out)
	}
	k.match("table", k.ok("get", "events.events.k8s.io"), `(?m)^LAST SEEN\s+TYPE\s+REASON\s+OBJECT\s+MESSAGE$`, `(?m)\s+Normal\s+Synced\s+pod/p1\s+all good$`)

	// A create at events.k8s.io/v1 must say when, who and what, and leave
	// core/v1's own fields alone.
	k.invalid("strict create", []string{"create", "-f", k.file("bad.yaml", `apiVersion: events.k8s.io/v1
kind: Event
metadata: {name: bad, namespace: default}
reason: X
deprecatedCount: 3
regarding: {kind: Pod, name: p1, namespace: default}
`)}, `eventTime: Required value`, `reportingInstance: Required value`, `type: Required value`, `count: Invalid value: "": needs to be unset`)

	// An update at events.k8s.io/v1 compares regarding with the old
	// object at that version: changing the note passes, the subject not.
	k.ok("patch", "events.events.k8s.io", "e1", "--type=merge", "-p", `{"note":"changed","series":{"count":2,"lastObservedTime":"2026-12-07T16:02:00.000000Z"}}`)
	k.invalid("regarding changed", []string{"patch", "events.events.k8s.io", "e1", "--type=merge", "-p", `{"regarding":{"name":"p2"}}`},
		`involvedObject: Invalid value: .*"name":"p2".*: field is immutable`)
	k.match("series at core/v1", k.ok("get", "events", "e1", "-o", "jsonpath={.message} {.series.count}"), `^changed 2$`)

	// Each version selects on its own field names.
	k.match("v1 selector", k.ok("get", "events.events.k8s.io", "--field-selector", "regarding.name=p1", "-o", "name"), `^event.events.k8s.io/e1\n$`)
	k.match("v1 selector, no match", k.ok("get", "events.events.k8s.io", "--field-selector", "regarding.name=p2", "-o", "name"), `^$`)
	k.match("core selector", k.ok("get", "events", "--field-selector", "involvedObject.name=p1,reportingComponent=example.com/ctl", "-o", "name"), `^event/e1\n$`)
	if out, err := k.s.Kubectl(t, "", "get", "events.events.k8s.io", "--field-selector", "involvedObject.name=p1"); err == nil ||
		!strings.Contains(out, `"involvedObject.name" is not a known field selector`) {
		t.Fatalf("core/v1's field name at events.k8s.io/v1: %v\n%s", err, out)
	}
	watch := k.ok("get", "--raw", "/apis/events.k8s.io/v1/namespaces/default/events?watch=1&timeoutSeconds=1&fieldSelector=regarding.name%3Dp1")
	k.match("watch", watch, `"type":"ADDED","object":\{[^\n]*"apiVersion":"events.k8s.io/v1"[^\n]*"note":"changed"`)
	k.match("delete collection", k.ok("delete", "events.events.k8s.io", "--field-selector", "regarding.name=p1"), `event.events.k8s.io "e1" deleted`)
	k.match("gone", k.ok("get", "events", "-o", "name"), `^$`)
}
