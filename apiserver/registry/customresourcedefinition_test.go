package registry

import (
	"os"
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/minik8s/minik8s/api"
)

func crontabCRD(t *testing.T) Object {
	t.Helper()
	b, err := os.ReadFile("../testdata/crontab-crd.yaml")
	if err != nil {
		t.Fatal(err)
	}
	j, err := yaml.YAMLToJSON(b)
	if err != nil {
		t.Fatal(err)
	}
	o, err := (Schema{}).DecodeAs(j)
	if err != nil {
		t.Fatal(err)
	}
	return o.(Object)
}

// TestCustomResources builds the CronTab kinds from the test CRD: one
// declaration per served version, stored at v1, with its subresources,
// selectable field, printer columns, defaults and validation.
func TestCustomResources(t *testing.T) {
	o := crontabCRD(t)
	customResourceDefinitions.PrepareForCreate(o)
	crd, err := As[api.CustomResourceDefinition](o)
	if err != nil {
		t.Fatal(err)
	}
	if errs := customResourceDefinitions.Validate(crd, nil); len(errs) > 0 {
		t.Fatalf("valid CRD refused: %v", errs)
	}
	if crd.Spec.Names.ListKind != "CronTabList" || crd.Spec.Conversion == nil || crd.Spec.Conversion.Strategy != "None" ||
		len(crd.Finalizers) != 1 || crd.Finalizers[0] != api.CRDCleanupFinalizer {
		t.Fatalf("defaults: %+v %+v %v", crd.Spec.Names, crd.Spec.Conversion, crd.Finalizers)
	}
	rs, err := CustomResources(crd, func() bool { return true })
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 2 || rs[0].Version != "v1" || rs[1].Version != "v1beta1" {
		t.Fatalf("resources %v", rs)
	}
	v1, beta := rs[0], rs[1]
	if !v1.StoredAsServed() || beta.StoredAsServed() || beta.StorageResource() != v1 || beta.StoreName() != "crontabs.stable.example.com" {
		t.Fatalf("storage: v1 %v, v1beta1 stored at %s", v1.StoredAsServed(), beta.StorageResource().Version)
	}
	if !v1.HasSubresource("scale") || beta.HasSubresource("scale") || !v1.IsTerminating() {
		t.Fatalf("subresources %v %v", v1.Subresources, beta.Subresources)
	}
	if p := v1.Fields["spec.color"]; len(p) != 2 || p[1] != "color" {
		t.Fatalf("selectable fields %v", v1.Fields)
	}
	cr := Object{"apiVersion": "stable.example.com/v1", "kind": "CronTab",
		"metadata": map[string]any{"name": "a", "namespace": "default", "creationTimestamp": "2026-01-01T00:00:00Z"},
		"spec":     map[string]any{"cronSpec": "* * * * *"}, "status": map[string]any{"replicas": 3}}
	v1.PrepareForCreate(cr)
	if cr["status"] != nil || nested(cr, "spec", "replicas") == nil {
		t.Fatalf("create: status not reset or default not applied: %v", cr)
	}
	table := v1.Table([]map[string]any{cr}, IncludeNone, "1", time.Date(2026, 1, 1, 0, 5, 0, 0, time.UTC))
	cells := table["rows"].([]any)[0].(map[string]any)["cells"].([]any)
	if len(cells) != 4 || cells[0] != "a" || cells[1] != "* * * * *" || cells[3] != "5m" {
		t.Fatalf("cells %v", cells)
	}
	bad := DeepCopy(cr).(Object)
	bad["spec"].(map[string]any)["replicas"] = "many"
	if errs := v1.Validate(bad, nil); len(errs) == 0 || !strings.Contains(errs.ToAggregate().Error(), "spec.replicas") {
		t.Fatalf("bad replicas: %v", errs)
	}
	moved := DeepCopy(cr).(Object)
	if err := beta.ConvertTo(moved); err != nil || moved["apiVersion"] != "stable.example.com/v1beta1" {
		t.Fatalf("convert: %v %v", err, moved["apiVersion"])
	}
}

func nested(o map[string]any, path ...string) any { return value(o, path...) }
