package clientgo

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/remotecommand"
)

// TestExecSimulatedRuntime drives pods/exec with client-go's SPDY executor
// (remotecommand.NewSPDYExecutor) and its WebSocket one: on the simulated
// runtime, which has no processes, both fail at once with the server's
// 400, never hang. (The Docker runtime's exec, over both protocols, is in
// the e2e package: kubectl exec, whose SPDY fallback is this executor.)
func TestExecSimulatedRuntime(t *testing.T) {
	ns := newNamespace(t)
	createPod(t, cluster.client, ns, "p")
	eventually(t, 30*time.Second, "pod p Running", func(ctx context.Context) error {
		p, err := cluster.client.CoreV1().Pods(ns).Get(ctx, "p", metav1.GetOptions{})
		if err != nil {
			return err
		}
		if p.Status.Phase != corev1.PodRunning {
			return fmt.Errorf("phase %s", p.Status.Phase)
		}
		return nil
	})
	req := cluster.client.CoreV1().RESTClient().Post().Resource("pods").Namespace(ns).Name("p").
		SubResource("exec").VersionedParams(&corev1.PodExecOptions{
		Container: "c", Command: []string{"true"}, Stdout: true, Stderr: true,
	}, scheme.ParameterCodec)
	cfg := rest.CopyConfig(cluster.config)
	for name, mk := range map[string]func() (remotecommand.Executor, error){
		"spdy": func() (remotecommand.Executor, error) {
			return remotecommand.NewSPDYExecutor(cfg, http.MethodPost, req.URL())
		},
		"websocket": func() (remotecommand.Executor, error) {
			return remotecommand.NewWebSocketExecutor(cfg, http.MethodGet, req.URL().String())
		},
	} {
		t.Run(name, func(t *testing.T) {
			exec, err := mk()
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
			defer cancel()
			var out bytes.Buffer
			err = exec.StreamWithContext(ctx, remotecommand.StreamOptions{Stdout: &out, Stderr: &out})
			if err == nil || errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "no processes") {
				t.Errorf("exec on the simulated runtime: %v, want the server's error saying it has no processes", err)
			}
		})
	}
}
