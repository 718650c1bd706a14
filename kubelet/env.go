package kubelet

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/api/validation"
)

// configGetter reads the ConfigMaps and Secrets a pod uses, through the
// node's own identity. A missing object is an error for which
// isMissing holds.
type configGetter interface {
	configMap(ctx context.Context, ns, name string) (*api.ConfigMap, error)
	secret(ctx context.Context, ns, name string) (*api.Secret, error)
}

// errMissing marks a ConfigMap, Secret or key that does not exist.
var errMissing = errors.New("missing")

// missingError says what is missing, as the Kubernetes kubelet says it.
type missingError struct{ msg string }

func (e *missingError) Error() string        { return e.msg }
func (e *missingError) Is(target error) bool { return target == errMissing }

func missingf(format string, args ...any) error {
	return &missingError{msg: fmt.Sprintf(format, args...)}
}

// envInput is what a container's environment is made of besides its spec.
type envInput struct {
	pod            *api.Pod
	podIP, hostIP  string
	cfg            configGetter
	services       []api.EnvVar // the service variables (serviceEnv)
	hostname       string       // HOSTNAME, unless the container sets it
	invalidEnvFrom []string     // keys of envFrom sources skipped as invalid names (output)
}

// containerToStart returns a copy of c ready for the runtime, with its
// environment as the Kubernetes kubelet makes it: envFrom's keys (with
// their prefix), then env with valueFrom resolved (fieldRef,
// resourceFieldRef, configMapKeyRef, secretKeyRef) and $(VAR) references
// expanded (in env, command and args), then the service variables and
// HOSTNAME where the container defines none. A missing ConfigMap, Secret
// or key that is not optional is an error (CreateContainerConfigError).
func containerToStart(ctx context.Context, in *envInput, c *api.Container) (*api.Container, error) {
	pod := in.pod
	out := *c
	vars := map[string]string{}
	var order []string
	set := func(name, v string) {
		if _, ok := vars[name]; !ok {
			order = append(order, name)
		}
		vars[name] = v
	}
	for _, f := range c.EnvFrom {
		data, err := envFromData(ctx, in.cfg, pod.Namespace, &f)
		if err != nil {
			return nil, err
		}
		keys := make([]string, 0, len(data))
		for k := range data {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			name := f.Prefix + k
			if len(validation.IsEnvVarName(name)) > 0 {
				in.invalidEnvFrom = append(in.invalidEnvFrom, name)
				continue
			}
			set(name, data[k])
		}
	}
	services := make(map[string]string, len(in.services))
	for _, e := range in.services {
		services[e.Name] = e.Value
	}
	lookup := func(name string) (string, bool) {
		if v, ok := vars[name]; ok {
			return v, true
		}
		v, ok := services[name]
		return v, ok
	}
	for _, e := range c.Env {
		v := e.Value
		if e.ValueFrom == nil {
			v = expand(v, lookup)
		} else {
			var ok bool
			var err error
			v, ok, err = valueFrom(ctx, in, c, e.ValueFrom)
			if err != nil {
				return nil, err
			}
			if !ok {
				continue // an optional reference to something missing
			}
		}
		set(e.Name, v)
	}
	env := make([]api.EnvVar, 0, len(order)+len(in.services)+1)
	for _, name := range order {
		env = append(env, api.EnvVar{Name: name, Value: vars[name]})
	}
	for _, e := range in.services {
		if _, ok := vars[e.Name]; !ok {
			env = append(env, e)
		}
	}
	if _, ok := vars["HOSTNAME"]; !ok && in.hostname != "" {
		env = append(env, api.EnvVar{Name: "HOSTNAME", Value: in.hostname})
	}
	out.Env, out.EnvFrom = env, nil
	out.Command = expandAll(c.Command, lookup)
	out.Args = expandAll(c.Args, lookup)
	return &out, nil
}

func optional(b *bool) bool { return b != nil && *b }

