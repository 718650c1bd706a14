package authz

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/apiserver/authn"
)

// NodeLeaseNamespace holds the nodes' heartbeat Leases.
const NodeLeaseNamespace = "kube-node-lease"

// NodeName returns the node a user acts for: a user system:node:<name> in
// group system:nodes, as Kubernetes' Node authorizer recognises nodes.
func NodeName(u authn.User) (string, bool) {
	name, ok := strings.CutPrefix(u.Name, authn.NodeUserPrefix)
	if !ok || name == "" || !u.InGroup(authn.NodesGroup) {
		return "", false
	}
	return name, true
}

// podRefs is what the Node authorizer remembers of a pod: its node and
// the objects it uses.
type podRefs struct {
	uid            string
	node           string
	serviceAccount string
	secrets        []string
	configMaps     []string
	claims         []string
}

// Node is Kubernetes' Node authorizer: it applies the system:node rules
// (NodeRules) to nodes, narrowed by a graph of the pods bound to each
// node. A node may read only the Secrets, ConfigMaps, ServiceAccounts and
// PersistentVolumeClaims its pods use, one at a time; may touch only the
// pods bound to it; may write only its own Node and its own Lease. Other
// users get no opinion. Feed it every pod (ReplacePods, ApplyPod,
// DeletePod).
type Node struct {
	rules []api.PolicyRule
	// Lookup, if set, reads the node of a pod from the store (see
	// PodNodeOr). Set it before use.
	Lookup func(ctx context.Context, ns, name string) (node string, found bool)

	mu     sync.RWMutex
	synced bool
	pods   map[nsName]*podRefs
	byNode map[string]map[nsName]*podRefs
}

// NewNode returns a Node authorizer with no pods.
func NewNode() *Node {
	return &Node{rules: NodeRules(), pods: map[nsName]*podRefs{}, byNode: map[string]map[nsName]*podRefs{}}
}

// Synced reports whether ReplacePods has been called.
func (n *Node) Synced() bool {
	n.mu.RLock()
	defer n.mu.RUnlock()
	return n.synced
}

// podShape is the part of a stored pod the graph reads; it reads the
// JSON directly, so that references in fields minik8s's Go types do not
// model (envFrom, persistentVolumeClaim and projected volumes) count.
type podShape struct {
	Metadata struct {
		Namespace string `json:"namespace"`
		Name      string `json:"name"`
		UID       string `json:"uid"`
	} `json:"metadata"`
	Spec struct {
		NodeName           string `json:"nodeName"`
		ServiceAccountName string `json:"serviceAccountName"`
		ImagePullSecrets   []struct {
			Name string `json:"name"`
		} `json:"imagePullSecrets"`
		Volumes        []volumeShape    `json:"volumes"`
		Containers     []containerShape `json:"containers"`
		InitContainers []containerShape `json:"initContainers"`
	} `json:"spec"`
}

type nameRef struct {
	Name string `json:"name"`
}

type volumeShape struct {
	Secret *struct {
		SecretName string `json:"secretName"`
	} `json:"secret"`
	ConfigMap             *nameRef `json:"configMap"`
	PersistentVolumeClaim *struct {
		ClaimName string `json:"claimName"`
	} `json:"persistentVolumeClaim"`
	Projected *struct {
		Sources []struct {
			Secret    *nameRef `json:"secret"`
			ConfigMap *nameRef `json:"configMap"`
		} `json:"sources"`
	} `json:"projected"`
}

type containerShape struct {
	Env []struct {
		ValueFrom *struct {
			SecretKeyRef    *nameRef `json:"secretKeyRef"`
			ConfigMapKeyRef *nameRef `json:"configMapKeyRef"`
		} `json:"valueFrom"`
	} `json:"env"`
	EnvFrom []struct {
		SecretRef    *nameRef `json:"secretRef"`
		ConfigMapRef *nameRef `json:"configMapRef"`
	} `json:"envFrom"`
}

