package apiserver_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/app"
	"github.com/minik8s/minik8s/controllers/controllerutil/controllertest"
	"github.com/minik8s/minik8s/internal/testenv"
	"github.com/minik8s/minik8s/internal/testsvc"
)

const svcs = "/api/v1/namespaces/default/services"

func getService(t *testing.T, s *testenv.APIServer, name string) api.Service {
	t.Helper()
	r := s.Do(t, "GET", svcs+"/"+name, nil)
	expect(t, r, http.StatusOK)
	var svc api.Service
	r.JSON(t, &svc)
	return svc
}

func createService(t *testing.T, s *testenv.APIServer, body string) api.Service {
	t.Helper()
	r := s.Do(t, "POST", svcs, body)
	expect(t, r, http.StatusCreated)
	var svc api.Service
	r.JSON(t, &svc)
	return svc
}

// statusMessage is the message of a Status body.
func statusMessage(t *testing.T, r *testenv.Response) string {
	t.Helper()
	var st api.Status
	r.JSON(t, &st)
	return st.Message
}

func TestServiceDefaultsAndKubernetesService(t *testing.T) {
	t.Parallel()
	s := testenv.StartAPIServer(t, testenv.Options{})
	k := getService(t, s, "kubernetes")
	if k.Spec.ClusterIP != "10.96.0.1" || len(k.Spec.Ports) != 1 || k.Spec.Ports[0].Port != 443 || k.Spec.Ports[0].Name != "https" {
		t.Errorf("kubernetes service: %+v", k.Spec)
	}

	svc := createService(t, s, `{"metadata":{"name":"web"},"spec":{"selector":{"app":"web"},"ports":[{"port":80}]}}`)
	sp := svc.Spec
	ip, err := netip.ParseAddr(sp.ClusterIP)
	if err != nil || !netip.MustParsePrefix("10.96.0.0/12").Contains(ip) || ip.String() == "10.96.0.1" {
		t.Errorf("clusterIP %q not allocated from the range", sp.ClusterIP)
	}
	if len(sp.ClusterIPs) != 1 || sp.ClusterIPs[0] != sp.ClusterIP {
		t.Errorf("clusterIPs %v do not mirror clusterIP %s", sp.ClusterIPs, sp.ClusterIP)
	}
	if sp.Type != "ClusterIP" || sp.SessionAffinity != "None" || sp.Ports[0].Protocol != "TCP" ||
		sp.Ports[0].TargetPort != api.FromInt(80) || sp.Ports[0].NodePort != 0 {
		t.Errorf("defaults: %+v", sp)
	}
	if len(sp.IPFamilies) != 1 || sp.IPFamilies[0] != "IPv4" || sp.IPFamilyPolicy == nil || *sp.IPFamilyPolicy != "SingleStack" {
		t.Errorf("ip families: %v %v", sp.IPFamilies, sp.IPFamilyPolicy)
	}
	if sp.InternalTrafficPolicy == nil || *sp.InternalTrafficPolicy != "Cluster" || sp.ExternalTrafficPolicy != "" {
		t.Errorf("traffic policies: %v %q", sp.InternalTrafficPolicy, sp.ExternalTrafficPolicy)
	}

	np := createService(t, s, `{"metadata":{"name":"np"},"spec":{"type":"NodePort","sessionAffinity":"ClientIP","ports":[{"name":"http","port":80,"targetPort":"http"},{"name":"dns","port":53,"protocol":"UDP"}]}}`)
	for _, p := range np.Spec.Ports {
		if p.NodePort < 30000 || p.NodePort > 32767 {
			t.Errorf("port %s: nodePort %d outside 30000-32767", p.Name, p.NodePort)
		}
	}
	if np.Spec.Ports[0].TargetPort != api.FromString("http") || np.Spec.ExternalTrafficPolicy != "Cluster" {
		t.Errorf("NodePort defaults: %+v", np.Spec)
	}
	if c := np.Spec.SessionAffinityConfig; c == nil || c.ClientIP == nil || *c.ClientIP.TimeoutSeconds != 10800 {
		t.Errorf("ClientIP affinity timeout not defaulted: %+v", c)
	}

	lb := createService(t, s, `{"metadata":{"name":"lb"},"spec":{"type":"LoadBalancer","ports":[{"port":443}]}}`)
	if lb.Spec.Ports[0].NodePort == 0 || len(lb.Status.LoadBalancer.Ingress) != 0 {
		t.Errorf("LoadBalancer: %+v %+v", lb.Spec, lb.Status)
	}
	// A client cannot fill the load balancer's status on create.
	lb2 := createService(t, s, `{"metadata":{"name":"lb2"},"spec":{"type":"LoadBalancer","ports":[{"port":443}]},"status":{"loadBalancer":{"ingress":[{"ip":"1.2.3.4"}]}}}`)
	if len(lb2.Status.LoadBalancer.Ingress) != 0 {
		t.Errorf("status kept on create: %+v", lb2.Status)
	}

	headless := createService(t, s, `{"metadata":{"name":"db"},"spec":{"clusterIP":"None","selector":{"app":"db"}}}`)
	if headless.Spec.ClusterIP != "None" || len(headless.Spec.ClusterIPs) != 1 || headless.Spec.ClusterIPs[0] != "None" {
		t.Errorf("headless: %+v", headless.Spec)
	}
	ext := createService(t, s, `{"metadata":{"name":"ext"},"spec":{"type":"ExternalName","externalName":"example.com"}}`)
	if ext.Spec.ClusterIP != "" || len(ext.Spec.IPFamilies) != 0 || ext.Spec.IPFamilyPolicy != nil {
		t.Errorf("ExternalName got an IP: %+v", ext.Spec)
	}

	// Table columns as kubectl prints them.
	r := s.Do(t, "GET", svcs, nil, "Accept", "application/json;as=Table;v=v1;g=meta.k8s.io")
	expect(t, r, http.StatusOK)
	var table struct {
		Rows []struct{ Cells []any } `json:"rows"`
	}
	r.JSON(t, &table)
	rows := map[string][]any{}
	for _, row := range table.Rows {
		rows[row.Cells[0].(string)] = row.Cells
	}
	npPorts := fmt.Sprintf("80:%d/TCP,53:%d/UDP", np.Spec.Ports[0].NodePort, np.Spec.Ports[1].NodePort)
	for name, want := range map[string][]any{
		"kubernetes": {"kubernetes", "ClusterIP", "10.96.0.1", "<none>", "443/TCP"},
		"np":         {"np", "NodePort", np.Spec.ClusterIP, "<none>", npPorts},
		"lb":         {"lb", "LoadBalancer", lb.Spec.ClusterIP, "<pending>", fmt.Sprintf("443:%d/TCP", lb.Spec.Ports[0].NodePort)},
		"db":         {"db", "ClusterIP", "None", "<none>", "<none>"},
		"ext":        {"ext", "ExternalName", "<none>", "example.com", "<none>"},
	} {
		got := rows[name]
		if len(got) < 7 || fmt.Sprint(got[:5]) != fmt.Sprint(want) {
			t.Errorf("row %s: %v, want %v", name, got, want)
		}
	}
	if got := rows["web"][6]; got != "app=web" {
		t.Errorf("selector column %v", got)
	}
}

