package nft

import (
	"context"
	"net/netip"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/nftables"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/internal/testsvc"
	"github.com/minik8s/minik8s/kubeproxy"
)

// TestBackend programs a table in the host's nftables (it needs root, as
// make test has): two syncs of the same state leave the same rules, a
// port losing its endpoints moves to reject-services, and Cleanup removes
// the table and puts route_localnet back.
func TestBackend(t *testing.T) {
	testsvc.Slow(t, "changes the host's nftables, as root")
	LocalnetSaved = filepath.Join(t.TempDir(), "route_localnet.orig")
	before, err := os.ReadFile(routeLocalnet)
	if err != nil {
		t.Fatal(err)
	}
	name := TablePrefix + "test-" + filepath.Base(t.TempDir())
	b, err := New(name, true)
	if err != nil {
		t.Fatalf("nftables unusable here (make test runs as root): %v", err)
	}
	defer b.Cleanup()
	ports := []kubeproxy.ServicePort{
		{Namespace: "ns", Service: "web", Port: "http", Protocol: api.ProtocolTCP, ClusterIP: netip.MustParseAddr("10.96.7.7"),
			ServicePort: 80, NodePort: 31999, Endpoints: []netip.AddrPort{
				netip.MustParseAddrPort("172.31.0.2:8080"), netip.MustParseAddrPort("172.31.0.3:8080")}},
		{Namespace: "ns", Service: "dns", Protocol: api.ProtocolUDP, ClusterIP: netip.MustParseAddr("10.96.7.8"),
			ServicePort: 53, Endpoints: []netip.AddrPort{netip.MustParseAddrPort("172.31.0.4:53")}},
	}
	ctx := context.Background()
	for range 2 {
		if err := b.Sync(ctx, ports); err != nil {
			t.Fatal(err)
		}
		if got := rules(t, name, "services"); got != 3 {
			t.Errorf("services chain: %d rules, want 3 (two cluster IPs, one node port)", got)
		}
		if got := rules(t, name, "svc-ns/web/tcp/http/ep-172.31.0.3:8080"); got != 1 {
			t.Errorf("endpoint chain: %d rules, want 1", got)
		}
	}
	if v, _ := os.ReadFile(routeLocalnet); string(v) != "1\n" && string(v) != "1" {
		t.Errorf("route_localnet = %q, want 1 while node ports answer on 127.0.0.1", v)
	}
	ports[0].Endpoints = nil
	if err := b.Sync(ctx, ports); err != nil {
		t.Fatal(err)
	}
	if got := rules(t, name, "reject-services"); got != 2 {
		t.Errorf("reject-services: %d rules, want 2 (cluster IP and node port of web)", got)
	}
	if got := rules(t, name, "services"); got != 1 {
		t.Errorf("services: %d rules, want 1 (dns)", got)
	}
	if err := b.Cleanup(); err != nil {
		t.Fatal(err)
	}
	if ok, err := TableExists(name); err != nil || ok {
		t.Errorf("table %s still exists after Cleanup (%v)", name, err)
	}
	if ok, _ := otherTables(name); !ok {
		if after, _ := os.ReadFile(routeLocalnet); string(after) != string(before) {
			t.Errorf("route_localnet %q after Cleanup, was %q", after, before)
		}
	}
}

// otherTables reports whether minik8s tables other than name exist (a
// cluster of another test): route_localnet stays set for them.
func otherTables(name string) (bool, error) {
	c, err := nftables.New()
	if err != nil {
		return false, err
	}
	ts, err := c.ListTablesOfFamily(nftables.TableFamilyIPv4)
	for _, t := range ts {
		if t.Name != name && len(t.Name) > len(TablePrefix) && t.Name[:len(TablePrefix)] == TablePrefix {
			return true, err
		}
	}
	return false, err
}

func rules(t *testing.T, table, chain string) int {
	t.Helper()
	c, err := nftables.New()
	if err != nil {
		t.Fatal(err)
	}
	rs, err := c.GetRules(&nftables.Table{Family: nftables.TableFamilyIPv4, Name: table}, &nftables.Chain{Name: chain})
	if err != nil {
		t.Fatalf("rules of %s: %v", chain, err)
	}
	return len(rs)
}