func refsOf(p *podShape) *podRefs {
	r := &podRefs{uid: p.Metadata.UID, node: p.Spec.NodeName, serviceAccount: p.Spec.ServiceAccountName}
	if r.serviceAccount == "" {
		r.serviceAccount = "default"
	}
	add := func(list *[]string, name string) {
		if name != "" && !slices.Contains(*list, name) {
			*list = append(*list, name)
		}
	}
	for _, s := range p.Spec.ImagePullSecrets {
		add(&r.secrets, s.Name)
	}
	for _, v := range p.Spec.Volumes {
		if v.Secret != nil {
			add(&r.secrets, v.Secret.SecretName)
		}
		if v.ConfigMap != nil {
			add(&r.configMaps, v.ConfigMap.Name)
		}
		if v.PersistentVolumeClaim != nil {
			add(&r.claims, v.PersistentVolumeClaim.ClaimName)
		}
		if v.Projected != nil {
			for _, s := range v.Projected.Sources {
				if s.Secret != nil {
					add(&r.secrets, s.Secret.Name)
				}
				if s.ConfigMap != nil {
					add(&r.configMaps, s.ConfigMap.Name)
				}
			}
		}
	}
	for _, c := range slices.Concat(p.Spec.Containers, p.Spec.InitContainers) {
		for _, e := range c.Env {
			if e.ValueFrom == nil {
				continue
			}
			if e.ValueFrom.SecretKeyRef != nil {
				add(&r.secrets, e.ValueFrom.SecretKeyRef.Name)
			}
			if e.ValueFrom.ConfigMapKeyRef != nil {
				add(&r.configMaps, e.ValueFrom.ConfigMapKeyRef.Name)
			}
		}
		for _, e := range c.EnvFrom {
			if e.SecretRef != nil {
				add(&r.secrets, e.SecretRef.Name)
			}
			if e.ConfigMapRef != nil {
				add(&r.configMaps, e.ConfigMapRef.Name)
			}
		}
	}
	return r
}