func TestServiceValidation(t *testing.T) {
	t.Parallel()
	s := testenv.StartAPIServer(t, testenv.Options{})
	for _, tc := range []struct{ name, body, msg string }{
		{"no ports", `{"metadata":{"name":"a"},"spec":{}}`, `spec.ports: Required value`},
		{"bad name", `{"metadata":{"name":"1a"},"spec":{"ports":[{"port":80}]}}`, `metadata.name: Invalid value: "1a": a DNS-1035 label`},
		{"unnamed ports", `{"metadata":{"name":"a"},"spec":{"ports":[{"port":80},{"port":81}]}}`, `spec.ports[0].name: Required value`},
		{"port range", `{"metadata":{"name":"a"},"spec":{"ports":[{"port":70000}]}}`, `spec.ports[0].port: Invalid value: 70000: must be between 1 and 65535, inclusive`},
		{"protocol", `{"metadata":{"name":"a"},"spec":{"ports":[{"port":80,"protocol":"HTTP"}]}}`, `spec.ports[0].protocol: Unsupported value: "HTTP": supported values: "SCTP", "TCP", "UDP"`},
		{"target port name", `{"metadata":{"name":"a"},"spec":{"ports":[{"port":80,"targetPort":"Web_1"}]}}`, `spec.ports[0].targetPort: Invalid value: "Web_1"`},
		{"duplicate port", `{"metadata":{"name":"a"},"spec":{"ports":[{"name":"a","port":80},{"name":"b","port":80}]}}`, `spec.ports[1]: Duplicate value: {"port":80,"protocol":"TCP"}`},
		{"type", `{"metadata":{"name":"a"},"spec":{"type":"Magic","ports":[{"port":80}]}}`, `spec.type: Unsupported value: "Magic": supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"`},
		{"node port on ClusterIP", `{"metadata":{"name":"a"},"spec":{"ports":[{"port":80,"nodePort":30001}]}}`, "spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'"},
		{"affinity", `{"metadata":{"name":"a"},"spec":{"sessionAffinity":"Sticky","ports":[{"port":80}]}}`, `spec.sessionAffinity: Unsupported value: "Sticky": supported values: "ClientIP", "None"`},
		{"bad cluster IP", `{"metadata":{"name":"a"},"spec":{"clusterIP":"10.96.0.300","ports":[{"port":80}]}}`, `spec.clusterIPs[0]: Invalid value: "10.96.0.300": must be a valid IP address`},
		{"clusterIPs mismatch", `{"metadata":{"name":"a"},"spec":{"clusterIP":"10.96.0.20","clusterIPs":["10.96.0.21"],"ports":[{"port":80}]}}`, "spec.clusterIPs[0]: Invalid value: \"10.96.0.21\": must match `clusterIP` when set"},
		{"external policy on ClusterIP", `{"metadata":{"name":"a"},"spec":{"externalTrafficPolicy":"Local","ports":[{"port":80}]}}`, `spec.externalTrafficPolicy: Invalid value: "Local": may only be set for externally-accessible services`},
		{"external name missing", `{"metadata":{"name":"a"},"spec":{"type":"ExternalName"}}`, `spec.externalName: Required value`},
		{"headless NodePort", `{"metadata":{"name":"a"},"spec":{"type":"NodePort","clusterIP":"None","ports":[{"port":80}]}}`, `may not be set to 'None' for NodePort services`},
		{"dual stack", `{"metadata":{"name":"a"},"spec":{"ipFamilyPolicy":"RequireDualStack","ports":[{"port":80}]}}`, `spec.ipFamilyPolicy: Invalid value: "RequireDualStack": this cluster is not configured for dual-stack services`},
		{"IPv6", `{"metadata":{"name":"a"},"spec":{"ipFamilies":["IPv6"],"ports":[{"port":80}]}}`, `spec.ipFamilies[0]: Invalid value: "IPv6": not configured on this cluster`},
		{"out of range IP", `{"metadata":{"name":"a"},"spec":{"clusterIP":"10.0.0.10","ports":[{"port":80}]}}`,
			`spec.clusterIPs: Invalid value: ["10.0.0.10"]: failed to allocate IP 10.0.0.10: the provided IP (10.0.0.10) is not in the valid range. The range of valid IPs is 10.96.0.0/12`},
		{"out of range node port", `{"metadata":{"name":"a"},"spec":{"type":"NodePort","ports":[{"port":80,"nodePort":8080}]}}`,
			`spec.ports[0].nodePort: Invalid value: 8080: provided port is not in the valid range. The range of valid ports is 30000-32767`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := s.Do(t, "POST", svcs, tc.body)
			expect(t, r, http.StatusUnprocessableEntity)
			if msg := statusMessage(t, r); !strings.Contains(msg, tc.msg) {
				t.Errorf("message %q, want it to contain %q", msg, tc.msg)
			}
		})
	}
}

