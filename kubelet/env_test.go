package kubelet

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/minik8s/minik8s/api"
)

// fakeConfig is a configGetter over fixed objects.
type fakeConfig struct {
	cms  map[string]*api.ConfigMap
	secs map[string]*api.Secret
}

func (f fakeConfig) configMap(_ context.Context, _, name string) (*api.ConfigMap, error) {
	if cm, ok := f.cms[name]; ok {
		return cm, nil
	}
	return nil, missingf("configmap %q not found", name)
}

func (f fakeConfig) secret(_ context.Context, _, name string) (*api.Secret, error) {
	if s, ok := f.secs[name]; ok {
		return s, nil
	}
	return nil, missingf("secret %q not found", name)
}

func testConfig() fakeConfig {
	return fakeConfig{
		cms:  map[string]*api.ConfigMap{"cfg": {Data: map[string]string{"color": "blue", "size": "L", "a=b": "x"}}},
		secs: map[string]*api.Secret{"creds": {Data: map[string][]byte{"password": []byte("s3cret")}}},
	}
}

func TestContainerToStart(t *testing.T) {
	t.Parallel()
	yes := true
	pod := &api.Pod{
		ObjectMeta: api.ObjectMeta{Name: "web", Namespace: "ns", UID: "u1", Labels: map[string]string{"app": "web"}},
		Spec:       api.PodSpec{NodeName: "n1"},
	}
	c := &api.Container{
		Name:    "c",
		Command: []string{"/bin/app", "--name=$(POD)"},
		Args:    []string{"$(GREETING)", "$(MISSING)", "$(DB_SERVICE_HOST)"},
		EnvFrom: []api.EnvFromSource{
			{ConfigMapRef: &api.ConfigMapEnvSource{LocalObjectReference: api.LocalObjectReference{Name: "cfg"}}},
			{Prefix: "S_", SecretRef: &api.SecretEnvSource{LocalObjectReference: api.LocalObjectReference{Name: "creds"}}},
			{ConfigMapRef: &api.ConfigMapEnvSource{LocalObjectReference: api.LocalObjectReference{Name: "gone"}, Optional: &yes}},
		},
		Env: []api.EnvVar{
			{Name: "POD", ValueFrom: &api.EnvVarSource{FieldRef: &api.ObjectFieldSelector{FieldPath: "metadata.name"}}},
			{Name: "IP", ValueFrom: &api.EnvVarSource{FieldRef: &api.ObjectFieldSelector{FieldPath: "status.podIP"}}},
			{Name: "APP", ValueFrom: &api.EnvVarSource{FieldRef: &api.ObjectFieldSelector{FieldPath: "metadata.labels['app']"}}},
			{Name: "GREETING", Value: "hello $(POD) on $(IP) in $(color)"},
			{Name: "OPT", ValueFrom: &api.EnvVarSource{SecretKeyRef: &api.SecretKeySelector{LocalObjectReference: api.LocalObjectReference{Name: "nope"}, Key: "k", Optional: &yes}}},
			{Name: "PASS", ValueFrom: &api.EnvVarSource{SecretKeyRef: &api.SecretKeySelector{LocalObjectReference: api.LocalObjectReference{Name: "creds"}, Key: "password"}}},
			{Name: "size", ValueFrom: &api.EnvVarSource{ConfigMapKeyRef: &api.ConfigMapKeySelector{LocalObjectReference: api.LocalObjectReference{Name: "cfg"}, Key: "color"}}},
			{Name: "MEM", ValueFrom: &api.EnvVarSource{ResourceFieldRef: &api.ResourceFieldSelector{Resource: "limits.memory", Divisor: api.MustParse("1Mi")}}},
			{Name: "HOSTNAME", Value: "mine"},
		},
		Resources: api.ResourceRequirements{Limits: api.ResourceList{api.ResourceMemory: api.MustParse("64Mi")}},
	}
	svc := &api.Service{ObjectMeta: api.ObjectMeta{Namespace: "ns", Name: "db"},
		Spec: api.ServiceSpec{ClusterIP: "10.96.0.9", Ports: []api.ServicePort{{Name: "sql", Port: 5432, Protocol: api.ProtocolTCP}}}}
	master := &api.Service{ObjectMeta: api.ObjectMeta{Namespace: "default", Name: "kubernetes"},
		Spec: api.ServiceSpec{ClusterIP: "10.96.0.1", Ports: []api.ServicePort{{Name: "https", Port: 443, Protocol: api.ProtocolTCP}}}}
	in := &envInput{pod: pod, podIP: "10.0.0.7", hostIP: "127.0.0.1", cfg: testConfig(),
		services: serviceEnv([]*api.Service{svc, master}, "172.17.0.1", 6443), hostname: "web"}
	got, err := containerToStart(context.Background(), in, c)
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{}
	for _, e := range got.Env {
		if _, dup := env[e.Name]; dup {
			t.Errorf("env %s twice", e.Name)
		}
		env[e.Name] = e.Value
	}
	want := map[string]string{
		"POD": "web", "IP": "10.0.0.7", "APP": "web", "GREETING": "hello web on 10.0.0.7 in blue", "MEM": "64",
		"color": "blue", "size": "blue", "S_password": "s3cret", "PASS": "s3cret", "HOSTNAME": "mine",
		"DB_SERVICE_HOST": "10.96.0.9", "DB_SERVICE_PORT": "5432", "DB_SERVICE_PORT_SQL": "5432",
		"DB_PORT": "tcp://10.96.0.9:5432", "DB_PORT_5432_TCP": "tcp://10.96.0.9:5432", "DB_PORT_5432_TCP_PROTO": "tcp",
		"DB_PORT_5432_TCP_PORT": "5432", "DB_PORT_5432_TCP_ADDR": "10.96.0.9",
		"KUBERNETES_SERVICE_HOST": "172.17.0.1", "KUBERNETES_SERVICE_PORT": "6443", "KUBERNETES_SERVICE_PORT_HTTPS": "6443",
		"KUBERNETES_PORT": "tcp://172.17.0.1:6443", "KUBERNETES_PORT_6443_TCP": "tcp://172.17.0.1:6443",
		"KUBERNETES_PORT_6443_TCP_PROTO": "tcp", "KUBERNETES_PORT_6443_TCP_PORT": "6443", "KUBERNETES_PORT_6443_TCP_ADDR": "172.17.0.1",
	}
	for k, v := range want {
		if env[k] != v {
			t.Errorf("env %s = %q, want %q", k, env[k], v)
		}
	}
	if len(env) != len(want) {
		t.Errorf("env = %v, want exactly %v", env, want)
	}
	if strings.Join(in.invalidEnvFrom, ",") != "a=b" {
		t.Errorf("invalid envFrom keys %v, want [a=b]", in.invalidEnvFrom)
	}
	if got.Command[1] != "--name=web" || got.Args[0] != "hello web on 10.0.0.7 in blue" || got.Args[1] != "$(MISSING)" || got.Args[2] != "10.96.0.9" {
		t.Errorf("command %q args %q: not expanded as Kubernetes does", got.Command, got.Args)
	}
	if c.Command[1] != "--name=$(POD)" {
		t.Error("containerToStart changed the pod's spec")
	}

	for _, tt := range []struct {
		name string
		env  api.EnvVar
		from []api.EnvFromSource
		want string
	}{
		{"missing secret", api.EnvVar{Name: "S", ValueFrom: &api.EnvVarSource{SecretKeyRef: &api.SecretKeySelector{LocalObjectReference: api.LocalObjectReference{Name: "nope"}, Key: "k"}}},
			nil, `secret "nope" not found`},
		{"missing key", api.EnvVar{Name: "S", ValueFrom: &api.EnvVarSource{ConfigMapKeyRef: &api.ConfigMapKeySelector{LocalObjectReference: api.LocalObjectReference{Name: "cfg"}, Key: "weight"}}},
			nil, "couldn't find key weight in ConfigMap ns/cfg"},
		{"missing envFrom", api.EnvVar{Name: "X", Value: "1"},
			[]api.EnvFromSource{{ConfigMapRef: &api.ConfigMapEnvSource{LocalObjectReference: api.LocalObjectReference{Name: "gone"}}}}, `configmap "gone" not found`},
	} {
		c := &api.Container{Name: "c", Env: []api.EnvVar{tt.env}, EnvFrom: tt.from}
		_, err := containerToStart(context.Background(), &envInput{pod: pod, cfg: testConfig()}, c)
		if err == nil || err.Error() != tt.want || !errors.Is(err, errMissing) {
			t.Errorf("%s: error %v, want %q", tt.name, err, tt.want)
		}
	}
}

