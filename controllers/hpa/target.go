package hpa

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/client"
)

// writer is every call the controller makes to the API server;
// clientWriter in production, a fake in tests.
type writer interface {
	// Resource maps a kind of an API group version to its resource name
	// (through discovery, so custom resources are found too).
	Resource(ctx context.Context, apiVersion, kind string) (string, error)
	GetScale(ctx context.Context, apiVersion, resource, namespace, name string) (*api.Scale, error)
	UpdateScale(ctx context.Context, apiVersion, resource string, s *api.Scale) error
	PodMetrics(ctx context.Context, namespace, selector string) (*api.PodMetricsList, error)
	UpdateStatus(ctx context.Context, hpa *api.HorizontalPodAutoscaler) error
}

type clientWriter struct {
	c *client.Client

	mu    sync.Mutex
	kinds map[string]string // "apiVersion/kind" → resource
}

func scalePath(apiVersion, resource, namespace, name string) string {
	prefix := "/apis/" + apiVersion
	if !strings.Contains(apiVersion, "/") {
		prefix = "/api/" + apiVersion
	}
	return prefix + "/namespaces/" + url.PathEscape(namespace) + "/" + resource + "/" + url.PathEscape(name) + "/scale"
}

func (w *clientWriter) Resource(ctx context.Context, apiVersion, kind string) (string, error) {
	key := apiVersion + "/" + kind
	w.mu.Lock()
	res, ok := w.kinds[key]
	w.mu.Unlock()
	if ok {
		return res, nil
	}
	path := "/apis/" + apiVersion
	if !strings.Contains(apiVersion, "/") {
		path = "/api/" + apiVersion
	}
	var list struct {
		Resources []struct {
			Name string `json:"name"`
			Kind string `json:"kind"`
		} `json:"resources"`
	}
	if err := w.c.Do(ctx, http.MethodGet, path, nil, &list); err != nil {
		return "", fmt.Errorf("discover %s: %w", apiVersion, err)
	}
	for _, r := range list.Resources {
		if r.Kind == kind && !strings.Contains(r.Name, "/") {
			w.mu.Lock()
			if w.kinds == nil {
				w.kinds = map[string]string{}
			}
			w.kinds[key] = r.Name
			w.mu.Unlock()
			return r.Name, nil
		}
	}
	return "", fmt.Errorf("no matches for kind %q in version %q", kind, apiVersion)
}

func (w *clientWriter) GetScale(ctx context.Context, apiVersion, resource, namespace, name string) (*api.Scale, error) {
	var s api.Scale
	if err := w.c.Do(ctx, http.MethodGet, scalePath(apiVersion, resource, namespace, name), nil, &s); err != nil {
		return nil, err
	}
	return &s, nil
}

func (w *clientWriter) UpdateScale(ctx context.Context, apiVersion, resource string, s *api.Scale) error {
	body := *s
	body.Kind, body.APIVersion = "Scale", "autoscaling/v1"
	return w.c.Do(ctx, http.MethodPut, scalePath(apiVersion, resource, s.Namespace, s.Name), &body, nil)
}

func (w *clientWriter) PodMetrics(ctx context.Context, namespace, selector string) (*api.PodMetricsList, error) {
	var l api.PodMetricsList
	path := "/apis/" + api.MetricsGroup + "/v1beta1/namespaces/" + url.PathEscape(namespace) + "/pods?labelSelector=" + url.QueryEscape(selector)
	if err := w.c.Do(ctx, http.MethodGet, path, nil, &l); err != nil {
		return nil, err
	}
	return &l, nil
}

func (w *clientWriter) UpdateStatus(ctx context.Context, hpa *api.HorizontalPodAutoscaler) error {
	_, err := client.Resource[api.HorizontalPodAutoscaler](w.c, client.HorizontalPodAutoscalers, hpa.Namespace).UpdateStatus(ctx, hpa)
	return err
}