// ReplacePods sets every pod (each a stored pod's JSON) and marks the
// authorizer synced. Values that do not decode are skipped.
func (n *Node) ReplacePods(values [][]byte) {
	pods := map[nsName]*podRefs{}
	byNode := map[string]map[nsName]*podRefs{}
	for _, v := range values {
		var p podShape
		if api.UnmarshalTrusted(v, &p) != nil {
			continue
		}
		r := refsOf(&p)
		if r.node == "" {
			continue
		}
		k := nsName{p.Metadata.Namespace, p.Metadata.Name}
		pods[k] = r
		if byNode[r.node] == nil {
			byNode[r.node] = map[nsName]*podRefs{}
		}
		byNode[r.node][k] = r
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	n.pods, n.byNode, n.synced = pods, byNode, true
}

// ApplyPod adds or replaces one pod, given as stored JSON. The graph
// keeps only pods bound to a node, as Kubernetes' graph populator does: a
// pod without a node relates no node to anything.
func (n *Node) ApplyPod(value []byte) {
	var p podShape
	if api.UnmarshalTrusted(value, &p) != nil {
		return
	}
	k := nsName{p.Metadata.Namespace, p.Metadata.Name}
	r := refsOf(&p)
	n.mu.Lock()
	defer n.mu.Unlock()
	n.removeLocked(k)
	if r.node == "" {
		return
	}
	n.pods[k] = r
	if n.byNode[r.node] == nil {
		n.byNode[r.node] = map[nsName]*podRefs{}
	}
	n.byNode[r.node][k] = r
}

// ApplyPodChange is ApplyPod for a change of the pod ns/name whose uid is
// uid, skipping, without decoding it, a pod the graph holds with that uid
// already bound to a node: as Kubernetes' graph populator skips such
// updates, since neither a bound pod's node nor what its spec references
// can change (an update may change only images, tolerations and the
// active deadline). Most pod changes are of that kind (status writes).
// A pod whose JSON has no nodeName is not bound (the field is left out
// when empty): it is forgotten without decoding, which spares every pod
// create the decode.
func (n *Node) ApplyPodChange(ns, name, uid string, value []byte) {
	n.mu.RLock()
	r := n.pods[nsName{ns, name}]
	known := r != nil && r.node != "" && uid != "" && r.uid == uid
	n.mu.RUnlock()
	switch {
	case known:
	case !bytes.Contains(value, []byte(`"nodeName"`)):
		if r != nil {
			n.DeletePod(ns, name)
		}
	default:
		n.ApplyPod(value)
	}
}

// DeletePod forgets the pod ns/name.
func (n *Node) DeletePod(ns, name string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.removeLocked(nsName{ns, name})
}

func (n *Node) removeLocked(k nsName) {
	old := n.pods[k]
	if old == nil {
		return
	}
	delete(n.pods, k)
	if m := n.byNode[old.node]; m != nil {
		delete(m, k)
		if len(m) == 0 {
			delete(n.byNode, old.node)
		}
	}
}

// PodNode returns the node the pod ns/name is bound to, and whether the
// authorizer knows the pod bound (it keeps no others).
func (n *Node) PodNode(ns, name string) (string, bool) {
	n.mu.RLock()
	defer n.mu.RUnlock()
	p := n.pods[nsName{ns, name}]
	if p == nil {
		return "", false
	}
	return p.node, true
}

// PodNodeOr is PodNode, asking Lookup (when set) about a pod the graph
// does not place on a node yet: one bound a moment ago, whose binding the
// graph has not heard of.
func (n *Node) PodNodeOr(ctx context.Context, ns, name string) (string, bool) {
	node, found := n.PodNode(ns, name)
	if (!found || node == "") && n.Lookup != nil {
		return n.Lookup(ctx, ns, name)
	}
	return node, found
}

// uses reports whether a pod on node in namespace ns uses the object
// name of the resource.
func (n *Node) uses(node, ns, resource, name string) bool {
	n.mu.RLock()
	defer n.mu.RUnlock()
	for k, p := range n.byNode[node] {
		if k.ns != ns {
			continue
		}
		var list []string
		switch resource {
		case "secrets":
			list = p.secrets
		case "configmaps":
			list = p.configMaps
		case "persistentvolumeclaims":
			list = p.claims
		case "serviceaccounts":
			list = []string{p.serviceAccount}
		}
		if slices.Contains(list, name) {
			return true
		}
	}
	return false
}

// noRelationship is the Node authorizer's reason for an object none of
// the node's pods uses.
func noRelationship(node string) string {
	return fmt.Sprintf("no relationship found between node '%s' and this object", node)
}

// Authorize implements Authorizer.
func (n *Node) Authorize(ctx context.Context, a *Attributes) (Decision, string) {
	node, ok := NodeName(a.User)
	if !ok {
		return NoOpinion, ""
	}
	if a.ResourceRequest && a.APIGroup == "" {
		switch a.Resource {
		case "secrets", "configmaps", "persistentvolumeclaims", "serviceaccounts":
			return n.authorizeReferenced(node, a)
		case "pods":
			// Writes are NodeRestriction's (the API server's admission);
			// reading a pod by name needs it bound to the node.
			if a.Name != "" && a.Subresource == "" && a.Verb == "get" {
				if podNode, _ := n.PodNodeOr(ctx, a.Namespace, a.Name); podNode != node {
					return NoOpinion, noRelationship(node)
				}
			}
		}
	}
	if a.ResourceRequest && a.APIGroup == groupCoordination && a.Resource == "leases" {
		if a.Namespace != NodeLeaseNamespace || (a.Name != "" && a.Name != node) || a.Subresource != "" {
			return NoOpinion, "can only access node lease with the same name as the requesting node"
		}
	}
	if anyAllows(a, n.rules) {
		return Allow, ""
	}
	return NoOpinion, ""
}

// authorizeReferenced lets a node get one Secret, ConfigMap, PVC or
// ServiceAccount a pod of it uses (and, for a ServiceAccount, request its
// token), and nothing else of those kinds.
func (n *Node) authorizeReferenced(node string, a *Attributes) (Decision, string) {
	switch {
	case a.Resource == "serviceaccounts" && a.Subresource == "token" && a.Verb == "create":
	case a.Resource == "persistentvolumeclaims" && a.Subresource == "status" && (a.Verb == "update" || a.Verb == "patch"):
	case a.Subresource == "" && a.Verb == "get":
	default:
		return NoOpinion, "can only get individual resources of this type"
	}
	if a.Name == "" || !n.uses(node, a.Namespace, a.Resource, a.Name) {
		return NoOpinion, noRelationship(node)
	}
	return Allow, ""
}
