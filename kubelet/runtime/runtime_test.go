package runtime

import (
	"fmt"
	"testing"

	"github.com/minik8s/minik8s/api"
)

func TestTerminatedReason(t *testing.T) {
	tests := []struct {
		name string
		code int
		oom  bool
		want string
	}{
		{"zero", 0, false, ReasonCompleted},
		{"nonzero", 3, false, ReasonError},
		{"killed", 137, false, ReasonError},
		{"oom", 137, true, ReasonOOMKilled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := TerminatedReason(tt.code, tt.oom); got != tt.want {
				t.Errorf("TerminatedReason(%d, %v) = %q, want %q", tt.code, tt.oom, got, tt.want)
			}
		})
	}
}

func TestWaitingReason(t *testing.T) {
	tests := []struct {
		err  error
		want string
	}{
		{fmt.Errorf("%w: no such host", ErrImagePull), "ErrImagePull"},
		{fmt.Errorf("start app: %w", ErrImageNeverPull), "ErrImageNeverPull"},
		{fmt.Errorf("%w: conflict", ErrCreateContainer), "CreateContainerError"},
		{fmt.Errorf("%w: exec: not found", ErrRunContainer), "RunContainerError"},
		{fmt.Errorf("other"), ""},
		{nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := WaitingReason(tt.err); got != tt.want {
				t.Errorf("WaitingReason(%v) = %q, want %q", tt.err, got, tt.want)
			}
		})
	}
}

func TestPullPolicy(t *testing.T) {
	tests := []struct {
		image  string
		policy api.PullPolicy
		want   api.PullPolicy
	}{
		{"nginx", "", api.PullAlways},
		{"nginx:latest", "", api.PullAlways},
		{"nginx:1.25", "", api.PullIfNotPresent},
		{"localhost:5000/app", "", api.PullAlways},
		{"localhost:5000/app:v1", "", api.PullIfNotPresent},
		{"app@sha256:0123abcd", "", api.PullIfNotPresent},
		{"nginx", api.PullNever, api.PullNever},
		{"nginx:1.25", api.PullAlways, api.PullAlways},
	}
	for _, tt := range tests {
		t.Run(tt.image+"/"+string(tt.policy), func(t *testing.T) {
			c := &api.Container{Image: tt.image, ImagePullPolicy: tt.policy}
			if got := PullPolicy(c); got != tt.want {
				t.Errorf("PullPolicy(%q, %q) = %q, want %q", tt.image, tt.policy, got, tt.want)
			}
		})
	}
}

func TestPodStatusLatestPrevious(t *testing.T) {
	s := PodStatus{Containers: []ContainerStatus{
		{Name: "b", Attempt: 0, State: StateRunning},
		{Name: "a", Attempt: 1, State: StateExited},
		{Name: "a", Attempt: 2, State: StateRunning},
		{Name: "c", Attempt: 0, State: StateExited},
	}}
	s.SortContainers()
	tests := []struct {
		name             string
		latest, previous int // attempts, -1 for none
	}{
		{"a", 2, 1},
		{"b", 0, -1},
		{"c", 0, -1},
		{"missing", -1, -1},
	}
	attempt := func(c *ContainerStatus) int {
		if c == nil {
			return -1
		}
		return c.Attempt
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := attempt(s.Latest(tt.name)); got != tt.latest {
				t.Errorf("Latest(%q) attempt = %d, want %d", tt.name, got, tt.latest)
			}
			if got := attempt(s.Previous(tt.name)); got != tt.previous {
				t.Errorf("Previous(%q) attempt = %d, want %d", tt.name, got, tt.previous)
			}
		})
	}
}
