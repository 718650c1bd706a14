package kubelet

import (
	"fmt"
	"strings"

	"github.com/minik8s/minik8s/api"
)

// containerToStart returns a copy of c ready for the runtime: env values
// taken from the pod's fields (valueFrom.fieldRef and resourceFieldRef)
// and $(VAR) references expanded in env, command and args, as the
// Kubernetes kubelet does. ConfigMap and Secret references are not
// supported: they are an error unless marked optional.
func containerToStart(pod *api.Pod, c *api.Container, podIP, hostIP string) (*api.Container, error) {
	out := *c
	vars := make(map[string]string, len(c.Env))
	env := make([]api.EnvVar, 0, len(c.Env))
	for _, e := range c.Env {
		v := e.Value
		if e.ValueFrom == nil {
			v = expand(v, vars)
		} else {
			var ok bool
			var err error
			v, ok, err = envFrom(pod, c, e.ValueFrom, podIP, hostIP)
			if err != nil {
				return nil, fmt.Errorf("env %s: %w", e.Name, err)
			}
			if !ok {
				continue // an optional reference to something missing
			}
		}
		vars[e.Name] = v
		env = append(env, api.EnvVar{Name: e.Name, Value: v})
	}
	out.Env = env
	out.Command = expandAll(c.Command, vars)
	out.Args = expandAll(c.Args, vars)
	return &out, nil
}

// envFrom resolves a valueFrom; ok is false for a missing optional
// reference.
func envFrom(pod *api.Pod, c *api.Container, src *api.EnvVarSource, podIP, hostIP string) (v string, ok bool, err error) {
	switch {
	case src.FieldRef != nil:
		v, err := podField(pod, src.FieldRef.FieldPath, podIP, hostIP)
		return v, err == nil, err
	case src.ResourceFieldRef != nil:
		v, err := resourceField(pod, c, src.ResourceFieldRef)
		return v, err == nil, err
	case src.ConfigMapKeyRef != nil:
		if o := src.ConfigMapKeyRef.Optional; o != nil && *o {
			return "", false, nil
		}
		return "", false, fmt.Errorf("configMapKeyRef %s is not supported by minik8s", src.ConfigMapKeyRef.Name)
	case src.SecretKeyRef != nil:
		if o := src.SecretKeyRef.Optional; o != nil && *o {
			return "", false, nil
		}
		return "", false, fmt.Errorf("secretKeyRef %s is not supported by minik8s", src.SecretKeyRef.Name)
	}
	return "", false, fmt.Errorf("valueFrom names no source")
}

// podField is the value of a fieldRef's fieldPath.
func podField(pod *api.Pod, path, podIP, hostIP string) (string, error) {
	if k, ok := subscript(path, "metadata.labels"); ok {
		return pod.Labels[k], nil
	}
	if k, ok := subscript(path, "metadata.annotations"); ok {
		return pod.Annotations[k], nil
	}
	switch path {
	case "metadata.name":
		return pod.Name, nil
	case "metadata.namespace":
		return pod.Namespace, nil
	case "metadata.uid":
		return pod.UID, nil
	case "spec.nodeName":
		return pod.Spec.NodeName, nil
	case "spec.serviceAccountName":
		return pod.Spec.ServiceAccountName, nil
	case "status.podIP", "status.podIPs":
		return podIP, nil
	case "status.hostIP", "status.hostIPs":
		return hostIP, nil
	}
	return "", fmt.Errorf("unsupported fieldPath %q", path)
}

// subscript parses `prefix['key']`.
func subscript(path, prefix string) (string, bool) {
	rest, ok := strings.CutPrefix(path, prefix+"['")
	if !ok || !strings.HasSuffix(rest, "']") {
		return "", false
	}
	return strings.TrimSuffix(rest, "']"), true
}

// resourceField is a container's limit or request, divided by the
// divisor (default 1) and rounded up, as Kubernetes does.
func resourceField(pod *api.Pod, c *api.Container, ref *api.ResourceFieldSelector) (string, error) {
	target := c
	if ref.ContainerName != "" && ref.ContainerName != c.Name {
		target = nil
		for i := range pod.Spec.Containers {
			if pod.Spec.Containers[i].Name == ref.ContainerName {
				target = &pod.Spec.Containers[i]
			}
		}
		if target == nil {
			return "", fmt.Errorf("resourceFieldRef: no container %q", ref.ContainerName)
		}
	}
	kind, name, ok := strings.Cut(ref.Resource, ".")
	if !ok || (kind != "limits" && kind != "requests") {
		return "", fmt.Errorf("unsupported resource %q", ref.Resource)
	}
	list := target.Resources.Limits
	if kind == "requests" {
		list = target.Resources.Requests
	}
	q, ok := list[api.ResourceName(name)]
	if !ok {
		// Kubernetes falls back to the node's allocatable; report 0 rather
		// than guess.
		return "0", nil
	}
	div := ref.Divisor.MilliValue()
	if div == 0 {
		div = 1000
	}
	n := (q.MilliValue() + div - 1) / div
	return fmt.Sprint(n), nil
}

func expandAll(in []string, vars map[string]string) []string {
	if in == nil {
		return nil
	}
	out := make([]string, len(in))
	for i, s := range in {
		out[i] = expand(s, vars)
	}
	return out
}

// expand replaces $(NAME) with the value of NAME when it is defined; an
// undefined reference stays as it is and $$ escapes a dollar, as in
// Kubernetes.
func expand(s string, vars map[string]string) string {
	if !strings.Contains(s, "$") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '$' || i+1 >= len(s) {
			b.WriteByte(s[i])
			continue
		}
		switch s[i+1] {
		case '$':
			b.WriteByte('$')
			i++
		case '(':
			end := strings.IndexByte(s[i+2:], ')')
			if end < 0 {
				b.WriteString(s[i:])
				return b.String()
			}
			name := s[i+2 : i+2+end]
			if v, ok := vars[name]; ok {
				b.WriteString(v)
			} else {
				b.WriteString(s[i : i+3+end])
			}
			i += 2 + end
		default:
			b.WriteByte('$')
		}
	}
	return b.String()
}
