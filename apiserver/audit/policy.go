package audit

import (
	"fmt"
	"os"
	"path"
	"slices"
	"strings"

	"sigs.k8s.io/yaml"
)

// Level is how much of a request is logged.
type Level string

// The levels, from least to most.
const (
	LevelNone            Level = "None"
	LevelMetadata        Level = "Metadata"
	LevelRequest         Level = "Request"
	LevelRequestResponse Level = "RequestResponse"
)

func (l Level) atLeast(o Level) bool { return rank(l) >= rank(o) }

func rank(l Level) int {
	return slices.Index([]Level{LevelNone, LevelMetadata, LevelRequest, LevelRequestResponse}, l)
}

// Stage is a point in a request's life an event is written at.
type Stage string

// The stages.
const (
	StageRequestReceived  Stage = "RequestReceived"
	StageResponseStarted  Stage = "ResponseStarted"
	StageResponseComplete Stage = "ResponseComplete"
)

// Policy is an audit.k8s.io/v1 Policy: the subset of its fields minik8s
// reads (unknown fields are an error, so that a rule is never silently
// broader than written).
type Policy struct {
	APIVersion string       `json:"apiVersion"`
	Kind       string       `json:"kind"`
	OmitStages []Stage      `json:"omitStages,omitempty"`
	Rules      []PolicyRule `json:"rules"`
}

// PolicyRule is one rule; every field it sets must match (an empty list
// matches everything).
type PolicyRule struct {
	Level           Level            `json:"level"`
	Users           []string         `json:"users,omitempty"`
	UserGroups      []string         `json:"userGroups,omitempty"`
	Verbs           []string         `json:"verbs,omitempty"`
	Resources       []GroupResources `json:"resources,omitempty"`
	Namespaces      []string         `json:"namespaces,omitempty"`
	NonResourceURLs []string         `json:"nonResourceURLs,omitempty"`
	OmitStages      []Stage          `json:"omitStages,omitempty"`
}

// GroupResources selects resources of a group ("" core): "pods",
// "pods/log", "*/status", "*".
type GroupResources struct {
	Group         string   `json:"group"`
	Resources     []string `json:"resources,omitempty"`
	ResourceNames []string `json:"resourceNames,omitempty"`
}

// LoadPolicy reads and checks a policy file.
func LoadPolicy(file string) (*Policy, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("read audit policy: %w", err)
	}
	var p Policy
	if err := yaml.UnmarshalStrict(b, &p); err != nil {
		return nil, fmt.Errorf("audit policy %s: %w", file, err)
	}
	if p.Kind != "Policy" || (p.APIVersion != "audit.k8s.io/v1" && p.APIVersion != "audit.k8s.io/v1beta1") {
		return nil, fmt.Errorf("audit policy %s: want apiVersion audit.k8s.io/v1, kind Policy; got %q, %q", file, p.APIVersion, p.Kind)
	}
	for i, r := range p.Rules {
		if rank(r.Level) < 0 {
			return nil, fmt.Errorf("audit policy %s: rules[%d].level %q: want None, Metadata, Request or RequestResponse", file, i, r.Level)
		}
		if len(r.NonResourceURLs) > 0 && (len(r.Resources) > 0 || len(r.Namespaces) > 0) {
			return nil, fmt.Errorf("audit policy %s: rules[%d]: nonResourceURLs cannot be combined with resources or namespaces", file, i)
		}
		for _, s := range append(slices.Clone(r.OmitStages), p.OmitStages...) {
			if s != StageRequestReceived && s != StageResponseStarted && s != StageResponseComplete {
				return nil, fmt.Errorf("audit policy %s: unknown stage %q", file, s)
			}
		}
	}
	return &p, nil
}

// Attributes are what a rule matches against.
type Attributes struct {
	User       string
	Groups     []string
	Verb       string
	IsResource bool
	Group      string
	Resource   string // with "/subresource"
	Namespace  string
	Name       string
	Path       string
}

// LevelFor returns the level of the first rule that matches a, and the
// stages to omit.
func (p *Policy) LevelFor(a Attributes) (Level, []Stage) {
	for _, r := range p.Rules {
		if r.matches(a) {
			return r.Level, append(slices.Clone(p.OmitStages), r.OmitStages...)
		}
	}
	return LevelNone, nil
}

func (r *PolicyRule) matches(a Attributes) bool {
	if len(r.Users) > 0 && !slices.Contains(r.Users, a.User) {
		return false
	}
	if len(r.UserGroups) > 0 && !slices.ContainsFunc(r.UserGroups, func(g string) bool { return slices.Contains(a.Groups, g) }) {
		return false
	}
	if len(r.Verbs) > 0 && !slices.Contains(r.Verbs, a.Verb) {
		return false
	}
	if !a.IsResource {
		if len(r.Resources) > 0 || len(r.Namespaces) > 0 {
			return false
		}
		if len(r.NonResourceURLs) == 0 {
			return true
		}
		return slices.ContainsFunc(r.NonResourceURLs, func(u string) bool {
			prefix, wild := strings.CutSuffix(u, "*")
			return a.Path == u || (wild && strings.HasPrefix(a.Path, prefix))
		})
	}
	if len(r.NonResourceURLs) > 0 {
		return false
	}
	if len(r.Namespaces) > 0 && !slices.Contains(r.Namespaces, a.Namespace) {
		return false
	}
	if len(r.Resources) == 0 {
		return true
	}
	for _, gr := range r.Resources {
		if gr.Group != a.Group && gr.Group != "*" {
			continue
		}
		if len(gr.ResourceNames) > 0 && !slices.Contains(gr.ResourceNames, a.Name) {
			continue
		}
		if len(gr.Resources) == 0 {
			return true
		}
		for _, res := range gr.Resources {
			if ok, _ := path.Match(res, a.Resource); ok || res == "*" {
				return true
			}
		}
	}
	return false
}