func TestServiceAllocationReleaseAndTypeChanges(t *testing.T) {
	t.Parallel()
	s := testenv.StartAPIServer(t, testenv.Options{})
	createService(t, s, `{"metadata":{"name":"a"},"spec":{"type":"NodePort","clusterIP":"10.96.0.10","ports":[{"port":80,"nodePort":30080}]}}`)

	// Taken IP and taken port: 422 with Kubernetes' wording.
	r := s.Do(t, "POST", svcs, `{"metadata":{"name":"b"},"spec":{"clusterIP":"10.96.0.10","ports":[{"port":80}]}}`)
	expect(t, r, http.StatusUnprocessableEntity)
	if want := `Service "b" is invalid: spec.clusterIPs: Invalid value: ["10.96.0.10"]: failed to allocate IP 10.96.0.10: provided IP is already allocated`; statusMessage(t, r) != want {
		t.Errorf("taken IP: %q, want %q", statusMessage(t, r), want)
	}
	// The IP is free, the port taken: the failed create releases the IP.
	r = s.Do(t, "POST", svcs, `{"metadata":{"name":"b"},"spec":{"type":"NodePort","clusterIP":"10.96.0.11","ports":[{"port":80,"nodePort":30080}]}}`)
	expect(t, r, http.StatusUnprocessableEntity)
	if want := `Service "b" is invalid: spec.ports[0].nodePort: Invalid value: 30080: provided port is already allocated`; statusMessage(t, r) != want {
		t.Errorf("taken port: %q, want %q", statusMessage(t, r), want)
	}
	createService(t, s, `{"metadata":{"name":"c"},"spec":{"clusterIP":"10.96.0.11","ports":[{"port":80}]}}`)

	// A dry run says the same and claims nothing.
	r = s.Do(t, "POST", svcs+"?dryRun=All", `{"metadata":{"name":"d"},"spec":{"clusterIP":"10.96.0.10","ports":[{"port":80}]}}`)
	expect(t, r, http.StatusUnprocessableEntity)
	r = s.Do(t, "POST", svcs+"?dryRun=All", `{"metadata":{"name":"d"},"spec":{"clusterIP":"10.96.0.12","ports":[{"port":80}]}}`)
	expect(t, r, http.StatusCreated)
	createService(t, s, `{"metadata":{"name":"d"},"spec":{"clusterIP":"10.96.0.12","ports":[{"port":80}]}}`)

	// The cluster IP is immutable.
	a := getService(t, s, "a")
	a.Spec.ClusterIP, a.Spec.ClusterIPs = "10.96.0.13", []string{"10.96.0.13"}
	r = s.Do(t, "PUT", svcs+"/a", a)
	expect(t, r, http.StatusUnprocessableEntity)
	if !strings.Contains(statusMessage(t, r), `spec.clusterIP: Invalid value: "10.96.0.13": field is immutable`) {
		t.Errorf("changed cluster IP: %s", statusMessage(t, r))
	}
	// A replace that leaves the allocated values out keeps them.
	r = s.Do(t, "PUT", svcs+"/a", `{"metadata":{"name":"a"},"spec":{"type":"NodePort","ports":[{"port":80}]}}`)
	expect(t, r, http.StatusOK)
	if a := getService(t, s, "a"); a.Spec.ClusterIP != "10.96.0.10" || a.Spec.Ports[0].NodePort != 30080 {
		t.Errorf("replace without allocated values: %+v", a.Spec)
	}

	// NodePort → ClusterIP releases the node port; another service takes it.
	r = s.Do(t, "PATCH", svcs+"/a", `{"spec":{"type":"ClusterIP"}}`, "Content-Type", "application/merge-patch+json")
	expect(t, r, http.StatusOK)
	if a := getService(t, s, "a"); a.Spec.Ports[0].NodePort != 0 || a.Spec.ExternalTrafficPolicy != "" {
		t.Errorf("NodePort → ClusterIP kept %+v", a.Spec)
	}
	createService(t, s, `{"metadata":{"name":"e"},"spec":{"type":"NodePort","ports":[{"port":80,"nodePort":30080}]}}`)
	// ClusterIP → NodePort allocates a port.
	r = s.Do(t, "PATCH", svcs+"/c", `{"spec":{"type":"NodePort"}}`, "Content-Type", "application/merge-patch+json")
	expect(t, r, http.StatusOK)
	if c := getService(t, s, "c"); c.Spec.Ports[0].NodePort < 30000 || c.Spec.ExternalTrafficPolicy != "Cluster" {
		t.Errorf("ClusterIP → NodePort: %+v", c.Spec)
	}
	// → ExternalName releases the IP; back to ClusterIP allocates a new one.
	r = s.Do(t, "PATCH", svcs+"/d", `{"spec":{"type":"ExternalName","externalName":"db.example.com"}}`, "Content-Type", "application/merge-patch+json")
	expect(t, r, http.StatusOK)
	if d := getService(t, s, "d"); d.Spec.ClusterIP != "" || len(d.Spec.ClusterIPs) != 0 {
		t.Errorf("ExternalName kept its IP: %+v", d.Spec)
	}
	createService(t, s, `{"metadata":{"name":"f"},"spec":{"clusterIP":"10.96.0.12","ports":[{"port":80}]}}`)
	r = s.Do(t, "PATCH", svcs+"/d", `{"spec":{"type":"ClusterIP","externalName":null}}`, "Content-Type", "application/merge-patch+json")
	expect(t, r, http.StatusOK)
	if d := getService(t, s, "d"); d.Spec.ClusterIP == "" || d.Spec.ClusterIP == "10.96.0.12" {
		t.Errorf("ExternalName → ClusterIP: %+v", d.Spec)
	}

	// Delete releases both.
	expect(t, s.Do(t, "DELETE", svcs+"/e", nil), http.StatusOK)
	expect(t, s.Do(t, "DELETE", svcs+"/f", nil), http.StatusOK)
	createService(t, s, `{"metadata":{"name":"g"},"spec":{"type":"NodePort","clusterIP":"10.96.0.12","ports":[{"port":80,"nodePort":30080}]}}`)
}

