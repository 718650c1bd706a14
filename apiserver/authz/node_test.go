package authz_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/minik8s/minik8s/apiserver/authn"
	"github.com/minik8s/minik8s/apiserver/authz"
)

func podJSON(uid, node, secret string) []byte {
	return fmt.Appendf(nil, `{"metadata":{"namespace":"ns","name":"p","uid":%q},"spec":{"nodeName":%q,`+
		`"volumes":[{"name":"v","secret":{"secretName":%q}}]}}`, uid, node, secret)
}

// TestNodeGraphChanges feeds the Node authorizer's pod graph the changes
// of a pod's life: a change of a bound pod with the same uid is skipped
// without decoding, but a binding, and a pod recreated under the same
// name (a new uid) on another node, are applied.
func TestNodeGraphChanges(t *testing.T) {
	n := authz.NewNode()
	n.ReplacePods(nil)
	canRead := func(node, secret string) bool {
		a := authz.Attributes{User: authn.User{Name: "system:node:" + node, Groups: []string{"system:nodes"}},
			Verb: "get", Resource: "secrets", Namespace: "ns", Name: secret, ResourceRequest: true}
		d, _ := n.Authorize(context.Background(), &a)
		return d == authz.Allow
	}
	n.ApplyPodChange("ns", "p", "u1", podJSON("u1", "", "s1"))
	if node, ok := n.PodNode("ns", "p"); !ok || node != "" {
		t.Fatalf("unbound pod: node %q, known %v", node, ok)
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
}
