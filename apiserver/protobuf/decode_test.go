package protobuf

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/minik8s/minik8s/api"
)

// msg builds a protobuf message by hand, field by field, with the field
// numbers of k8s.io/api's generated.proto written out in the tests.
type msg []byte

func (m msg) str(n protowire.Number, s string) msg {
	return protowire.AppendString(protowire.AppendTag(m, n, protowire.BytesType), s)
}

func (m msg) sub(n protowire.Number, s msg) msg {
	return protowire.AppendBytes(protowire.AppendTag(m, n, protowire.BytesType), s)
}

func (m msg) varint(n protowire.Number, v uint64) msg {
	return protowire.AppendVarint(protowire.AppendTag(m, n, protowire.VarintType), v)
}

func (m msg) appendTag(n protowire.Number) msg { return protowire.AppendTag(m, n, protowire.BytesType) }

// entry is one map entry {key 1, value 2} with a string value.
func (m msg) entry(n protowire.Number, k, v string) msg {
	return m.sub(n, msg{}.str(1, k).str(2, v))
}

// envelope wraps raw in the "k8s\x00" + runtime.Unknown envelope, with the
// empty contentEncoding and contentType client-go writes.
func envelope(apiVersion, kind string, raw msg) []byte {
	u := msg{}.sub(1, msg{}.str(1, apiVersion).str(2, kind)).sub(2, raw).str(3, "").str(4, "")
	return append([]byte("k8s\x00"), u...)
}

// objectMeta is a metav1.ObjectMeta as client-go writes it for a new
// object: every non-pointer field, creationTimestamp as an empty Time.
func objectMeta(name string, labels ...string) msg {
	m := msg{}.str(1, name).str(2, "").str(3, "").str(4, "").str(5, "").str(6, "").varint(7, 0).sub(8, nil)
	for i := 0; i+1 < len(labels); i += 2 {
		m = m.entry(11, labels[i], labels[i+1])
	}
	return m
}

func jsonObject(t *testing.T, s string) map[string]any {
	t.Helper()
	d := json.NewDecoder(strings.NewReader(s))
	d.UseNumber()
	var o map[string]any
	if err := d.Decode(&o); err != nil {
		t.Fatalf("bad test JSON: %v", err)
	}
	return o
}

