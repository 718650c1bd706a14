package apiserver_test

import (
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/minik8s/minik8s/internal/testenv"
)

// TestKubectlConfigKinds drives ConfigMaps, Secrets and ServiceAccounts
// with the real kubectl: its typed create commands (protobuf bodies),
// get with server-side tables, describe, edit, explain, api-resources,
// delete, and a 422 for each kind.
func TestKubectlConfigKinds(t *testing.T) {
	t.Parallel()
	s := testenv.StartAPIServer(t, testenv.Options{})
	dir := t.TempDir()
	kubectl := func(args ...string) string {
		t.Helper()
		out, err := s.Kubectl(t, "", args...)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	mustMatch := func(what, out string, patterns ...string) {
		t.Helper()
		for _, p := range patterns {
			if !regexp.MustCompile(p).MatchString(out) {
				t.Fatalf("%s: no match for %q in:\n%s", what, p, out)
			}
		}
	}
	invalid := func(what string, args []string, want ...string) {
		t.Helper()
		out, err := s.Kubectl(t, "", args...)
		if err == nil {
			t.Fatalf("%s succeeded:\n%s", what, out)
		}
		mustMatch(what, out, append([]string{`is invalid`}, want...)...)
	}
	// editor writes a KUBE_EDITOR script that runs sed on the file.
	editor := func(name, sedExpr string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte("#!/bin/sh\nsed -i '"+sedExpr+"' \"$1\"\n"), 0o700); err != nil {
			t.Fatal(err)
		}
		return p
	}
	apply := func(name, manifest string) (string, error) {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(manifest), 0o600); err != nil {
			t.Fatal(err)
		}
		return s.Kubectl(t, "", "apply", "-f", p)
	}

	mustMatch("api-resources", kubectl("api-resources"),
		`(?m)^configmaps\s+cm\s+v1\s+true\s+ConfigMap$`,
		`(?m)^secrets\s+v1\s+true\s+Secret$`,
		`(?m)^serviceaccounts\s+sa\s+v1\s+true\s+ServiceAccount$`)
	mustMatch("explain", kubectl("explain", "configmap"), `KIND:\s+ConfigMap`, `binaryData`, `immutable`)
	mustMatch("explain", kubectl("explain", "secret.stringData"), `write-only`)

	// ConfigMap.
	mustMatch("create cm", kubectl("create", "configmap", "x", "--from-literal=a=b", "--from-literal=c=d"), `configmap/x created`)
	mustMatch("get cm", kubectl("get", "cm"), `(?m)^NAME\s+DATA\s+AGE$`, `(?m)^x\s+2\s+`)
	mustMatch("describe cm", kubectl("describe", "configmap", "x"), `Name:\s+x`, `(?s)a:\s*----\s*b`)
	s.Editor = editor("edit-cm", `s/^  a: b$/  a: edited/`)
	mustMatch("edit cm", kubectl("edit", "configmap", "x"), `configmap/x edited`)
	mustMatch("edited cm", kubectl("get", "cm", "x", "-o", "jsonpath={.data.a}"), `^edited$`)
	if out, err := apply("frozen.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: frozen\nimmutable: true\ndata:\n  k: v\n"); err != nil {
		t.Fatal(out, err)
	}
	invalid("change an immutable cm", []string{"patch", "cm", "frozen", "-p", `{"data":{"k":"w"}}`},
		`ConfigMap "frozen" is invalid: data: Forbidden: field is immutable when .immutable. is set`)
	invalid("bad cm key", []string{"patch", "cm", "x", "-p", `{"data":{"a b":"c"}}`},
		`data\[a b\]: Invalid value: "a b": a valid config key must consist of alphanumeric characters`)
	mustMatch("delete cm", kubectl("delete", "configmap", "x"), `configmap "x" deleted`)

	// Secret.
	mustMatch("create secret", kubectl("create", "secret", "generic", "s", "--from-literal=p=q"), `secret/s created`)
	out := kubectl("get", "secrets")
	mustMatch("get secrets", out, `(?m)^NAME\s+TYPE\s+DATA\s+AGE$`, `(?m)^s\s+Opaque\s+1\s+`)
	if strings.Contains(out, "cQ==") {
		t.Fatalf("the table shows a secret value:\n%s", out)
	}
	mustMatch("describe secret", kubectl("describe", "secret", "s"), `Type:\s+Opaque`, `p:\s+1 bytes`)
	mustMatch("secret data", kubectl("get", "secret", "s", "-o", "jsonpath={.data.p}"), `^cQ==$`)
	s.Editor = editor("edit-secret", `s/^metadata:$/metadata:\n  labels:\n    edited: "yes"/`)
	mustMatch("edit secret", kubectl("edit", "secret", "s"), `secret/s edited`)
	mustMatch("edited secret", kubectl("get", "secret", "s", "-o", "jsonpath={.metadata.labels.edited}"), `^yes$`)
	// stringData is folded into data and not stored.
	if out, err := apply("sd.yaml", "apiVersion: v1\nkind: Secret\nmetadata:\n  name: sd\nstringData:\n  user: admin\n"); err != nil {
		t.Fatal(out, err)
	}
	mustMatch("stringData", kubectl("get", "secret", "sd", "-o", "yaml"), `user: YWRtaW4=`, `type: Opaque`)
	if out := kubectl("get", "secret", "sd", "-o", "yaml"); regexp.MustCompile(`(?m)^stringData:`).MatchString(out) {
		t.Fatalf("stringData stored:\n%s", out)
	}
	invalid("tls secret without keys", []string{"create", "secret", "generic", "t", "--type=kubernetes.io/tls", "--from-literal=x=y"},
		`data\[tls.key\]: Required value`, `data\[tls.crt\]: Required value`)
	invalid("change a secret's type", []string{"patch", "secret", "s", "-p", `{"type":"kubernetes.io/basic-auth","data":{"username":"dQ=="}}`},
		`type: Invalid value: "kubernetes.io/basic-auth": field is immutable`)
	mustMatch("delete secret", kubectl("delete", "secret", "s"), `secret "s" deleted`)

	// ServiceAccount.
	mustMatch("create sa", kubectl("create", "serviceaccount", "sa"), `serviceaccount/sa created`)
	mustMatch("get sa", kubectl("get", "sa"), `(?m)^NAME\s+SECRETS\s+AGE$`, `(?m)^sa\s+0\s+`)
	mustMatch("describe sa", kubectl("describe", "sa", "sa"), `Name:\s+sa`, `Namespace:\s+default`)
	s.Editor = editor("edit-sa", `$a automountServiceAccountToken: false`)
	mustMatch("edit sa", kubectl("edit", "sa", "sa"), `serviceaccount/sa edited`)
	mustMatch("edited sa", kubectl("get", "sa", "sa", "-o", "jsonpath={.automountServiceAccountToken}"), `^false$`)
	invalid("bad sa name", []string{"create", "serviceaccount", "Bad_Name"}, `metadata.name: Invalid value: "Bad_Name"`)
	mustMatch("delete sa", kubectl("delete", "sa", "sa"), `serviceaccount "sa" deleted`)

	// PriorityClass: the system classes exist from the start.
	mustMatch("create pc", kubectl("create", "priorityclass", "high", "--value=1000", "--description=important"), `priorityclass.scheduling.k8s.io/high created`)
	mustMatch("get pc", kubectl("get", "pc"), `(?m)^NAME\s+VALUE\s+GLOBAL-DEFAULT\s+AGE\s+PREEMPTIONPOLICY$`,
		`(?m)^high\s+1000\s+false\s+\S+\s+PreemptLowerPriority$`,
		`(?m)^system-cluster-critical\s+2000000000\s+false\s`, `(?m)^system-node-critical\s+2000001000\s+false\s`)
	mustMatch("describe pc", kubectl("describe", "priorityclass", "high"), `Value:\s+1000`, `Description:\s+important`)
	mustMatch("explain pc", kubectl("explain", "priorityclass.value"), `GROUP:\s+scheduling.k8s.io`, `integer priority`)
	s.Editor = editor("edit-pc", `s/^description: important$/description: edited/`)
	mustMatch("edit pc", kubectl("edit", "pc", "high"), `priorityclass.scheduling.k8s.io/high edited`)
	mustMatch("edited pc", kubectl("get", "pc", "high", "-o", "jsonpath={.description}"), `^edited$`)
	invalid("reserved pc name", []string{"create", "priorityclass", "system-mine", "--value=5"},
		`metadata.name: Forbidden: priority class names with 'system-' prefix are reserved for system use only`)
	invalid("pc value change", []string{"patch", "pc", "high", "-p", `{"value":2000}`}, `value: Forbidden: may not be changed in an update.`)
	mustMatch("delete pc", kubectl("delete", "pc", "high"), `priorityclass.scheduling.k8s.io "high" deleted`)

	// ResourceQuota and LimitRange: stored and validated.
	mustMatch("create quota", kubectl("create", "quota", "q", "--hard=cpu=1,pods=2,limits.memory=1Gi"), `resourcequota/q created`)
	mustMatch("get quota", kubectl("get", "quota"), `(?m)^NAME\s+AGE\s+REQUEST\s+LIMIT$`, `(?m)^q\s+\S+\s+cpu: 0/1, pods: 0/2\s+limits.memory: 0/1Gi$`)
	// No controller fills status.hard and status.used yet: describe shows
	// the name and an empty table.
	mustMatch("describe quota", kubectl("describe", "quota", "q"), `Name:\s+q`, `Resource\s+Used\s+Hard`)
	invalid("negative quota", []string{"create", "quota", "bad", "--hard=pods=-1"}, `spec.hard\[pods\]: Invalid value: "-1": must be greater than or equal to 0`)
	if out, err := apply("limits.yaml", "apiVersion: v1\nkind: LimitRange\nmetadata:\n  name: lr\nspec:\n  limits:\n  - type: Container\n    default:\n      cpu: 500m\n"); err != nil {
		t.Fatal(out, err)
	}
	mustMatch("get limits", kubectl("get", "limits"), `(?m)^NAME\s+CREATED AT$`, `(?m)^lr\s+\d{4}-`)
	invalid("limit type", []string{"patch", "limitrange", "lr", "--type=json", "-p", `[{"op":"replace","path":"/spec/limits/0/type","value":"Node"}]`},
		`spec.limits\[0\].type: Unsupported value: "Node"`)
	mustMatch("delete quota", kubectl("delete", "quota", "q"), `resourcequota "q" deleted`)

	// Storage: StorageClass, PersistentVolume, PersistentVolumeClaim.
	if out, err := apply("storage.yaml", `apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: local
  annotations:
    storageclass.kubernetes.io/is-default-class: "true"
provisioner: example.com/local
---
apiVersion: v1
kind: PersistentVolume
metadata:
  name: pv1
spec:
  capacity:
    storage: 1Gi
  accessModes: [ReadWriteOnce]
  storageClassName: local
  hostPath:
    path: /tmp/pv1
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: data
spec:
  accessModes: [ReadWriteOnce]
  storageClassName: local
  resources:
    requests:
      storage: 1Gi
`); err != nil {
		t.Fatal(out, err)
	}
	mustMatch("get sc", kubectl("get", "sc"), `(?m)^NAME\s+PROVISIONER\s+RECLAIMPOLICY\s+VOLUMEBINDINGMODE\s+ALLOWVOLUMEEXPANSION\s+AGE$`,
		`(?m)^local \(default\)\s+example.com/local\s+Delete\s+Immediate\s+false\s`)
	mustMatch("get pv", kubectl("get", "pv"), `(?m)^pv1\s+1Gi\s+RWO\s+Retain\s+Pending\s+local\s`)
	mustMatch("get pvc", kubectl("get", "pvc"), `(?m)^NAME\s+STATUS\s+VOLUME\s+CAPACITY\s+ACCESS MODES\s+STORAGECLASS\s+VOLUMEATTRIBUTESCLASS\s+AGE$`,
		`(?m)^data\s+Pending\s+local\s+<unset>\s`)
	mustMatch("describe pvc", kubectl("describe", "pvc", "data"), `Name:\s+data`, `StorageClass:\s+local`, `Status:\s+Pending`)
	invalid("pvc spec change", []string{"patch", "pvc", "data", "-p", `{"spec":{"accessModes":["ReadWriteMany"]}}`},
		`spec: Forbidden: spec is immutable after creation`)
	invalid("sc parameters", []string{"patch", "sc", "local", "-p", `{"parameters":{"a":"b"}}`},
		`parameters: Forbidden: updates to parameters are forbidden.`)
	invalid("pv without source", []string{"patch", "pv", "pv1", "--type=json", "-p", `[{"op":"remove","path":"/spec/hostPath"}]`},
		`spec: Required value: must specify a volume type`)
	mustMatch("delete pvc", kubectl("delete", "pvc", "data"), `persistentvolumeclaim "data" deleted`)

	// RBAC: stored and validated.
	mustMatch("create role", kubectl("create", "role", "pod-reader", "--verb=get,list", "--resource=pods"), `role.rbac.authorization.k8s.io/pod-reader created`)
	mustMatch("create rolebinding", kubectl("create", "rolebinding", "read-pods", "--role=pod-reader", "--user=jane", "--serviceaccount=default:sa"),
		`rolebinding.rbac.authorization.k8s.io/read-pods created`)
	mustMatch("create clusterrole", kubectl("create", "clusterrole", "node-reader", "--verb=get", "--resource=nodes"), `clusterrole.rbac.authorization.k8s.io/node-reader created`)
	mustMatch("create clusterrolebinding", kubectl("create", "clusterrolebinding", "read-nodes", "--clusterrole=node-reader", "--group=ops"),
		`clusterrolebinding.rbac.authorization.k8s.io/read-nodes created`)
	mustMatch("get roles", kubectl("get", "roles"), `(?m)^NAME\s+CREATED AT$`, `(?m)^pod-reader\s+\d{4}-`)
	mustMatch("get rolebindings", kubectl("get", "rolebindings", "-o", "wide"), `(?m)^NAME\s+ROLE\s+AGE\s+USERS\s+GROUPS\s+SERVICEACCOUNTS$`,
		`(?m)^read-pods\s+Role/pod-reader\s+\S+\s+jane\s+default/sa$`)
	mustMatch("get clusterrolebindings", kubectl("get", "clusterrolebinding", "read-nodes"), `(?m)^read-nodes\s+ClusterRole/node-reader\s`)
	mustMatch("describe role", kubectl("describe", "role", "pod-reader"), `Name:\s+pod-reader`, `pods\s+\[\]\s+\[\]\s+\[get list\]`)
	if out, err := apply("badrole.yaml", "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata:\n  name: bad\nrules:\n- verbs: [get]\n  apiGroups: [\"\"]\n"); err == nil {
		t.Fatalf("role without resources: %s", out)
	} else if !strings.Contains(out, "rules[0].resources: Required value: resource rules must supply at least one resource") {
		t.Fatalf("role without resources: %s", out)
	}
	invalid("roleRef change", []string{"patch", "rolebinding", "read-pods", "-p", `{"roleRef":{"name":"other"}}`}, `roleRef: Invalid value: .*: cannot change roleRef`)
	mustMatch("delete role", kubectl("delete", "role", "pod-reader"), `role.rbac.authorization.k8s.io "pod-reader" deleted`)
}

