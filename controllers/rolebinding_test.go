package controllers_test

import (
	"strings"
	"testing"
	"time"

	"github.com/minik8s/minik8s/internal/testenv"
	"github.com/minik8s/minik8s/internal/testsvc"
)

// TestBindingToMissingRole: a RoleBinding naming a missing Role binds
// nothing, and says so in a Warning event that kubectl shows; once the
// role exists the binding works; deleting the ClusterRole of a
// ClusterRoleBinding brings the warning back for it.
func TestBindingToMissingRole(t *testing.T) {
	testsvc.Slow(t, "the controllers, the API server and the real kubectl")
	s := testenv.StartAPIServer(t, testenv.Options{})
	startManager(t, s)
	apply(t, s, `
apiVersion: v1
kind: Namespace
metadata: {name: team}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: readers, namespace: team}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: reader}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: carol}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: node-reader}
rules: [{apiGroups: [""], resources: [nodes], verbs: [get, list]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: node-readers}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: node-reader}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: carol}]
`)
	events := func(ns, name string) string {
		out, err := s.Kubectl(t, "", "get", "events", "-n", ns, "--field-selector", "involvedObject.name="+name,
			"-o", "custom-columns=TYPE:.type,REASON:.reason,MESSAGE:.message", "--no-headers")
		if err != nil {
			t.Fatalf("get events: %v %s", err, out)
		}
		return out
	}
	canI := func(verb, res, ns string) string {
		args := []string{"auth", "can-i", verb, res, "--as", "carol"}
		if ns != "" {
			args = append(args, "-n", ns)
		}
		out, _ := s.Kubectl(t, "", args...)
		return strings.TrimSpace(out)
	}
	want := `Warning   RoleNotFound   role.rbac.authorization.k8s.io "reader" not found: this binding grants nothing until it exists`
	eventually(t, 10*time.Second, "the RoleNotFound event on team/readers", func() bool {
		return strings.Contains(events("team", "readers"), want)
	})
	if got := canI("list", "pods", "team"); got != "no" {
		t.Fatalf("carol list pods in team before the role exists: %q", got)
	}
	if ev := events("", "node-readers"); ev != "" && !strings.Contains(ev, "No resources") {
		t.Fatalf("a binding whose role exists got events: %q", ev)
	}
	apply(t, s, `
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: reader, namespace: team}
rules: [{apiGroups: [""], resources: [pods], verbs: [list]}]
`)
	eventually(t, 10*time.Second, "carol may list pods once the role exists", func() bool { return canI("list", "pods", "team") == "yes" })
	if out, err := s.Kubectl(t, "", "delete", "clusterrole", "node-reader"); err != nil {
		t.Fatalf("delete clusterrole: %v %s", err, out)
	}
	eventually(t, 10*time.Second, "the RoleNotFound event on node-readers", func() bool {
		return strings.Contains(events("default", "node-readers"), `clusterrole.rbac.authorization.k8s.io "node-reader" not found`)
	})
}
