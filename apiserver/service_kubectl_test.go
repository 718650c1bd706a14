package apiserver_test

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/minik8s/minik8s/internal/testenv"
)

// TestKubectlServices drives Services, Endpoints and EndpointSlices with
// the real kubectl: create service clusterip|nodeport|externalname (and
// loadbalancer), expose deployment, get (wide, all), describe, edit, a
// taken IP and a taken node port (422), delete.
func TestKubectlServices(t *testing.T) {
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

	mustMatch("create clusterip", kubectl("create", "service", "clusterip", "web", "--tcp=80:8080"), `service/web created`)
	mustMatch("create nodeport", kubectl("create", "service", "nodeport", "np", "--tcp=80:8080", "--node-port=30080"), `service/np created`)
	mustMatch("create externalname", kubectl("create", "service", "externalname", "ext", "--external-name=db.example.com"), `service/ext created`)
	mustMatch("create loadbalancer", kubectl("create", "service", "loadbalancer", "lb", "--tcp=443"), `service/lb created`)
	mustMatch("create headless", kubectl("create", "service", "clusterip", "hl", "--clusterip=None"), `service/hl created`)

	out := kubectl("get", "services")
	mustMatch("get svc", out,
		`(?m)^NAME\s+TYPE\s+CLUSTER-IP\s+EXTERNAL-IP\s+PORT\(S\)\s+AGE$`,
		`(?m)^kubernetes\s+ClusterIP\s+10\.96\.0\.1\s+<none>\s+443/TCP\s+`,
		`(?m)^web\s+ClusterIP\s+10\.\d+\.\d+\.\d+\s+<none>\s+80/TCP\s+`,
		`(?m)^np\s+NodePort\s+10\.\d+\.\d+\.\d+\s+<none>\s+80:30080/TCP\s+`,
		`(?m)^ext\s+ExternalName\s+<none>\s+db\.example\.com\s+<none>\s+`,
		`(?m)^lb\s+LoadBalancer\s+10\.\d+\.\d+\.\d+\s+<pending>\s+443:3\d{4}/TCP\s+`,
		`(?m)^hl\s+ClusterIP\s+None\s+<none>\s+<none>\s+`)
	mustMatch("get svc -o wide", kubectl("get", "svc", "web", "-o", "wide"), `(?m)^NAME\s+TYPE\s+CLUSTER-IP\s+EXTERNAL-IP\s+PORT\(S\)\s+AGE\s+SELECTOR$`, `(?m)^web\s+.*\s+app=web$`)
	mustMatch("short name", kubectl("get", "svc", "np", "-o", "jsonpath={.spec.ports[0].nodePort} {.spec.ports[0].targetPort} {.spec.externalTrafficPolicy}"), `^30080 8080 Cluster$`)

	// A taken node port and a taken cluster IP: 422 with Kubernetes' wording.
	invalid("taken node port", []string{"create", "service", "nodeport", "np2", "--tcp=80", "--node-port=30080"},
		`Service "np2" is invalid: spec.ports\[0\]\.nodePort: Invalid value: 30080: provided port is already allocated`)
	ip := kubectl("get", "svc", "web", "-o", "jsonpath={.spec.clusterIP}")
	invalid("taken cluster IP", []string{"create", "service", "clusterip", "web2", "--tcp=80", "--clusterip=" + ip},
		regexp.QuoteMeta(`Service "web2" is invalid: spec.clusterIPs: Invalid value: ["`+ip+`"]: failed to allocate IP `+ip+`: provided IP is already allocated`))
	invalid("out of range node port", []string{"create", "service", "nodeport", "np3", "--tcp=80", "--node-port=8080"},
		`provided port is not in the valid range. The range of valid ports is 30000-32767`)

	// expose a deployment: the service selects its pods' labels.
	mustMatch("create deployment", kubectl("create", "deployment", "app", "--image=nginx:1.27"), `deployment.apps/app created`)
	mustMatch("expose", kubectl("expose", "deployment", "app", "--port=80", "--target-port=8080", "--type=NodePort"), `service/app exposed`)
	mustMatch("exposed", kubectl("get", "svc", "app", "-o", "wide"), `(?m)^app\s+NodePort\s+\S+\s+<none>\s+80:3\d{4}/TCP\s+\S+\s+app=app$`)

	// get all lists services with the workloads.
	mustMatch("get all", kubectl("get", "all"), `(?m)^service/kubernetes\s+ClusterIP\s+10\.96\.0\.1\s+`, `(?m)^service/app\s+NodePort\s+`, `(?m)^deployment\.apps/app\s+`)

	// describe reads the service, its endpoints and events.
	mustMatch("describe svc", kubectl("describe", "svc", "np"), `Name:\s+np`, `Type:\s+NodePort`, `IP:\s+10\.`, `NodePort:\s+80-8080\s+30080/TCP`, `TargetPort:\s+8080/TCP`, `Session Affinity:\s+None`)
	mustMatch("describe kubernetes", kubectl("describe", "svc", "kubernetes"), `Endpoints:\s+127\.0\.0\.1:\d+`)

	// edit: NodePort → ClusterIP drops the node port, which is free again.
	editor := filepath.Join(dir, "edit-svc")
	if err := os.WriteFile(editor, []byte("#!/bin/sh\nsed -i 's/type: NodePort/type: ClusterIP/; /nodePort:/d; /externalTrafficPolicy:/d' \"$1\"\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	s.Editor = editor
	mustMatch("edit svc", kubectl("edit", "svc", "np"), `service/np edited`)
	mustMatch("edited", kubectl("get", "svc", "np"), `(?m)^np\s+ClusterIP\s+\S+\s+<none>\s+80/TCP\s+`)
	mustMatch("port free again", kubectl("create", "service", "nodeport", "np2", "--tcp=80", "--node-port=30080"), `service/np2 created`)
	invalid("change the cluster IP", []string{"patch", "svc", "web", "-p", `{"spec":{"clusterIP":"10.96.0.99","clusterIPs":["10.96.0.99"]}}`},
		`spec.clusterIP: Invalid value: "10.96.0.99": field is immutable`)

	// Endpoints and EndpointSlices of the kubernetes Service.
	mustMatch("get endpoints", kubectl("get", "endpoints", "kubernetes"), `(?m)^NAME\s+ENDPOINTS\s+AGE$`, `(?m)^kubernetes\s+127\.0\.0\.1:\d+\s+`)
	mustMatch("get endpointslices", kubectl("get", "endpointslices", "-l", "kubernetes.io/service-name=kubernetes"),
		`(?m)^NAME\s+ADDRESSTYPE\s+PORTS\s+ENDPOINTS\s+AGE$`, `(?m)^kubernetes\s+IPv4\s+\d+\s+127\.0\.0\.1\s+`)
	mustMatch("explain", kubectl("explain", "service.spec.clusterIP"), `allocated from the service range`)

	// apply, twice and changed: the allocated values stay.
	manifest := "apiVersion: v1\nkind: Service\nmetadata:\n  name: applied\nspec:\n  type: NodePort\n  selector:\n    app: web\n  ports:\n  - name: http\n    port: 80\n    targetPort: http\n"
	file := filepath.Join(dir, "svc.yaml")
	for _, m := range []string{manifest, manifest, manifest + "  - name: metrics\n    port: 9090\n"} {
		if err := os.WriteFile(file, []byte(m), 0o600); err != nil {
			t.Fatal(err)
		}
		mustMatch("apply", kubectl("apply", "-f", file), `service/applied (created|unchanged|configured)`)
	}
	applied := kubectl("get", "svc", "applied", "-o", "jsonpath={.spec.clusterIP} {.spec.ports[0].nodePort} {.spec.ports[1].nodePort}")
	if f := regexp.MustCompile(`^10\.\d+\.\d+\.\d+ 3\d{4} 3\d{4}$`); !f.MatchString(applied) {
		t.Fatalf("applied service: %q", applied)
	}
	// replace with what get -o yaml gave keeps everything.
	yaml := kubectl("get", "svc", "applied", "-o", "yaml")
	if err := os.WriteFile(file, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	mustMatch("replace", kubectl("replace", "-f", file), `service/applied replaced`)
	if again := kubectl("get", "svc", "applied", "-o", "jsonpath={.spec.clusterIP} {.spec.ports[0].nodePort} {.spec.ports[1].nodePort}"); again != applied {
		t.Errorf("replace changed %q to %q", applied, again)
	}

	// delete releases the IP: another service takes it.
	mustMatch("delete svc", kubectl("delete", "svc", "web"), `service "web" deleted`)
	mustMatch("IP free again", kubectl("create", "service", "clusterip", "web2", "--tcp=80", "--clusterip="+ip), `service/web2 created`)
}