func TestDecode(t *testing.T) {
	// Deployment web, as kubectl create deployment web --image=nginx:1.27
	// --replicas=2 --port=8080 builds it.
	container := msg{}.str(1, "nginx").str(2, "nginx:1.27").
		sub(6, msg{}.str(1, "").varint(2, 0).varint(3, 8080).str(4, "TCP").str(5, "")). // ports
		sub(8, nil).                                                                    // resources {}
		str(13, "").str(20, "").str(14, "").varint(16, 0).varint(17, 0).varint(18, 0)
	podSpec := msg{}.sub(2, container).str(3, "").str(6, "").str(8, "").str(9, "").str(10, "").
		varint(11, 0).varint(12, 0).varint(13, 0).str(16, "").str(17, "").str(19, "")
	deployment := msg{}.
		sub(1, objectMeta("web", "app", "web")).
		sub(2, msg{}.                                                                               // DeploymentSpec
														varint(1, 2).                                                       // replicas
														sub(2, msg{}.entry(1, "app", "web")).                               // selector.matchLabels
														sub(3, msg{}.sub(1, objectMeta("", "app", "web")).sub(2, podSpec)). // template
														sub(4, msg{}.str(1, "")).                                           // strategy
														varint(5, 0).varint(7, 0)).
		sub(3, msg{}.varint(1, 0).varint(2, 0).varint(3, 0).varint(4, 0).varint(5, 0).varint(7, 0)) // status

	// A Deployment with a Time, a Quantity, IntOrStrings and a pointer
	// field explicitly set to 0.
	httpGet := msg{}.str(1, "/healthz").sub(2, msg{}.varint(1, 1).varint(2, 0).str(3, "http")) // port "http"
	probed := msg{}.str(1, "c").
		sub(8, msg{}.sub(2, msg{}.str(1, "cpu").sub(2, msg{}.str(1, "100m")))). // resources.requests
		sub(10, msg{}.sub(1, msg{}.sub(2, httpGet)))                            // livenessProbe.handler.httpGet
	strategy := msg{}.str(1, "RollingUpdate").sub(2, msg{}.
		sub(1, msg{}.varint(1, 0).varint(2, 1).str(3, "")).    // maxUnavailable 1
		sub(2, msg{}.varint(1, 1).varint(2, 0).str(3, "25%"))) // maxSurge "25%"
	special := msg{}.
		sub(1, msg{}.str(1, "d").sub(8, msg{}.varint(1, 1700000000).varint(2, 999))). // creationTimestamp
		sub(2, msg{}.varint(1, 0).sub(3, msg{}.sub(2, msg{}.sub(2, probed))).sub(4, strategy))

	tests := []struct {
		name string
		body []byte
		typ  reflect.Type
		want string
	}{{
		name: "namespace",
		body: envelope("v1", "Namespace", msg{}.
			sub(1, objectMeta("foo", "team", "a")).
			sub(2, msg{}.str(1, "kubernetes")). // spec.finalizers
			sub(3, msg{}.str(1, ""))),          // status.phase
		typ: reflect.TypeFor[api.Namespace](),
		want: `{"apiVersion":"v1","kind":"Namespace",
			"metadata":{"name":"foo","creationTimestamp":null,"labels":{"team":"a"}},
			"spec":{"finalizers":["kubernetes"]},"status":{}}`,
	}, {
		name: "deployment",
		body: envelope("apps/v1", "Deployment", deployment),
		typ:  reflect.TypeFor[api.Deployment](),
		want: `{"apiVersion":"apps/v1","kind":"Deployment",
			"metadata":{"name":"web","creationTimestamp":null,"labels":{"app":"web"}},
			"spec":{"replicas":2,"selector":{"matchLabels":{"app":"web"}},
				"template":{"metadata":{"creationTimestamp":null,"labels":{"app":"web"}},
					"spec":{"containers":[{"name":"nginx","image":"nginx:1.27",
						"ports":[{"containerPort":8080,"protocol":"TCP"}],"resources":{}}]}},
				"strategy":{}},
			"status":{}}`,
	}, {
		name: "pointer type, no type meta in the envelope",
		body: envelope("", "", msg{}.sub(1, msg{}.str(1, "n1")).sub(2, msg{}.varint(4, 1))),
		typ:  reflect.TypeFor[*api.Node](),
		want: `{"metadata":{"name":"n1","creationTimestamp":null},"spec":{"unschedulable":true},
			"status":{"daemonEndpoints":{"kubeletEndpoint":{"Port":0}},"nodeInfo":{"machineID":"","systemUUID":"",
			"bootID":"","kernelVersion":"","osImage":"","containerRuntimeVersion":"","kubeletVersion":"",
			"kubeProxyVersion":"","operatingSystem":"","architecture":""}}}`,
	}, {
		name: "times, quantities, int-or-strings and a pointer to zero",
		body: envelope("apps/v1", "Deployment", special),
		typ:  reflect.TypeFor[api.Deployment](),
		want: `{"apiVersion":"apps/v1","kind":"Deployment",
			"metadata":{"name":"d","creationTimestamp":"2023-11-14T22:13:20Z"},
			"spec":{"replicas":0,"selector":null,
				"template":{"metadata":{"creationTimestamp":null},"spec":{"containers":[{"name":"c",
					"resources":{"requests":{"cpu":"100m"}},
					"livenessProbe":{"httpGet":{"path":"/healthz","port":"http"}}}]}},
				"strategy":{"type":"RollingUpdate","rollingUpdate":{"maxUnavailable":1,"maxSurge":"25%"}}},
			"status":{}}`,
	}, {
		name: "micro time keeps microseconds",
		body: envelope("coordination.k8s.io/v1", "Lease", msg{}.sub(2, msg{}.
			str(1, "me").varint(2, 15).sub(4, msg{}.varint(1, 1700000000).varint(2, 123456789)))),
		typ: reflect.TypeFor[api.Lease](),
		want: `{"apiVersion":"coordination.k8s.io/v1","kind":"Lease","metadata":{"creationTimestamp":null},
			"spec":{"holderIdentity":"me","leaseDurationSeconds":15,"renewTime":"2023-11-14T22:13:20.123456Z"}}`,
	}, {
		name: "repeated scalars packed and unpacked, unknown fields skipped",
		body: envelope("v1", "Pod", msg{}.
			varint(99, 7).               // unknown field of Pod
			sub(2, msg{}.sub(14, msg{}.  // spec.securityContext
							varint(4, 1000).                                                         // supplementalGroups, unpacked
							sub(4, protowire.AppendVarint(protowire.AppendVarint(nil, 2000), 3000)). // packed
							sub(7, msg{}.str(1, "net.core.somaxconn")))).                            // sysctls: not modelled
			sub(2, msg{}.str(9, "sa"))), // a second spec merges into the first
		typ: reflect.TypeFor[api.Pod](),
		want: `{"apiVersion":"v1","kind":"Pod","metadata":{"creationTimestamp":null},
			"spec":{"containers":null,"serviceAccount":"sa","securityContext":{"supplementalGroups":[1000,2000,3000]}},"status":{}}`,
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Decode(tc.body, tc.typ)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if want := jsonObject(t, tc.want); !reflect.DeepEqual(got, want) {
				g, _ := json.Marshal(got)
				w, _ := json.Marshal(want)
				t.Errorf("Decode:\n got %s\nwant %s", g, w)
			}
		})
	}
}

