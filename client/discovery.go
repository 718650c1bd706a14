package client

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
)

// APIResource is one resource discovery lists: where it is served, its
// kind and the verbs it accepts.
type APIResource struct {
	GVR
	Kind  string
	Verbs []string
}

// Supports reports whether r accepts every one of verbs.
func (r APIResource) Supports(verbs ...string) bool {
	for _, v := range verbs {
		if !slices.Contains(r.Verbs, v) {
			return false
		}
	}
	return true
}

// Discover asks the API server for every resource it serves (not
// subresources) at the preferred version of each group, as client-go's
// ServerPreferredResources does, so that controllers that act on all kinds
// (the namespace controller, the garbage collector) need no change when a
// kind or a CustomResourceDefinition is added.
func (c *Client) Discover(ctx context.Context) ([]APIResource, error) {
	paths := []string{"/api/v1"}
	var groups struct {
		Groups []struct {
			PreferredVersion struct {
				GroupVersion string `json:"groupVersion"`
			} `json:"preferredVersion"`
		} `json:"groups"`
	}
	if err := c.Do(ctx, http.MethodGet, "/apis", nil, &groups); err != nil {
		return nil, fmt.Errorf("discover api groups: %w", err)
	}
	for _, g := range groups.Groups {
		paths = append(paths, "/apis/"+g.PreferredVersion.GroupVersion)
	}
	var out []APIResource
	for _, p := range paths {
		var list struct {
			GroupVersion string `json:"groupVersion"`
			Resources    []struct {
				Name       string   `json:"name"`
				Kind       string   `json:"kind"`
				Namespaced bool     `json:"namespaced"`
				Verbs      []string `json:"verbs"`
			} `json:"resources"`
		}
		if err := c.Do(ctx, http.MethodGet, p, nil, &list); err != nil {
			if IsNotFound(err) {
				continue // a group removed since /apis answered (a CRD deleted)
			}
			return nil, fmt.Errorf("discover %s: %w", p, err)
		}
		group, version, found := strings.Cut(list.GroupVersion, "/")
		if !found {
			group, version = "", list.GroupVersion
		}
		for _, r := range list.Resources {
			if strings.Contains(r.Name, "/") {
				continue
			}
			out = append(out, APIResource{
				GVR:  GVR{Group: group, Version: version, Resource: r.Name, Namespaced: r.Namespaced},
				Kind: r.Kind, Verbs: r.Verbs,
			})
		}
	}
	return out, nil
}

// Path is r's collection path in namespace ns ("" for all namespaces or a
// cluster-scoped resource).
func (r GVR) Path(ns string) string {
	p := "/api/" + r.Version
	if r.Group != "" {
		p = "/apis/" + r.Group + "/" + r.Version
	}
	if r.Namespaced && ns != "" {
		p += "/namespaces/" + ns
	}
	return p + "/" + r.Resource
}