// TestServiceAllocationAcrossAPIServers creates services in parallel on
// two API servers sharing Postgres: no IP or port is handed out twice,
// and of two creates asking for one IP exactly one wins.
func TestServiceAllocationAcrossAPIServers(t *testing.T) {
	t.Parallel()
	pg := testenv.Postgres(t)
	dir := t.TempDir()
	small := func(c *app.Config) { c.APIServer.ServiceNodePortRange = "30000-30199" }
	servers := []*testenv.APIServer{
		testenv.StartAPIServer(t, testenv.Options{Store: pg, DataDir: dir, Configure: small}),
		testenv.StartAPIServer(t, testenv.Options{Store: pg, DataDir: dir, Configure: small}),
	}
	const n = 120
	type result struct {
		code int
		svc  api.Service
		body string
	}
	results := make([]result, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			body := fmt.Sprintf(`{"metadata":{"name":"s%d"},"spec":{"type":"NodePort","ports":[{"port":80}]}}`, i)
			if i%10 == 0 { // every tenth asks for the same address
				body = fmt.Sprintf(`{"metadata":{"name":"s%d"},"spec":{"clusterIP":"10.96.5.5","ports":[{"port":80}]}}`, i)
			}
			code, b, err := postResult(servers[i%2], svcs, body)
			if err != nil {
				b = []byte(err.Error())
			}
			results[i] = result{code: code, body: string(b)}
			if code == http.StatusCreated {
				_ = json.Unmarshal(b, &results[i].svc)
			}
		}()
	}
	wg.Wait()
	ips, ports := map[string]string{}, map[int32]string{}
	sameIPWins := 0
	for i, r := range results {
		if i%10 == 0 {
			switch r.code {
			case http.StatusCreated:
				sameIPWins++
			case http.StatusUnprocessableEntity:
				if !strings.Contains(r.body, "provided IP is already allocated") {
					t.Errorf("s%d: %s", i, r.body)
				}
			default:
				t.Errorf("s%d: %d %s", i, r.code, r.body)
			}
		} else if r.code != http.StatusCreated {
			t.Errorf("s%d: %d %s", i, r.code, r.body)
			continue
		}
		if r.code != http.StatusCreated {
			continue
		}
		name := r.svc.Name
		if other, dup := ips[r.svc.Spec.ClusterIP]; dup {
			t.Errorf("%s and %s both got %s", name, other, r.svc.Spec.ClusterIP)
		}
		ips[r.svc.Spec.ClusterIP] = name
		for _, p := range r.svc.Spec.Ports {
			if p.NodePort == 0 {
				continue
			}
			if other, dup := ports[p.NodePort]; dup {
				t.Errorf("%s and %s both got node port %d", name, other, p.NodePort)
			}
			ports[p.NodePort] = name
		}
	}
	if sameIPWins != 1 {
		t.Errorf("%d creates got 10.96.5.5, want exactly 1", sameIPWins)
	}
	// What the store holds agrees: list through the other server.
	var list api.List[api.Service]
	r := servers[1].Do(t, "GET", svcs, nil)
	expect(t, r, http.StatusOK)
	r.JSON(t, &list)
	seen := map[string]bool{}
	for _, svc := range list.Items {
		if seen[svc.Spec.ClusterIP] {
			t.Errorf("two stored services have %s", svc.Spec.ClusterIP)
		}
		seen[svc.Spec.ClusterIP] = true
	}
	if want := n - n/10 + 2; len(list.Items) != want { // the NodePorts, one winner, kubernetes
		t.Errorf("%d services stored, want %d", len(list.Items), want)
	}
}