// TestConfigKindsLimits checks the limits Kubernetes puts on ConfigMaps
// and Secrets through the API: 1 MiB of data (422), and base64 in a
// Secret's data (400, as Kubernetes fails to decode it).
func TestConfigKindsLimits(t *testing.T) {
	t.Parallel()
	s := testenv.StartAPIServer(t, testenv.Options{})
	big := strings.Repeat("x", 600*1024)
	r := s.Do(t, "POST", "/api/v1/namespaces/default/configmaps",
		`{"metadata":{"name":"big"},"data":{"a":"`+big+`","b":"`+big+`"}}`)
	expect(t, r, http.StatusUnprocessableEntity)
	var st status
	r.JSON(t, &st)
	if st.Reason != "Invalid" || !strings.Contains(st.Message, "Too long: may not be more than 1048576 bytes") {
		t.Fatalf("1.2 MiB configmap: %+v", st)
	}
	expect(t, s.Do(t, "POST", "/api/v1/namespaces/default/configmaps",
		`{"metadata":{"name":"fits"},"data":{"a":"`+big+`"}}`), http.StatusCreated)
	expect(t, s.Do(t, "POST", "/api/v1/namespaces/default/configmaps",
		`{"metadata":{"name":"dup"},"data":{"a":"x"},"binaryData":{"a":"eA=="}}`), http.StatusUnprocessableEntity)

	r = s.Do(t, "POST", "/api/v1/namespaces/default/secrets", `{"metadata":{"name":"b64"},"data":{"a":"not base64!"}}`)
	expect(t, r, http.StatusBadRequest)
	r = s.Do(t, "POST", "/api/v1/namespaces/default/secrets",
		`{"metadata":{"name":"big"},"data":{"a":"`+strings.Repeat("QUFB", 350*1024)+`"}}`)
	expect(t, r, http.StatusUnprocessableEntity)
	r.JSON(t, &st)
	if !strings.Contains(st.Message, "data: Too long: may not be more than 1048576 bytes") {
		t.Fatalf("1.05 MiB secret: %+v", st)
	}
	// Namespaces declare no deletecollection: 405, as in Kubernetes.
	expect(t, s.Do(t, "DELETE", "/api/v1/namespaces", nil), http.StatusMethodNotAllowed)
	// Watch from resourceVersion 0 starts with the ConfigMaps there are.
	r = s.Do(t, "GET", "/api/v1/namespaces/default/configmaps?watch=true&timeoutSeconds=1&resourceVersion=0", nil)
	expect(t, r, http.StatusOK)
	if !strings.Contains(string(r.Body), `"type":"ADDED"`) || !strings.Contains(string(r.Body), `"name":"fits"`) {
		t.Fatalf("watch of configmaps: %s", r.Body)
	}
}