func TestWriteAtomic(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "vol")
	read := func(p string) string {
		b, err := os.ReadFile(filepath.Join(dir, p))
		if err != nil {
			return "<" + err.Error() + ">"
		}
		return string(b)
	}
	if err := writeAtomic(dir, map[string]volumeFile{"a": {data: []byte("1"), mode: 0o644}, "sub/b": {data: []byte("2"), mode: 0o600}}); err != nil {
		t.Fatal(err)
	}
	first, _ := os.Readlink(filepath.Join(dir, dataLink))
	if read("a") != "1" || read("sub/b") != "2" {
		t.Fatalf("a=%q sub/b=%q", read("a"), read("sub/b"))
	}
	if l, err := os.Readlink(filepath.Join(dir, "a")); err != nil || l != "..data/a" {
		t.Errorf("a links to %q (%v), want ..data/a", l, err)
	}
	if st, _ := os.Stat(filepath.Join(dir, "sub/b")); st == nil || st.Mode().Perm() != 0o600 {
		t.Errorf("sub/b mode %v, want 0600", st)
	}
	// Unchanged: nothing rewritten.
	if err := writeAtomic(dir, map[string]volumeFile{"a": {data: []byte("1"), mode: 0o644}, "sub/b": {data: []byte("2"), mode: 0o600}}); err != nil {
		t.Fatal(err)
	}
	if again, _ := os.Readlink(filepath.Join(dir, dataLink)); again != first {
		t.Errorf("an unchanged payload was rewritten: ..data %s → %s", first, again)
	}
	// Changed: a new ..data, a dropped key's link gone, the old dir removed.
	if err := writeAtomic(dir, map[string]volumeFile{"a": {data: []byte("3"), mode: 0o644}}); err != nil {
		t.Fatal(err)
	}
	second, _ := os.Readlink(filepath.Join(dir, dataLink))
	if second == first || read("a") != "3" {
		t.Errorf("after an update: ..data %s → %s, a=%q", first, second, read("a"))
	}
	if _, err := os.Lstat(filepath.Join(dir, "sub")); err == nil {
		t.Error("the link of a dropped entry stayed")
	}
	if _, err := os.Stat(filepath.Join(dir, first)); err == nil {
		t.Error("the old payload dir stayed")
	}
	if err := writeAtomic(dir, map[string]volumeFile{"../x": {data: []byte("1")}}); err == nil {
		t.Error("a path out of the volume was written")
	}
}