// postResult sends a JSON POST with the admin token and returns the
// status code and body; unlike Do, it is safe in any goroutine.
func postResult(s *testenv.APIServer, path, body string) (int, []byte, error) {
	req, err := http.NewRequest("POST", s.URL+path, bytes.NewReader([]byte(body)))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+s.Token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := s.HTTP.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

// TestKubernetesEndpoints: the kubernetes Service's Endpoints and
// EndpointSlice name every API server sharing the store, and a server
// that stops cleanly leaves them.
func TestKubernetesEndpoints(t *testing.T) {
	t.Parallel()
	testsvc.Slow(t, "two API servers on one store and the 10 s wait for a peer")
	dir := t.TempDir()
	db := "sqlite://" + dir + "/shared.db"
	a := testenv.StartAPIServer(t, testenv.Options{Store: db, DataDir: dir})
	b := testenv.StartAPIServer(t, testenv.Options{Store: db, DataDir: dir})
	port := func(s *testenv.APIServer) int32 {
		u := s.URL[strings.LastIndex(s.URL, ":")+1:]
		var p int32
		fmt.Sscan(u, &p)
		return p
	}
	var ep api.Endpoints
	r := a.Do(t, "GET", "/api/v1/namespaces/default/endpoints/kubernetes", nil)
	expect(t, r, http.StatusOK)
	r.JSON(t, &ep)
	got := map[int32]string{}
	for _, ss := range ep.Subsets {
		if len(ss.Addresses) == 1 && len(ss.Ports) == 1 && ss.Ports[0].Name == "https" {
			got[ss.Ports[0].Port] = ss.Addresses[0].IP
		}
	}
	if len(got) != 2 || got[port(a)] != "127.0.0.1" || got[port(b)] != "127.0.0.1" {
		t.Errorf("endpoints %+v, want 127.0.0.1 on ports %d and %d", ep.Subsets, port(a), port(b))
	}
	var slices api.List[api.EndpointSlice]
	r = a.Do(t, "GET", "/apis/discovery.k8s.io/v1/namespaces/default/endpointslices?labelSelector=kubernetes.io%2Fservice-name%3Dkubernetes", nil)
	expect(t, r, http.StatusOK)
	r.JSON(t, &slices)
	if len(slices.Items) != 2 || slices.Items[0].Name != "kubernetes" {
		t.Fatalf("slices %+v", slices.Items)
	}
	if e := slices.Items[0].Endpoints; len(e) != 1 || e[0].Addresses[0] != "127.0.0.1" || !*e[0].Conditions.Ready ||
		*slices.Items[0].Ports[0].Port != port(a) {
		t.Errorf("kubernetes slice %+v", slices.Items[0])
	}
	b.Stop()
	r = a.Do(t, "GET", "/api/v1/namespaces/default/endpoints/kubernetes", nil)
	r.JSON(t, &ep)
	if len(ep.Subsets) != 1 || ep.Subsets[0].Ports[0].Port != port(a) {
		t.Errorf("after B stopped: %+v", ep.Subsets)
	}

	// A server that dies leaves no goodbye: its Lease expires, and the
	// next renewal of a live server drops it. Stand-in: the Lease of a
	// server at 127.0.0.2:7443, renewed now for 8 seconds (longer than the 5 s between renewals).
	ports := func() string {
		r := a.Do(t, "GET", "/api/v1/namespaces/default/endpoints/kubernetes", nil)
		var ep api.Endpoints
		r.JSON(t, &ep)
		var out []string
		for _, ss := range ep.Subsets {
			out = append(out, fmt.Sprintf("%s:%d ", ss.Addresses[0].IP, ss.Ports[0].Port))
		}
		sort.Strings(out)
		return strings.Join(out, "")
	}
	now := time.Now().UTC().Format("2006-01-02T15:04:05.000000Z")
	expect(t, a.Do(t, "POST", "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases", fmt.Sprintf(
		`{"metadata":{"name":"kube-apiserver-dead","labels":{"apiserver.kubernetes.io/identity":"kube-apiserver"}},"spec":{"holderIdentity":"127.0.0.2:7443","leaseDurationSeconds":8,"renewTime":%q}}`, now)),
		http.StatusCreated)
	withDead := fmt.Sprintf("127.0.0.1:%d 127.0.0.2:7443 ", port(a))
	controllertest.Eventually(t, 30*time.Second, "the dead server's lease listed", func() bool { return ports() == withDead })
	controllertest.Eventually(t, 30*time.Second, "the dead server's expired lease dropped", func() bool {
		return ports() == fmt.Sprintf("127.0.0.1:%d ", port(a))
	})
}

func TestEndpointsValidationAndColumns(t *testing.T) {
	t.Parallel()
	s := testenv.StartAPIServer(t, testenv.Options{})
	const eps = "/api/v1/namespaces/default/endpoints"
	const slices = "/apis/discovery.k8s.io/v1/namespaces/default/endpointslices"
	for _, tc := range []struct{ path, body, msg string }{
		{eps, `{"metadata":{"name":"x"},"subsets":[{"ports":[{"port":80,"protocol":"TCP"}]}]}`, "subsets[0]: Required value: must specify `addresses` or `notReadyAddresses`"},
		{eps, `{"metadata":{"name":"x"},"subsets":[{"addresses":[{"ip":"10.1.2.300"}],"ports":[{"port":80,"protocol":"TCP"}]}]}`, `subsets[0].addresses[0].ip: Invalid value: "10.1.2.300": must be a valid IP address`},
		{eps, `{"metadata":{"name":"x"},"subsets":[{"addresses":[{"ip":"10.1.2.3"}],"ports":[{"port":80,"protocol":"TCP"},{"port":81,"protocol":"TCP"}]}]}`, `subsets[0].ports[0].name: Required value`},
		{slices, `{"metadata":{"name":"x"},"addressType":"IPv5","endpoints":[],"ports":[]}`, `addressType: Unsupported value: "IPv5"`},
		{slices, `{"metadata":{"name":"x"},"addressType":"IPv4","endpoints":[{"addresses":["fd00::1"]}],"ports":[]}`, `endpoints[0].addresses[0]: Invalid value: "fd00::1": must be a valid IPv4 address`},
		{slices, `{"metadata":{"name":"x"},"addressType":"IPv4","endpoints":[{"addresses":[]}],"ports":[]}`, `endpoints[0].addresses: Required value: must contain at least 1 address`},
	} {
		r := s.Do(t, "POST", tc.path, tc.body)
		expect(t, r, http.StatusUnprocessableEntity)
		if msg := statusMessage(t, r); !strings.Contains(msg, tc.msg) {
			t.Errorf("%s: %q, want %q", tc.body, msg, tc.msg)
		}
	}
	expect(t, s.Do(t, "POST", eps, `{"metadata":{"name":"web"},"subsets":[{"addresses":[{"ip":"10.1.0.1"},{"ip":"10.1.0.2"},{"ip":"10.1.0.3"}],"notReadyAddresses":[{"ip":"10.1.0.9"}],"ports":[{"name":"a","port":80,"protocol":"TCP"},{"name":"b","port":81,"protocol":"TCP"}]}]}`), http.StatusCreated)
	expect(t, s.Do(t, "POST", slices, `{"metadata":{"name":"web-abc","labels":{"kubernetes.io/service-name":"web"}},"addressType":"IPv4","endpoints":[{"addresses":["10.1.0.1"]},{"addresses":["10.1.0.2"]}],"ports":[{"name":"a","port":80,"protocol":"TCP"}]}`), http.StatusCreated)
	table := func(path string) map[string][]any {
		r := s.Do(t, "GET", path, nil, "Accept", "application/json;as=Table;v=v1;g=meta.k8s.io")
		expect(t, r, http.StatusOK)
		var tab struct {
			Rows []struct{ Cells []any } `json:"rows"`
		}
		r.JSON(t, &tab)
		rows := map[string][]any{}
		for _, row := range tab.Rows {
			rows[row.Cells[0].(string)] = row.Cells
		}
		return rows
	}
	if got := table(eps)["web"]; fmt.Sprint(got[1]) != "10.1.0.1:80,10.1.0.2:80,10.1.0.3:80 + 3 more..." {
		t.Errorf("endpoints row %v", got)
	}
	if got := table(slices)["web-abc"]; fmt.Sprint(got[1:4]) != "[IPv4 80 10.1.0.1,10.1.0.2]" {
		t.Errorf("endpointslice row %v", got)
	}
	// addressType is immutable.
	r := s.Do(t, "PATCH", slices+"/web-abc", `{"addressType":"FQDN"}`, "Content-Type", "application/merge-patch+json")
	expect(t, r, http.StatusUnprocessableEntity)
	if !strings.Contains(statusMessage(t, r), "addressType: Invalid value: \"FQDN\": field is immutable") {
		t.Errorf("addressType change: %s", statusMessage(t, r))
	}
}

// BenchmarkServiceCreate measures a Service create with its allocations
// (a cluster IP, and a node port for NodePort: one claim row each, written
// before the Service) one request at a time on SQLite, beside a
// ConfigMap create, which allocates nothing.
func BenchmarkServiceCreate(b *testing.B) {
	s := testenv.StartAPIServer(b, testenv.Options{})
	run := 0 // names differ between runs (-count, b.N probes) on the one server
	for _, tc := range []struct{ name, path, body string }{
		{"configmap", "/api/v1/namespaces/default/configmaps", `{"metadata":{"name":"c%d-%d"},"data":{"a":"b"}}`},
		{"clusterip", svcs, `{"metadata":{"name":"c%d-%d"},"spec":{"ports":[{"port":80}]}}`},
		{"nodeport", svcs, `{"metadata":{"name":"n%d-%d"},"spec":{"type":"NodePort","ports":[{"port":80}]}}`},
	} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			run++
			i := 0
			for b.Loop() {
				if r := s.Do(b, "POST", tc.path, fmt.Sprintf(tc.body, run, i)); r.Code != http.StatusCreated {
					b.Fatalf("create: %d %s", r.Code, r.Body)
				}
				i++
			}
		})
	}
}
