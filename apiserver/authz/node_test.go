package authz_test

import (
	"context"
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