// TestUnmarshalKubectlDeleteOptions decodes the bytes kubectl 1.32 drain
// sends as the body of DELETE pods/{name} with --grace-period=0.
func TestUnmarshalKubectlDeleteOptions(t *testing.T) {
	body := []byte("k8s\x00\x0a\x13\x0a\x02v1\x12\x0dDeleteOptions\x12\x02\x08\x00\x1a\x00\x22\x00")
	var opts api.DeleteOptions
	tm, err := Unmarshal(body, &opts)
	if err != nil {
		t.Fatalf("Unmarshal: %v", err)
	}
	if tm != (api.TypeMeta{APIVersion: "v1", Kind: "DeleteOptions"}) {
		t.Errorf("type meta = %+v", tm)
	}
	if opts.GracePeriodSeconds == nil || *opts.GracePeriodSeconds != 0 {
		t.Errorf("gracePeriodSeconds = %v, want a pointer to 0", opts.GracePeriodSeconds)
	}
	if opts.PropagationPolicy != nil || opts.Preconditions != nil || opts.DryRun != nil {
		t.Errorf("unexpected fields set: %+v", opts)
	}
}

func TestUnmarshalScaleAndBinding(t *testing.T) {
	var sc api.Scale
	body := envelope("autoscaling/v1", "Scale", msg{}.
		sub(1, msg{}.str(1, "web").str(6, "42")).sub(2, msg{}.varint(1, 5)).sub(3, msg{}.varint(1, 2).str(2, "app=web")))
	if _, err := Unmarshal(body, &sc); err != nil {
		t.Fatalf("Unmarshal Scale: %v", err)
	}
	if sc.Name != "web" || sc.ResourceVersion != "42" || sc.Spec.Replicas != 5 || sc.Status.Replicas != 2 || sc.Status.Selector != "app=web" {
		t.Errorf("scale = %+v", sc)
	}
	var b api.Binding
	body = envelope("v1", "Binding", msg{}.sub(1, msg{}.str(1, "p").str(5, "uid-1")).sub(2, msg{}.str(1, "Node").str(3, "n1")))
	if _, err := Unmarshal(body, &b); err != nil {
		t.Fatalf("Unmarshal Binding: %v", err)
	}
	if b.Name != "p" || b.UID != "uid-1" || b.Target.Kind != "Node" || b.Target.Name != "n1" {
		t.Errorf("binding = %+v", b)
	}
}

