package clientgo

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	minik8s "github.com/minik8s/minik8s/e2e/clientgo/cluster"
)

// buildProbeImage builds testdata/podprobe (CGO_ENABLED=0) into an image
// FROM scratch on the local Docker engine, removed when the test ends.
func buildProbeImage(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	build := exec.Command("go", "build", "-o", filepath.Join(dir, "podprobe"), "./testdata/podprobe")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build podprobe: %v\n%s", err, out)
	}
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte("FROM scratch\nCOPY podprobe /podprobe\nENTRYPOINT [\"/podprobe\"]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	image := "minik8s-test/podprobe:" + hex.EncodeToString(b)
	if out, err := exec.Command("docker", "build", "-q", "-t", image, dir).CombinedOutput(); err != nil {
		t.Fatalf("docker build: %v\n%s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("docker", "rmi", "-f", image).Run() })
	return image
}

// TestPodConfigDocker runs pods on a Docker node of a cluster of its own:
// a ConfigMap file seen in the container and its update, a Secret as an
// environment variable, CreateContainerConfigError for a missing key, and
// an in-cluster client that lists pods with its ServiceAccount token
// through rest.InClusterConfig.
func TestPodConfigDocker(t *testing.T) {
	if testing.Short() {
		t.Skip("needs Docker and a cluster of its own")
	}
	if err := exec.Command("docker", "info").Run(); err != nil {
		t.Fatalf("docker info: %v (this test needs a Docker engine)", err)
	}
	image := buildProbeImage(t)
	dir := t.TempDir()
	c, err := minik8s.Start(dir, minik8s.Options{Nodes: 1, Runtime: "docker", Kubelet: "  configRefreshPeriod: 1s\n"})
	if err != nil {
		t.Fatalf("start cluster: %v", err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			c.DumpLogs(os.Stderr)
		}
		c.Stop()
		if err := c.Reset(); err != nil {
			t.Error(err)
		}
	})
	ctx := t.Context()
	cs := c.Client
	ns := c.NewNamespace(t)
	never := corev1.PullNever

	_, err = cs.CoreV1().ConfigMaps(ns).Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "settings"},
		Data: map[string]string{"color": "blue"}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = cs.CoreV1().Secrets(ns).Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "creds"},
		Data: map[string][]byte{"password": []byte("s3cret")}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	logs := func(ctx context.Context, pod string) (string, error) {
		b, err := cs.CoreV1().Pods(ns).GetLogs(pod, &corev1.PodLogOptions{}).DoRaw(ctx)
		return string(b), err
	}

	t.Run("ConfigMapFileAndSecretEnv", func(t *testing.T) {
		pod := &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: "show"},
			Spec: corev1.PodSpec{
				Containers: []corev1.Container{{
					Name: "app", Image: image, ImagePullPolicy: never,
					Args: []string{"show", "/etc/settings/color", "PASSWORD"},
					Env: []corev1.EnvVar{{Name: "PASSWORD", ValueFrom: &corev1.EnvVarSource{
						SecretKeyRef: &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "creds"}, Key: "password"}}}},
					VolumeMounts: []corev1.VolumeMount{{Name: "settings", MountPath: "/etc/settings"}},
				}},
				Volumes: []corev1.Volume{{Name: "settings", VolumeSource: corev1.VolumeSource{
					ConfigMap: &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: "settings"}}}}},
			},
		}
		if _, err := cs.CoreV1().Pods(ns).Create(ctx, pod, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		minik8s.Eventually(t, 60*time.Second, "the container shows the ConfigMap's file and the Secret", func(ctx context.Context) error {
			out, err := logs(ctx, "show")
			if err != nil {
				return err
			}
			if !strings.Contains(out, "file=blue env=s3cret") {
				return fmt.Errorf("logs %q", out)
			}
			return nil
		})
		cm, err := cs.CoreV1().ConfigMaps(ns).Get(ctx, "settings", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		cm.Data["color"] = "green"
		if _, err := cs.CoreV1().ConfigMaps(ns).Update(ctx, cm, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
		minik8s.Eventually(t, 60*time.Second, "the container sees the ConfigMap's update", func(ctx context.Context) error {
			out, err := logs(ctx, "show")
			if err != nil {
				return err
			}
			if !strings.Contains(out, "file=green env=s3cret") {
				return fmt.Errorf("logs %q", out)
			}
			return nil
		})
	})

	t.Run("MissingKey", func(t *testing.T) {
		pod := &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: "nokey"},
			Spec: corev1.PodSpec{Containers: []corev1.Container{{
				Name: "app", Image: image, ImagePullPolicy: never, Args: []string{"show", "/nothing", "X"},
				Env: []corev1.EnvVar{{Name: "X", ValueFrom: &corev1.EnvVarSource{
					ConfigMapKeyRef: &corev1.ConfigMapKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "settings"}, Key: "weight"}}}},
			}}},
		}
		if _, err := cs.CoreV1().Pods(ns).Create(ctx, pod, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		minik8s.Eventually(t, 60*time.Second, "CreateContainerConfigError", func(ctx context.Context) error {
			p, err := cs.CoreV1().Pods(ns).Get(ctx, "nokey", metav1.GetOptions{})
			if err != nil {
				return err
			}
			for _, st := range p.Status.ContainerStatuses {
				if w := st.State.Waiting; w != nil && w.Reason == "CreateContainerConfigError" {
					if want := "couldn't find key weight in ConfigMap " + ns + "/settings"; w.Message != want {
						t.Errorf("message %q, want %q", w.Message, want)
					}
					return nil
				}
			}
			return fmt.Errorf("container statuses %+v", p.Status.ContainerStatuses)
		})
	})

	t.Run("InClusterClient", func(t *testing.T) {
		_, err := cs.RbacV1().Roles(ns).Create(ctx, &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: "pod-reader"},
			Rules: []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"pods"}, Verbs: []string{"get", "list"}}}}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		_, err = cs.RbacV1().RoleBindings(ns).Create(ctx, &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "pod-reader"},
			RoleRef:  rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "Role", Name: "pod-reader"},
			Subjects: []rbacv1.Subject{{Kind: "ServiceAccount", Name: "default", Namespace: ns}}}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		pod := &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: "lister"},
			Spec: corev1.PodSpec{RestartPolicy: corev1.RestartPolicyNever, Containers: []corev1.Container{{
				Name: "app", Image: image, ImagePullPolicy: never, Args: []string{"list"},
			}}},
		}
		if _, err := cs.CoreV1().Pods(ns).Create(ctx, pod, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		var out string
		minik8s.Eventually(t, 60*time.Second, "the in-cluster client's pod succeeds", func(ctx context.Context) error {
			p, err := cs.CoreV1().Pods(ns).Get(ctx, "lister", metav1.GetOptions{})
			if err != nil {
				return err
			}
			if p.Status.Phase == corev1.PodFailed {
				out, _ = logs(ctx, "lister")
				t.Fatalf("the in-cluster client failed: %s", out)
			}
			if p.Status.Phase != corev1.PodSucceeded {
				return fmt.Errorf("phase %s", p.Status.Phase)
			}
			out, err = logs(ctx, "lister")
			return err
		})
		t.Logf("in-cluster client: %s", strings.TrimSpace(out))
		if !strings.Contains(out, "pods: lister,nokey,show") {
			t.Errorf("in-cluster client's output %q, want it to list lister, nokey and show", out)
		}
		// The token is the projected, pod-bound one the kubelet requested.
		p, err := cs.CoreV1().Pods(ns).Get(ctx, "lister", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, v := range p.Spec.Volumes {
			if strings.HasPrefix(v.Name, "kube-api-access-") && v.Projected != nil {
				found = true
			}
		}
		if !found {
			t.Errorf("pod has no kube-api-access volume: %+v", p.Spec.Volumes)
		}
	})
}
