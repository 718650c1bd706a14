package limits

import (
	"net/http/httptest"
	"testing"

	"github.com/minik8s/minik8s/apiserver/authn"
	"github.com/minik8s/minik8s/apiserver/reqinfo"
)

func TestClassify(t *testing.T) {
	admin := authn.User{Name: authn.AdminUser, Groups: []string{authn.MastersGroup}}
	sched := authn.User{Name: authn.SchedulerUser}
	cm := authn.User{Name: authn.ControllerManagerUser}
	node := authn.User{Name: authn.NodeUser("n1"), Groups: []string{authn.NodesGroup}}
	tests := []struct {
		name          string
		user          authn.User
		anonymous     bool
		method, path  string
		level, schema string
	}{
		{"probe", authn.User{}, true, "GET", "/readyz", LevelExempt, "probes"},
		{"probe with a token", admin, false, "GET", "/healthz", LevelExempt, "probes"},
		{"scheduler lease", sched, false, "PUT", "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/kube-scheduler", LevelLeaderElection, "system-leader-election"},
		{"controller manager lease", cm, false, "GET", "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/kube-controller-manager", LevelLeaderElection, "system-leader-election"},
		{"scheduler lease elsewhere", sched, false, "GET", "/apis/coordination.k8s.io/v1/namespaces/default/leases/x", LevelWorkloadHigh, "kube-scheduler"},
		{"scheduler binding", sched, false, "POST", "/api/v1/namespaces/default/pods/p/binding", LevelWorkloadHigh, "kube-scheduler"},
		{"controller manager list", cm, false, "GET", "/apis/apps/v1/deployments", LevelWorkloadHigh, "kube-controller-manager"},
		{"node lease", node, false, "PUT", "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/n1", LevelNodeHigh, "system-node-high"},
		{"node status", node, false, "PATCH", "/api/v1/nodes/n1/status", LevelNodeHigh, "system-node-high"},
		{"node pod status", node, false, "PUT", "/api/v1/namespaces/default/pods/p/status", LevelSystem, "system-nodes"},
		{"admin lease", admin, false, "PUT", "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/kube-scheduler", LevelGlobalDefault, "global-default"},
		{"admin list", admin, false, "GET", "/api/v1/pods", LevelGlobalDefault, "global-default"},
		{"anonymous", authn.User{}, true, "GET", "/version", LevelGlobalDefault, "global-default"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			info := reqinfo.New(httptest.NewRequest(tt.method, tt.path, nil))
			level, schema := Classify(tt.user, !tt.anonymous, info)
			if level != tt.level || schema != tt.schema {
				t.Errorf("got %s/%s, want %s/%s", level, schema, tt.level, tt.schema)
			}
		})
	}
}