// envFromData returns the keys and values of an envFrom source; nothing
// for a missing optional one.
func envFromData(ctx context.Context, g configGetter, ns string, f *api.EnvFromSource) (map[string]string, error) {
	switch {
	case f.ConfigMapRef != nil:
		cm, err := g.configMap(ctx, ns, f.ConfigMapRef.Name)
		if errors.Is(err, errMissing) && optional(f.ConfigMapRef.Optional) {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		data := make(map[string]string, len(cm.Data)+len(cm.BinaryData))
		for k, v := range cm.BinaryData {
			data[k] = string(v)
		}
		for k, v := range cm.Data {
			data[k] = v
		}
		return data, nil
	case f.SecretRef != nil:
		sec, err := g.secret(ctx, ns, f.SecretRef.Name)
		if errors.Is(err, errMissing) && optional(f.SecretRef.Optional) {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		data := make(map[string]string, len(sec.Data))
		for k, v := range sec.Data {
			data[k] = string(v)
		}
		return data, nil
	}
	return nil, nil
}

// valueFrom resolves a valueFrom; ok is false for a missing optional
// reference.
func valueFrom(ctx context.Context, in *envInput, c *api.Container, src *api.EnvVarSource) (v string, ok bool, err error) {
	pod := in.pod
	switch {
	case src.FieldRef != nil:
		v, err := podField(pod, src.FieldRef.FieldPath, in.podIP, in.hostIP)
		return v, err == nil, err
	case src.ResourceFieldRef != nil:
		v, err := resourceField(pod, c, src.ResourceFieldRef)
		return v, err == nil, err
	case src.ConfigMapKeyRef != nil:
		ref := src.ConfigMapKeyRef
		v, err := configMapKey(ctx, in.cfg, pod.Namespace, ref.Name, ref.Key)
		if errors.Is(err, errMissing) && optional(ref.Optional) {
			return "", false, nil
		}
		return v, err == nil, err
	case src.SecretKeyRef != nil:
		ref := src.SecretKeyRef
		v, err := secretKey(ctx, in.cfg, pod.Namespace, ref.Name, ref.Key)
		if errors.Is(err, errMissing) && optional(ref.Optional) {
			return "", false, nil
		}
		return v, err == nil, err
	}
	return "", false, fmt.Errorf("valueFrom names no source")
}

func configMapKey(ctx context.Context, g configGetter, ns, name, key string) (string, error) {
	cm, err := g.configMap(ctx, ns, name)
	if err != nil {
		return "", err
	}
	if v, ok := cm.Data[key]; ok {
		return v, nil
	}
	if v, ok := cm.BinaryData[key]; ok {
		return string(v), nil
	}
	return "", missingf("couldn't find key %s in ConfigMap %s/%s", key, ns, name)
}

func secretKey(ctx context.Context, g configGetter, ns, name, key string) (string, error) {
	sec, err := g.secret(ctx, ns, name)
	if err != nil {
		return "", err
	}
	if v, ok := sec.Data[key]; ok {
		return string(v), nil
	}
	return "", missingf("couldn't find key %s in Secret %s/%s", key, ns, name)
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
	case "metadata.labels":
		return formatMap(pod.Labels), nil
	case "metadata.annotations":
		return formatMap(pod.Annotations), nil
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

// formatMap writes labels or annotations as the downward API's files
// hold them: key="value" lines, sorted by key.
func formatMap(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(k + "=" + strconv.Quote(m[k]))
	}
	return b.String()
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
	if ref.ContainerName != "" && (c == nil || ref.ContainerName != c.Name) {
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
	if target == nil {
		return "", errors.New("resourceFieldRef: containerName is required in a volume")
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

// serviceEnv returns the variables that make Services known to a pod, as
// the Kubernetes kubelet sets them: for each Service with a cluster IP,
// <NAME>_SERVICE_HOST, <NAME>_SERVICE_PORT (and _SERVICE_PORT_<PORT NAME>)
// and the Docker link variables <NAME>_PORT, <NAME>_PORT_<port>_<PROTO>
// (_PROTO, _PORT, _ADDR). services are those of the pod's namespace
// (empty when enableServiceLinks is false) plus the kubernetes Service;
// apiHost and apiPort, when set, replace the kubernetes Service's address
// with one the pod can reach. The result is sorted by name.
func serviceEnv(services []*api.Service, apiHost string, apiPort int32) []api.EnvVar {
	m := map[string]string{}
	for _, svc := range services {
		ip := svc.Spec.ClusterIP
		if ip == "" || ip == api.ClusterIPNone || len(svc.Spec.Ports) == 0 {
			continue
		}
		ports := svc.Spec.Ports
		if svc.Namespace == "default" && svc.Name == "kubernetes" && apiHost != "" {
			ip = apiHost
			ports = slices.Clone(ports)
			for i := range ports {
				ports[i].Port = apiPort
			}
		}
		name := strings.ToUpper(strings.ReplaceAll(svc.Name, "-", "_"))
		m[name+"_SERVICE_HOST"] = ip
		m[name+"_SERVICE_PORT"] = strconv.Itoa(int(ports[0].Port))
		for _, p := range ports {
			if p.Name != "" {
				m[name+"_SERVICE_PORT_"+strings.ToUpper(strings.ReplaceAll(p.Name, "-", "_"))] = strconv.Itoa(int(p.Port))
			}
		}
		url := func(p api.ServicePort) string {
			proto := strings.ToLower(string(p.Protocol))
			if proto == "" {
				proto = "tcp"
			}
			return proto + "://" + net.JoinHostPort(ip, strconv.Itoa(int(p.Port)))
		}
		m[name+"_PORT"] = url(ports[0])
		for _, p := range ports {
			proto := string(p.Protocol)
			if proto == "" {
				proto = "TCP"
			}
			prefix := name + "_PORT_" + strconv.Itoa(int(p.Port)) + "_" + strings.ToUpper(proto)
			m[prefix] = url(p)
			m[prefix+"_PROTO"] = strings.ToLower(proto)
			m[prefix+"_PORT"] = strconv.Itoa(int(p.Port))
			m[prefix+"_ADDR"] = ip
		}
	}
	out := make([]api.EnvVar, 0, len(m))
	for k, v := range m {
		out = append(out, api.EnvVar{Name: k, Value: v})
	}
	slices.SortFunc(out, func(a, b api.EnvVar) int { return strings.Compare(a.Name, b.Name) })
	return out
}

func expandAll(in []string, lookup func(string) (string, bool)) []string {
	if in == nil {
		return nil
	}
	out := make([]string, len(in))
	for i, s := range in {
		out[i] = expand(s, lookup)
	}
	return out
}

// expand replaces $(NAME) with the value of NAME when it is defined; an
// undefined reference stays as it is and $$ escapes a dollar, as in
// Kubernetes.
func expand(s string, lookup func(string) (string, bool)) string {
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
			if v, ok := lookup(name); ok {
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
