package servicealloc

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/minik8s/minik8s/store"
)

func openStore(t *testing.T) *store.SQLStore {
	t.Helper()
	s, err := store.Open(context.Background(), store.Config{DSN: filepath.Join(t.TempDir(), "test.db"), MaxBatch: 16}, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestNewRejectsBadRanges(t *testing.T) {
	for _, tc := range []struct{ ips, ports string }{
		{"10.96.0.0", "30000-32767"},
		{"10.96.0.1/32", "30000-32767"},
		{"10.96.0.0/12", "32767-30000"},
		{"10.96.0.0/12", "0-10"},
		{"10.96.0.0/12", "a-b"},
	} {
		if _, err := New(nil, tc.ips, tc.ports); err == nil {
			t.Errorf("New(%q, %q) accepted", tc.ips, tc.ports)
		}
	}
}

func service(ns, name, uid, ip string, nodePorts ...int) map[string]any {
	var ports []any
	typ := "ClusterIP"
	for _, p := range nodePorts {
		typ = "NodePort"
		ports = append(ports, map[string]any{"port": json.Number("80"), "nodePort": json.Number(itoa(p))})
	}
	return map[string]any{
		"metadata": map[string]any{"namespace": ns, "name": name, "uid": uid},
		"spec":     map[string]any{"type": typ, "clusterIP": ip, "ports": ports},
	}
}

func itoa(i int) string { b, _ := json.Marshal(i); return string(b) }

func TestSmallRangeFillsAndIsFull(t *testing.T) {
	st := openStore(t)
	a, err := New(st, "10.0.0.0/29", "30000-30002") // 6 usable addresses
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	got := map[string]bool{}
	for i := range 6 {
		svc := service("default", "s", "uid"+itoa(i), "")
		svc["spec"].(map[string]any)["type"] = "NodePort"
		svc["spec"].(map[string]any)["ports"] = []any{map[string]any{"port": json.Number("80")}}
		_, errs, err := a.Allocate(ctx, svc, nil, false)
		if err != nil || len(errs) > 0 {
			if i < 3 {
				t.Fatalf("allocation %d: %v %v", i, errs, err)
			}
			if len(errs) != 1 || errs[0].Detail != "failed to allocate a nodePort: range is full" {
				t.Fatalf("allocation %d with the ports gone: %v %v", i, errs, err)
			}
			continue
		}
		ip := svc["spec"].(map[string]any)["clusterIP"].(string)
		if got[ip] || ip == "10.0.0.0" || ip == "10.0.0.7" {
			t.Fatalf("allocated %s (had %v)", ip, got)
		}
		got[ip] = true
	}
	// The ports ran out first and their failures gave the IPs back: three
	// addresses are free, then the range is full.
	for i := range 4 {
		svc := service("default", "t", "t"+itoa(i), "")
		_, errs, err := a.Allocate(ctx, svc, nil, false)
		if i < 3 && (err != nil || len(errs) > 0) {
			t.Fatalf("allocation %d: %v %v", i, errs, err)
		}
		if i == 3 && (len(errs) != 1 || errs[0].Detail != "failed to allocate a serviceIP: range is full") {
			t.Fatalf("full range: %v %v", errs, err)
		}
	}
}

func TestRepair(t *testing.T) {
	st := openStore(t)
	a, err := New(st, DefaultClusterIPRange, DefaultNodePortRange)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	now := time.Now()
	a.now = func() time.Time { return now }
	put := func(k store.Key, v map[string]any) {
		b, _ := json.Marshal(v)
		if _, err := st.Create(ctx, &store.Record{Key: k, UID: k.Name, Value: b}); err != nil {
			t.Fatal(err)
		}
	}
	// A Service that holds its claims, one whose claims are missing (made
	// before claims existed), a leaked old claim and a young one (a create
	// in flight).
	live := service("default", "live", "u1", "10.96.0.5", 30005)
	put(store.Key{Resource: ServicesResource, Namespace: "default", Name: "live"}, live)
	if _, errs, err := a.Allocate(ctx, live, nil, false); err != nil || len(errs) > 0 {
		t.Fatal(errs, err)
	}
	put(store.Key{Resource: ServicesResource, Namespace: "default", Name: "old"}, service("default", "old", "u2", "10.96.0.6", 30006))
	a.now = func() time.Time { return now.Add(-time.Hour) }
	if _, errs, err := a.Allocate(ctx, service("default", "gone", "u3", "10.96.0.7", 30007), nil, false); err != nil || len(errs) > 0 {
		t.Fatal(errs, err)
	}
	a.now = func() time.Time { return now }
	if _, errs, err := a.Allocate(ctx, service("default", "coming", "u4", "10.96.0.8"), nil, false); err != nil || len(errs) > 0 {
		t.Fatal(errs, err)
	}

	res, err := a.Repair(ctx, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if res.Released != 2 || res.Reclaimed != 2 || len(res.Conflicts) != 0 {
		t.Errorf("repair: %+v, want 2 released (the gone service's IP and port), 2 reclaimed (old's)", res)
	}
	for name, want := range map[store.Key]bool{
		{Resource: IPResource, Name: "10.96.0.5"}:   true,
		{Resource: NodePortResource, Name: "30005"}: true,
		{Resource: IPResource, Name: "10.96.0.6"}:   true,
		{Resource: NodePortResource, Name: "30006"}: true,
		{Resource: IPResource, Name: "10.96.0.7"}:   false,
		{Resource: NodePortResource, Name: "30007"}: false,
		{Resource: IPResource, Name: "10.96.0.8"}:   true,
	} {
		_, err := st.Get(ctx, name)
		if have := err == nil; have != want {
			t.Errorf("%s claimed %v, want %v (%v)", name.Name, have, want, err)
		} else if err != nil && !errors.Is(err, store.ErrNotFound) {
			t.Error(err)
		}
	}
}