func TestDecodeErrors(t *testing.T) {
	nsType := reflect.TypeFor[api.Namespace]()
	badLimit := msg{}.sub(8, msg{}.sub(1, msg{}.str(1, "cpu").sub(2, msg{}.str(1, "lots")))) // resources.limits
	tests := []struct {
		name string
		body []byte
		typ  reflect.Type
		want string
	}{
		{"JSON body", []byte(`{"kind":"Namespace"}`), nsType, "prefix"},
		{"empty body", nil, nsType, "prefix"},
		{"truncated envelope", envelope("v1", "Namespace", msg{}.sub(1, objectMeta("foo")))[:12], nsType, "envelope"},
		{"truncated object", envelope("v1", "Namespace", msg{}.str(1, "x")[:2]), nsType, "Namespace: field 1: unexpected EOF"},
		{"content encoding", append(envelope("v1", "Namespace", nil), msg{}.str(3, "gzip")...), nsType, "gzip"},
		{"string as varint", envelope("v1", "Namespace", msg{}.sub(1, msg{}.varint(1, 3))), nsType, "metadata: name: wire type"},
		{"int32 out of range", envelope("apps/v1", "Deployment", msg{}.sub(2, msg{}.varint(1, 1<<40))), reflect.TypeFor[api.Deployment](), "replicas: value 1099511627776 is out of range"},
		{"bad quantity", envelope("v1", "Pod", msg{}.sub(2, msg{}.sub(2, badLimit))), reflect.TypeFor[api.Pod](), `quantity "lots"`},
		{"not a struct", envelope("v1", "Namespace", nil), reflect.TypeFor[string](), "not a struct"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Decode(tc.body, tc.typ)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Decode error = %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestIsMediaType(t *testing.T) {
	for ct, want := range map[string]bool{
		"application/vnd.kubernetes.protobuf":              true,
		"application/vnd.kubernetes.protobuf; charset=x":   true,
		"application/json":                                 false,
		"application/vnd.kubernetes.protobuf;stream=watch": true,
		"": false,
	} {
		if got := IsMediaType(ct); got != want {
			t.Errorf("IsMediaType(%q) = %v, want %v", ct, got, want)
		}
	}
}

// TestTagsCoverEveryField checks the schema itself: every JSON field of
// the kinds the API server decodes carries a protobuf tag named like it,
// with a field number used once per message. A field added to package api
// without its tag would be silently dropped from protobuf requests.
func TestTagsCoverEveryField(t *testing.T) {
	untagged := map[string]bool{"ObjectMeta.ManagedFields": true} // entries not modelled; the server drops them
	seen := map[reflect.Type]bool{}
	var check func(reflect.Type)
	check = func(t0 reflect.Type) {
		for t0.Kind() == reflect.Pointer || t0.Kind() == reflect.Slice || t0.Kind() == reflect.Map {
			t0 = t0.Elem()
		}
		if t0.Kind() != reflect.Struct || seen[t0] || t0 == timeType || t0 == microTimeType || t0 == quantityType {
			return
		}
		seen[t0] = true
		nums := map[string]string{}
		for i := range t0.NumField() {
			f := t0.Field(i)
			if f.Type == reflect.TypeFor[api.TypeMeta]() || untagged[t0.Name()+"."+f.Name] {
				continue
			}
			tag, ok := f.Tag.Lookup("protobuf")
			if !ok {
				t.Errorf("%s.%s has no protobuf tag", t0.Name(), f.Name)
				continue
			}
			parts := strings.Split(tag, ",")
			if len(parts) != 4 || !strings.HasPrefix(parts[3], "name=") {
				t.Errorf("%s.%s: malformed tag %q", t0.Name(), f.Name, tag)
				continue
			}
			if jn := strings.Split(f.Tag.Get("json"), ",")[0]; jn != "" && "name="+jn != parts[3] {
				t.Errorf("%s.%s: protobuf %s, json %q", t0.Name(), f.Name, parts[3], jn)
			}
			if prev, dup := nums[parts[1]]; dup {
				t.Errorf("%s: field number %s used by %s and %s", t0.Name(), parts[1], prev, f.Name)
			}
			nums[parts[1]] = f.Name
			check(f.Type)
		}
		if _, err := fieldsOf(t0); err != nil {
			t.Error(err)
		}
	}
	for _, v := range []any{api.Namespace{}, api.Pod{}, api.Node{}, api.Event{}, api.Binding{},
		api.ReplicaSet{}, api.Deployment{}, api.Scale{}, api.Lease{}, api.DeleteOptions{}, api.Status{},
		api.ConfigMap{}, api.Secret{}, api.ServiceAccount{}, api.PriorityClass{},
		api.ResourceQuota{}, api.LimitRange{}, api.PersistentVolumeClaim{}, api.PersistentVolume{}, api.StorageClass{},
		api.Role{}, api.ClusterRole{}, api.RoleBinding{}, api.ClusterRoleBinding{}} {
		check(reflect.TypeOf(v))
	}
}

// TestDecodeConfigKinds decodes the bodies client-go sends for the typed
// create of a ConfigMap, a Secret and a ServiceAccount, with bytes values
// (binaryData, data) that JSON writes in base64.
func TestDecodeConfigKinds(t *testing.T) {
	bytesEntry := func(k string, v []byte) msg {
		return protowire.AppendBytes(msg{}.str(1, k).appendTag(2), v)
	}
	for _, tc := range []struct {
		name string
		t    reflect.Type
		body []byte
		want string
	}{
		{"configmap", reflect.TypeFor[api.ConfigMap](),
			envelope("v1", "ConfigMap", msg{}.sub(1, objectMeta("x")).entry(2, "a", "b").
				sub(3, bytesEntry("bin", []byte{0, 1, 0xff})).varint(4, 1)),
			`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x","creationTimestamp":null},
				"data":{"a":"b"},"binaryData":{"bin":"AAH/"},"immutable":true}`},
		{"secret", reflect.TypeFor[api.Secret](),
			envelope("v1", "Secret", msg{}.sub(1, objectMeta("s")).sub(2, bytesEntry("p", []byte("q"))).
				str(3, "Opaque").entry(4, "u", "v").varint(5, 0)),
			`{"apiVersion":"v1","kind":"Secret","metadata":{"name":"s","creationTimestamp":null},
				"data":{"p":"cQ=="},"type":"Opaque","stringData":{"u":"v"},"immutable":false}`},
		{"serviceaccount", reflect.TypeFor[api.ServiceAccount](),
			envelope("v1", "ServiceAccount", msg{}.sub(1, objectMeta("sa")).sub(2, msg{}.str(1, "Secret").str(3, "tok")).
				sub(3, msg{}.str(1, "pull")).varint(4, 0)),
			`{"apiVersion":"v1","kind":"ServiceAccount","metadata":{"name":"sa","creationTimestamp":null},
				"secrets":[{"kind":"Secret","name":"tok"}],"imagePullSecrets":[{"name":"pull"}],"automountServiceAccountToken":false}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Decode(tc.body, tc.t)
			if err != nil {
				t.Fatal(err)
			}
			if want := jsonObject(t, tc.want); !reflect.DeepEqual(got, want) {
				b, _ := json.Marshal(got)
				t.Errorf("decoded\n got %s\nwant %s", b, tc.want)
			}
		})
	}
	// bytes sent as a varint are refused, not misread.
	if _, err := Decode(envelope("v1", "Secret", msg{}.sub(2, msg{}.str(1, "k").varint(2, 7))), reflect.TypeFor[api.Secret]()); err == nil {
		t.Error("a varint for bytes decoded")
	}
}

// FuzzDecode checks that no input panics and that whatever decodes is a
// JSON object.
func FuzzDecode(f *testing.F) {
	f.Add(envelope("v1", "Namespace", objectMeta("foo", "a", "b")))
	f.Add([]byte("k8s\x00\x0a\x13\x0a\x02v1\x12\x0dDeleteOptions\x12\x02\x08\x00\x1a\x00\x22\x00"))
	f.Fuzz(func(t *testing.T, b []byte) {
		o, err := Decode(b, reflect.TypeFor[api.Pod]())
		if err == nil && o == nil {
			t.Fatal("nil object without an error")
		}
	})
}

func TestTimeTruncation(t *testing.T) {
	var n api.Node
	body := envelope("v1", "Node", msg{}.sub(3, msg{}.sub(4, msg{}.str(1, "Ready").str(2, "True").
		sub(3, msg{}.varint(1, 1700000000).varint(2, 500000000)))))
	if _, err := Unmarshal(body, &n); err != nil {
		t.Fatal(err)
	}
	if got := n.Status.Conditions[0].LastHeartbeatTime.Time; !got.Equal(time.Unix(1700000000, 0)) {
		t.Errorf("lastHeartbeatTime = %v, want whole seconds", got)
	}
}
