package apiserver

import (
	"reflect"
	"slices"
	"testing"

	"github.com/minik8s/minik8s/api"
)

// recursive is a type that contains itself, as JSON schemas do.
type recursive struct {
	Name     string      `json:"name"`
	Children []recursive `json:"children"`
	Size     *api.Quantity
}

type recursiveNoQuantity struct {
	Next *recursiveNoQuantity `json:"next"`
}

func TestHoldsQuantity(t *testing.T) {
	tests := []struct {
		name string
		t    reflect.Type
		want bool
	}{
		{"pod", reflect.TypeOf(api.Pod{}), true},
		{"pointer to node", reflect.TypeOf(&api.Node{}), true},
		{"resource list", reflect.TypeOf(api.ResourceList{}), true},
		{"quantity", reflect.TypeOf(api.Quantity{}), true},
		{"object meta", reflect.TypeOf(api.ObjectMeta{}), false},
		{"namespace", reflect.TypeOf(api.Namespace{}), false},
		{"recursive with a quantity", reflect.TypeOf(recursive{}), true},
		{"recursive without", reflect.TypeOf(recursiveNoQuantity{}), false},
		{"string", reflect.TypeOf(""), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Twice: computed, then cached.
			for range 2 {
				if got := holdsQuantity(tt.t); got != tt.want {
					t.Errorf("holdsQuantity(%v) = %v, want %v", tt.t, got, tt.want)
				}
			}
		})
	}
}

func TestQuantityErrors(t *testing.T) {
	pod := func(cpu any, label string) object {
		return object{
			"metadata": map[string]any{"name": "p", "labels": map[string]any{"cpu": label}},
			"spec": map[string]any{"containers": []any{map[string]any{
				"name": "c", "resources": map[string]any{"requests": map[string]any{"cpu": cpu}},
			}}},
		}
	}
	podType := reflect.TypeOf(api.Pod{})
	tests := []struct {
		name string
		obj  object
		t    reflect.Type
		want []string // fields with errors
	}{
		{"valid", pod("100m", "lots"), podType, nil},
		{"bad request", pod("lots", "100m"), podType, []string{"spec.containers[0].resources.requests[cpu]"}},
		{"not a string", pod(true, "x"), podType, []string{"spec.containers[0].resources.requests[cpu]"}},
		{"node capacity", object{"status": map[string]any{"capacity": map[string]any{"memory": "1Gb"}}},
			reflect.TypeOf(api.Node{}), []string{"status.capacity[memory]"}},
		{"type without quantities", object{"metadata": map[string]any{"name": "lots"}}, reflect.TypeOf(api.Namespace{}), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, e := range quantityErrors(tt.obj, tt.t, nil) {
				got = append(got, e.Field)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("quantityErrors fields = %q, want %q", got, tt.want)
			}
		})
	}
}
