package authz_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/minik8s/minik8s/apiserver/authn"
	"github.com/minik8s/minik8s/apiserver/authz"
)

// TestNodeGraphConfigInPods: a node may get the ConfigMaps and Secrets
// its pods reference through env valueFrom, envFrom and volumes (projected
// sources too), and request tokens of its pods' ServiceAccount; another
// node may not, nor may it get an object no pod references.
func TestNodeGraphConfigInPods(t *testing.T) {
	n := authz.NewNode()
	n.ReplacePods([][]byte{[]byte(`{"metadata":{"namespace":"ns","name":"p"},"spec":{"nodeName":"n1","serviceAccountName":"app",
		"containers":[{"name":"c","envFrom":[{"configMapRef":{"name":"cm-from"}},{"secretRef":{"name":"sec-from"}}],
			"env":[{"name":"X","valueFrom":{"secretKeyRef":{"name":"sec-key","key":"k"}}}]}],
		"volumes":[{"name":"v","configMap":{"name":"cm-vol"}},{"name":"kube-api-access-x","projected":{"sources":[
			{"serviceAccountToken":{"path":"token"}},{"configMap":{"name":"kube-root-ca.crt"}},{"secret":{"name":"sec-proj"}}]}}]}}`)})
	user := func(node string) authn.User {
		return authn.User{Name: authn.NodeUserPrefix + node, Groups: []string{authn.NodesGroup, authz.GroupAuthenticated}}
	}
	get := func(node, resource, name string) authz.Attributes {
		return authz.Attributes{User: user(node), Verb: "get", ResourceRequest: true, APIVersion: "v1", Namespace: "ns", Resource: resource, Name: name}
	}
	token := func(node, sa string) authz.Attributes {
		return authz.Attributes{User: user(node), Verb: "create", ResourceRequest: true, APIVersion: "v1", Namespace: "ns",
			Resource: "serviceaccounts", Subresource: "token", Name: sa}
	}
	for _, tt := range []struct {
		a    authz.Attributes
		want bool
	}{
		{get("n1", "configmaps", "cm-from"), true},
		{get("n1", "secrets", "sec-from"), true},
		{get("n1", "secrets", "sec-key"), true},
		{get("n1", "configmaps", "cm-vol"), true},
		{get("n1", "configmaps", "kube-root-ca.crt"), true},
		{get("n1", "secrets", "sec-proj"), true},
		{token("n1", "app"), true},
		{get("n1", "secrets", "other"), false},
		{token("n1", "default"), false},
		{get("n2", "configmaps", "cm-from"), false},
		{token("n2", "app"), false},
	} {
		d, _ := n.Authorize(context.Background(), &tt.a)
		if got := d == authz.Allow; got != tt.want {
			t.Errorf("%s %s %s/%s by %s: allowed %v, want %v", tt.a.Verb, tt.a.Resource, tt.a.Subresource, tt.a.Name, tt.a.User.Name, got, tt.want)
		}
	}
}

func podJSON(uid, node, secret string) []byte {
	return fmt.Appendf(nil, `{"metadata":{"namespace":"ns","name":"p","uid":%q},"spec":{"nodeName":%q,`+
		`"volumes":[{"name":"v","secret":{"secretName":%q}}]}}`, uid, node, secret)
}

// TestNodeGraphChanges feeds the Node authorizer's pod graph the changes
// of a pod's life: an unbound pod is not kept, a change of a bound pod
// with the same uid is skipped without decoding, but a binding, and a pod
// recreated under the same name (a new uid) on another node or unbound,
// are applied.
func TestNodeGraphChanges(t *testing.T) {
	n := authz.NewNode()
	n.ReplacePods(nil)
	canRead := func(node, secret string) bool {
		a := authz.Attributes{User: authn.User{Name: "system:node:" + node, Groups: []string{"system:nodes"}},
			Verb: "get", Resource: "secrets", Namespace: "ns", Name: secret, ResourceRequest: true}
		d, _ := n.Authorize(context.Background(), &a)
		return d == authz.Allow
	}
	// An unbound pod relates no node to anything: the graph keeps none,
	// whether its JSON has an empty nodeName or none (not decoded).
	for _, v := range [][]byte{podJSON("u1", "", "s1"), []byte(`{"metadata":{"namespace":"ns","name":"p","uid":"u1"},"spec":{}}`)} {
		n.ApplyPodChange("ns", "p", "u1", v)
		if node, ok := n.PodNode("ns", "p"); ok {
			t.Fatalf("unbound pod %s: kept, on node %q", v, node)
		}
	}
	n.ApplyPodChange("ns", "p", "u1", podJSON("u1", "n1", "s1")) // the binding
	if node, _ := n.PodNode("ns", "p"); node != "n1" || !canRead("n1", "s1") {
		t.Fatalf("bound pod: node %q, n1 reads s1: %v", node, canRead("n1", "s1"))
	}
	// A status write of the bound pod: skipped, even with a body that
	// would not decode.
	n.ApplyPodChange("ns", "p", "u1", []byte("not json"))
	if node, _ := n.PodNode("ns", "p"); node != "n1" || !canRead("n1", "s1") {
		t.Fatalf("after a status change: node %q", node)
	}
	// Deleted and recreated under the same name on another node.
	n.DeletePod("ns", "p")
	n.ApplyPodChange("ns", "p", "u2", podJSON("u2", "n2", "s2"))
	if node, _ := n.PodNode("ns", "p"); node != "n2" || canRead("n1", "s1") || !canRead("n2", "s2") {
		t.Fatalf("recreated pod: node %q, n1 reads s1 %v, n2 reads s2 %v", node, canRead("n1", "s1"), canRead("n2", "s2"))
	}
	// A change with another uid without a delete between (a replayed
	// watch) is applied too.
	n.ApplyPodChange("ns", "p", "u3", podJSON("u3", "n3", "s3"))
	if node, _ := n.PodNode("ns", "p"); node != "n3" || !canRead("n3", "s3") || canRead("n2", "s2") {
		t.Fatalf("pod with a new uid: node %q", node)
	}
	// Recreated unbound without a delete between: n3 loses its reference.
	n.ApplyPodChange("ns", "p", "u4", []byte(`{"metadata":{"namespace":"ns","name":"p","uid":"u4"},"spec":{}}`))
	if node, ok := n.PodNode("ns", "p"); ok || canRead("n3", "s3") {
		t.Fatalf("pod recreated unbound: kept on node %q, n3 reads s3 %v", node, canRead("n3", "s3"))
	}
}
