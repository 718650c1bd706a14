package client

import (
	"context"
	"fmt"
	"net/http"

	"github.com/minik8s/minik8s/api"
)

// Typed clients of the kinds minik8s serves.
type (
	NodeClient       = ResourceClient[api.Node, *api.Node]
	NamespaceClient  = ResourceClient[api.Namespace, *api.Namespace]
	EventClient      = ResourceClient[api.Event, *api.Event]
	LeaseClient      = ResourceClient[api.Lease, *api.Lease]
	DeploymentClient = ScalableClient[api.Deployment, *api.Deployment]
	ReplicaSetClient = ScalableClient[api.ReplicaSet, *api.ReplicaSet]

	StatefulSetClient         = ScalableClient[api.StatefulSet, *api.StatefulSet]
	PodDisruptionBudgetClient = ResourceClient[api.PodDisruptionBudget, *api.PodDisruptionBudget]
	ServiceClient             = ResourceClient[api.Service, *api.Service]
	EndpointsClient           = ResourceClient[api.Endpoints, *api.Endpoints]
	EndpointSliceClient       = ResourceClient[api.EndpointSlice, *api.EndpointSlice]
	JobClient                 = ResourceClient[api.Job, *api.Job]
	CronJobClient             = ResourceClient[api.CronJob, *api.CronJob]
)

// PodClient is the pods client, with the binding subresource.
type PodClient struct {
	*ResourceClient[api.Pod, *api.Pod]
}

// ScalableClient is a client of a resource with the scale subresource.
type ScalableClient[T any, PT interface {
	*T
	api.Object
}] struct {
	*ResourceClient[T, PT]
}

// Pods returns the client of pods in ns ("" for all namespaces).
func (c *Client) Pods(ns string) *PodClient {
	return &PodClient{Resource[api.Pod](c, Pods, ns)}
}

// Nodes returns the client of nodes.
func (c *Client) Nodes() *NodeClient { return Resource[api.Node](c, Nodes, "") }

// Namespaces returns the client of namespaces.
func (c *Client) Namespaces() *NamespaceClient { return Resource[api.Namespace](c, Namespaces, "") }

// Events returns the client of core/v1 events in ns.
func (c *Client) Events(ns string) *EventClient { return Resource[api.Event](c, Events, ns) }

// Leases returns the client of leases in ns.
func (c *Client) Leases(ns string) *LeaseClient { return Resource[api.Lease](c, Leases, ns) }

// Deployments returns the client of deployments in ns.
func (c *Client) Deployments(ns string) *DeploymentClient {
	return &DeploymentClient{Resource[api.Deployment](c, Deployments, ns)}
}

// ReplicaSets returns the client of replica sets in ns.
func (c *Client) ReplicaSets(ns string) *ReplicaSetClient {
	return &ReplicaSetClient{Resource[api.ReplicaSet](c, ReplicaSets, ns)}
}

// StatefulSets returns the client of stateful sets in ns.
func (c *Client) StatefulSets(ns string) *StatefulSetClient {
	return &StatefulSetClient{Resource[api.StatefulSet](c, StatefulSets, ns)}
}

// PodDisruptionBudgets returns the client of disruption budgets in ns.
func (c *Client) PodDisruptionBudgets(ns string) *PodDisruptionBudgetClient {
	return Resource[api.PodDisruptionBudget](c, PodDisruptionBudgets, ns)
}

// Services returns the client of services in ns.
func (c *Client) Services(ns string) *ServiceClient { return Resource[api.Service](c, Services, ns) }

// Endpoints returns the client of core/v1 Endpoints in ns.
func (c *Client) Endpoints(ns string) *EndpointsClient {
	return Resource[api.Endpoints](c, Endpoints, ns)
}

// EndpointSlices returns the client of EndpointSlices in ns.
func (c *Client) EndpointSlices(ns string) *EndpointSliceClient {
	return Resource[api.EndpointSlice](c, EndpointSlices, ns)
}

// Jobs returns the client of batch/v1 jobs in ns.
func (c *Client) Jobs(ns string) *JobClient { return Resource[api.Job](c, Jobs, ns) }

// CronJobs returns the client of batch/v1 cron jobs in ns.
func (c *Client) CronJobs(ns string) *CronJobClient { return Resource[api.CronJob](c, CronJobs, ns) }

// Bind assigns a pod to b.Target's node (POST pods/{b.Name}/binding). The
// server refuses with 409 if the pod is already bound, so two schedulers
// cannot bind it twice.
func (p *PodClient) Bind(ctx context.Context, b *api.Binding) error {
	if b.Name == "" {
		return fmt.Errorf("bind: pod name required")
	}
	ns, err := p.objectNS(b.Namespace)
	if err != nil {
		return err
	}
	body := *b
	body.Kind, body.APIVersion = "Binding", "v1"
	return p.c.Do(ctx, http.MethodPost, p.path(ns, b.Name, "binding"), &body, nil)
}

// GetScale reads the scale subresource of the named object.
func (s *ScalableClient[T, PT]) GetScale(ctx context.Context, name string) (*api.Scale, error) {
	p, err := s.namedPath(name, "scale")
	if err != nil {
		return nil, err
	}
	var out api.Scale
	if err := s.c.do(ctx, &request{method: http.MethodGet, path: p}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// UpdateScale sets the replicas of the named object through its scale
// subresource; sc.ResourceVersion, if set, is checked (409 on mismatch).
func (s *ScalableClient[T, PT]) UpdateScale(ctx context.Context, name string, sc *api.Scale) (*api.Scale, error) {
	p, err := s.namedPath(name, "scale")
	if err != nil {
		return nil, err
	}
	body := *sc
	body.Kind, body.APIVersion = "Scale", "autoscaling/v1"
	var out api.Scale
	if err := s.c.Do(ctx, http.MethodPut, p, &body, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
