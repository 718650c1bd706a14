package fieldmanager

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/minik8s/minik8s/api"
)

const benchPod = `{"apiVersion":"v1","kind":"Pod","metadata":{"generateName":"web-764575c757-","labels":{"app":"web","pod-template-hash":"764575c757"},"namespace":"default",
"ownerReferences":[{"apiVersion":"apps/v1","blockOwnerDeletion":true,"controller":true,"kind":"ReplicaSet","name":"web-764575c757","uid":"e59c2c88-f7cf-4712-bfe1-fd38e61ef4d9"}]},
"spec":{"containers":[{"image":"x","imagePullPolicy":"Always","name":"x","resources":{},"terminationMessagePath":"/dev/termination-log","terminationMessagePolicy":"File"}],
"dnsPolicy":"ClusterFirst","enableServiceLinks":true,"preemptionPolicy":"PreemptLowerPriority","priority":0,"restartPolicy":"Always","schedulerName":"default-scheduler","securityContext":{},
"terminationGracePeriodSeconds":30,"tolerations":[{"effect":"NoExecute","key":"node.kubernetes.io/not-ready","operator":"Exists","tolerationSeconds":300},{"effect":"NoExecute","key":"node.kubernetes.io/unreachable","operator":"Exists","tolerationSeconds":300}]}}`

const benchPodStatus = `{"conditions":[{"lastTransitionTime":"2026-12-05T18:10:31Z","status":"True","type":"PodScheduled"},{"lastTransitionTime":"2026-12-05T18:10:31Z","status":"True","type":"Initialized"},
{"lastTransitionTime":"2026-12-05T18:10:31Z","status":"True","type":"ContainersReady"},{"lastTransitionTime":"2026-12-05T18:10:31Z","status":"True","type":"Ready"}],
"containerStatuses":[{"containerID":"sim://0000000000000002","image":"x","imageID":"sim://sha256:af63f54c86021707","lastState":{},"name":"x","ready":true,"restartCount":0,"started":true,"state":{"running":{"startedAt":"2026-12-05T18:10:31Z"}}}],
"hostIP":"127.0.0.1","hostIPs":[{"ip":"127.0.0.1"}],"phase":"Running","podIP":"10.244.97.2","podIPs":[{"ip":"10.244.97.2"}],"qosClass":"BestEffort","startTime":"2026-12-05T18:10:31Z"}`

// BenchmarkPodLifecycle measures the managedFields of a Deployment's pod's
// writes: its create by the ReplicaSet controller, and the kubelet's
// status write that makes it Running.
func BenchmarkPodLifecycle(b *testing.B) {
	m := ForGo(reflect.TypeFor[api.Pod](), "v1", true)
	now := time.Now()
	tb := &testing.T{}
	b.Run("create", func(b *testing.B) {
		loop(b, func() {
			o := obj(tb, benchPod)
			if err := m.Update(nil, o, "kube-controller-manager", "", now); err != nil {
				b.Fatal(err)
			}
		})
	})
	created := obj(tb, benchPod)
	created["status"] = obj(tb, `{"phase":"Pending","qosClass":"BestEffort","conditions":[{"lastTransitionTime":"2026-12-05T18:10:31Z","status":"True","type":"PodScheduled"}]}`)
	if err := m.Update(nil, created, "kube-controller-manager", "", now); err != nil {
		b.Fatal(err)
	}
	stored, err := json.Marshal(created)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("status", func(b *testing.B) {
		loop(b, func() {
			cur := obj(tb, string(stored))
			next := copyObject(cur)
			next["status"] = obj(tb, benchPodStatus)
			if err := m.Update(cur, next, "kubelet", "status", now); err != nil {
				b.Fatal(err)
			}
		})
	})
	b.Run("decode-only", func(b *testing.B) {
		loop(b, func() {
			cur := obj(tb, string(stored))
			next := copyObject(cur)
			next["status"] = obj(tb, benchPodStatus)
		})
	})
}
