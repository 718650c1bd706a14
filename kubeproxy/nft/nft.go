// Package nft programs Services into the host's nftables, as kube-proxy's
// nftables mode does, through github.com/google/nftables (netlink, no nft
// binary, no cgo). Everything lives in one table of minik8s's own (family
// ip, named by the cluster), rebuilt in one netlink transaction at each
// sync, so the kernel swaps the old rules for the new atomically and a
// restart reconciles instead of adding rules twice. Cleanup deletes the
// table.
//
// The table (see `nft list table ip minik8s-<cluster>`):
//
//   - nat-prerouting and nat-output (hooks prerouting and output, priority
//     dstnat) jump to services: traffic of pods arrives through the Docker
//     bridge (prerouting), the host's own through output.
//   - services has, per Service port with endpoints, `ip daddr <cluster
//     IP> <proto> dport <port> goto svc-…` and, for a node port, `fib
//     daddr type local <proto> dport <node port> goto svc-…`.
//   - svc-… marks the packet for masquerading (mark 0x4000) and picks an
//     endpoint chain with `numgen random mod N vmap`; each endpoint chain
//     DNATs to its address.
//   - nat-postrouting masquerades marked packets, so replies come back
//     through the host whatever the bridge does (kube-proxy's
//     masqueradeAll; pods see the bridge's address as the client).
//   - filter-input, filter-forward and filter-output (priority filter -10)
//     jump to reject-services, which rejects (TCP reset, ICMP port
//     unreachable) connections to Service ports without endpoints, so that
//     they are refused instead of hanging.
//
// Node ports on 127.0.0.1 need net.ipv4.conf.all.route_localnet=1, which
// kube-proxy's iptables mode sets too; Backend sets it when asked (and puts
// the host's value back at Cleanup of the last minik8s table on the host,
// see LocalnetSaved), and then drops packets to 127.0.0.0/8
// that did not come from the loopback interface and were not DNATed, as
// kube-proxy does.
package nft

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"sync"

	"github.com/google/nftables"
	"github.com/google/nftables/binaryutil"
	"github.com/google/nftables/expr"
	"golang.org/x/sys/unix"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/kubeproxy"
)

// masqMark marks packets to masquerade in postrouting (kube-proxy's bit).
const masqMark = 0x4000

const routeLocalnet = "/proc/sys/net/ipv4/conf/all/route_localnet"

// Backend programs one table of the host's nftables.
type Backend struct {
	table     string
	localnet  bool
	mu        sync.Mutex
	setLocnet bool // route_localnet set by this backend
}

var _ kubeproxy.Backend = (*Backend)(nil)

// New returns a backend owning table name (family ip). With localnet, node
// ports also answer on 127.0.0.1 (route_localnet is set at the first
// Sync). It checks that nftables can be used (root, or CAP_NET_ADMIN, and
// kernel support) by listing tables.
func New(name string, localnet bool) (*Backend, error) {
	if name == "" || len(name) > 64 {
		return nil, fmt.Errorf("nftables table name %q: want 1 to 64 characters", name)
	}
	c, err := nftables.New()
	if err != nil {
		return nil, fmt.Errorf("nftables: %w", err)
	}
	if _, err := c.ListTablesOfFamily(nftables.TableFamilyIPv4); err != nil {
		return nil, fmt.Errorf("nftables: list tables: %w", err)
	}
	return &Backend{table: name, localnet: localnet}, nil
}

// Name is the backend's mode name.
func (b *Backend) Name() string { return "nftables" }

// Table is the name of the backend's table.
func (b *Backend) Table() string { return b.table }

// Sync replaces the table's content with rules for ports, in one
// transaction.
func (b *Backend) Sync(_ context.Context, ports []kubeproxy.ServicePort) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.localnet && !b.setLocnet {
		if err := setRouteLocalnet(); err != nil {
			return err
		}
		b.setLocnet = true
	}
	c, err := nftables.New()
	if err != nil {
		return fmt.Errorf("nftables: %w", err)
	}
	t := &nftables.Table{Family: nftables.TableFamilyIPv4, Name: b.table}
	// Adding first makes the delete succeed whether or not the table
	// exists; the whole batch is one transaction.
	c.AddTable(t)
	c.DelTable(t)
	t = c.AddTable(&nftables.Table{Family: nftables.TableFamilyIPv4, Name: b.table})
	if err := b.build(c, t, ports); err != nil {
		return err
	}
	if err := c.Flush(); err != nil {
		return fmt.Errorf("nftables: program table %s: %w", b.table, err)
	}
	return nil
}

// Cleanup deletes the table (if present) and puts route_localnet back.
func (b *Backend) Cleanup() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	var errs []error
	if err := DeleteTable(b.table); err != nil {
		errs = append(errs, err)
	}
	if b.setLocnet {
		if err := restoreRouteLocalnet(); err != nil {
			errs = append(errs, err)
		}
		b.setLocnet = false
	}
	return errors.Join(errs...)
}

// LocalnetSaved is where the value route_localnet had before the first
// minik8s table set it is kept, so that clusters sharing the host (each
// with its own table) restore it only when the last one stops.
var LocalnetSaved = "/run/minik8s-route_localnet.orig"

// setRouteLocalnet sets route_localnet to 1, saving the host's value first
// unless a minik8s backend already did.
func setRouteLocalnet() error {
	cur, err := os.ReadFile(routeLocalnet)
	if err != nil {
		return fmt.Errorf("read route_localnet: %w", err)
	}
	if _, err := os.Stat(LocalnetSaved); errors.Is(err, os.ErrNotExist) {
		if err := os.WriteFile(LocalnetSaved, cur, 0o600); err != nil {
			return fmt.Errorf("save route_localnet: %w", err)
		}
	}
	if strings.TrimSpace(string(cur)) == "1" {
		return nil
	}
	if err := os.WriteFile(routeLocalnet, []byte("1"), 0o644); err != nil {
		return fmt.Errorf("set route_localnet for node ports on 127.0.0.1: %w", err)
	}
	return nil
}

// restoreRouteLocalnet puts back the saved route_localnet once no minik8s
// table is left on the host.
func restoreRouteLocalnet() error {
	c, err := nftables.New()
	if err != nil {
		return fmt.Errorf("nftables: %w", err)
	}
	ts, err := c.ListTablesOfFamily(nftables.TableFamilyIPv4)
	if err != nil {
		return fmt.Errorf("nftables: list tables: %w", err)
	}
	for _, t := range ts {
		if strings.HasPrefix(t.Name, TablePrefix) {
			return nil // another cluster's proxy still needs it
		}
	}
	saved, err := os.ReadFile(LocalnetSaved)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	} else if err != nil {
		return fmt.Errorf("read saved route_localnet: %w", err)
	}
	if err := os.WriteFile(routeLocalnet, saved, 0o644); err != nil {
		return fmt.Errorf("restore route_localnet: %w", err)
	}
	return os.Remove(LocalnetSaved)
}

// TablePrefix starts the name of every table minik8s makes.
const TablePrefix = "minik8s-"

// DeleteTable deletes the ip table name if it exists (minik8s reset uses
// it for a cluster that did not stop cleanly).
func DeleteTable(name string) error {
	c, err := nftables.New()
	if err != nil {
		return fmt.Errorf("nftables: %w", err)
	}
	t := &nftables.Table{Family: nftables.TableFamilyIPv4, Name: name}
	c.AddTable(t)
	c.DelTable(t)
	if err := c.Flush(); err != nil {
		return fmt.Errorf("nftables: delete table %s: %w", name, err)
	}
	return nil
}

// TableExists reports whether the ip table name exists.
func TableExists(name string) (bool, error) {
	c, err := nftables.New()
	if err != nil {
		return false, err
	}
	ts, err := c.ListTablesOfFamily(nftables.TableFamilyIPv4)
	if err != nil {
		return false, err
	}
	for _, t := range ts {
		if t.Name == name {
			return true, nil
		}
	}
	return false, nil
}

func (b *Backend) build(c *nftables.Conn, t *nftables.Table, ports []kubeproxy.ServicePort) error {
	base := func(name string, typ nftables.ChainType, hook *nftables.ChainHook, prio *nftables.ChainPriority) *nftables.Chain {
		return c.AddChain(&nftables.Chain{Name: name, Table: t, Type: typ, Hooknum: hook, Priority: prio})
	}
	regular := func(name string) *nftables.Chain { return c.AddChain(&nftables.Chain{Name: name, Table: t}) }
	rule := func(ch *nftables.Chain, exprs ...expr.Any) {
		c.AddRule(&nftables.Rule{Table: t, Chain: ch, Exprs: exprs})
	}

	services := regular("services")
	rejects := regular("reject-services")
	pre := base("nat-prerouting", nftables.ChainTypeNAT, nftables.ChainHookPrerouting, nftables.ChainPriorityNATDest)
	out := base("nat-output", nftables.ChainTypeNAT, nftables.ChainHookOutput, nftables.ChainPriorityNATDest)
	post := base("nat-postrouting", nftables.ChainTypeNAT, nftables.ChainHookPostrouting, nftables.ChainPriorityNATSource)
	rule(pre, jump(services.Name))
	rule(out, jump(services.Name))
	rule(post, cat(markIsSet(), []expr.Any{&expr.Masq{}})...)
	filterPrio := nftables.ChainPriorityRef(-10)
	for _, h := range []struct {
		name string
		hook *nftables.ChainHook
	}{{"filter-input", nftables.ChainHookInput}, {"filter-forward", nftables.ChainHookForward}, {"filter-output", nftables.ChainHookOutput}} {
		ch := base(h.name, nftables.ChainTypeFilter, h.hook, filterPrio)
		if h.name == "filter-input" && b.localnet {
			// route_localnet lets 127.0.0.0/8 be routed: refuse such
			// packets from anywhere but the loopback interface.
			// Those DNATed on purpose (a Service whose endpoint is on
			// 127.0.0.1, such as the API server's) pass.
			rule(ch, cat(iifnameNot("lo"), daddrPrefix(netip.MustParsePrefix("127.0.0.0/8")), notDNATed(), []expr.Any{verdict(expr.VerdictDrop)})...)
		}
		rule(ch, jump(rejects.Name))
	}

	var nodePortRules [][]expr.Any
	for i := range ports {
		sp := &ports[i]
		proto := l4(sp.Protocol)
		if len(sp.Endpoints) == 0 {
			rej := rejectFor(sp.Protocol)
			rule(rejects, cat(daddr(sp.ClusterIP), proto, dport(sp.ServicePort), rej)...)
			if sp.NodePort != 0 {
				rule(rejects, cat(daddrLocal(), proto, dport(sp.NodePort), rej)...)
			}
			continue
		}
		name := chainName(sp)
		svc := regular(name)
		rule(services, cat(daddr(sp.ClusterIP), proto, dport(sp.ServicePort), []expr.Any{gotoChain(name)})...)
		if sp.NodePort != 0 {
			nodePortRules = append(nodePortRules, cat(daddrLocal(), proto, dport(sp.NodePort), []expr.Any{gotoChain(name)}))
		}
		rule(svc, setMark()...)
		if len(sp.Endpoints) == 1 {
			rule(svc, dnat(sp.Endpoints[0])...)
			continue
		}
		vmap := &nftables.Set{Table: t, Anonymous: true, Constant: true, IsMap: true,
			KeyType: nftables.TypeInteger, DataType: nftables.TypeVerdict}
		elems := make([]nftables.SetElement, len(sp.Endpoints))
		for j, ep := range sp.Endpoints {
			epChain := regular(name + "/ep-" + ep.String())
			rule(epChain, dnat(ep)...)
			elems[j] = nftables.SetElement{Key: binaryutil.NativeEndian.PutUint32(uint32(j)),
				VerdictData: &expr.Verdict{Kind: expr.VerdictGoto, Chain: epChain.Name}}
		}
		if err := c.AddSet(vmap, elems); err != nil {
			return fmt.Errorf("nftables: endpoints of %s: %w", sp.Key(), err)
		}
		rule(svc,
			&expr.Numgen{Register: 1, Modulus: uint32(len(sp.Endpoints)), Type: unix.NFT_NG_RANDOM},
			&expr.Lookup{SourceRegister: 1, DestRegister: 0, IsDestRegSet: true, SetName: vmap.Name, SetID: vmap.ID})
	}
	// Node ports last, as kube-proxy does: a cluster IP match is more
	// specific.
	for _, r := range nodePortRules {
		rule(services, r...)
	}
	return nil
}

// chainName names a Service port's chain: svc-<ns>/<name>/<proto>/<port>.
func chainName(sp *kubeproxy.ServicePort) string {
	port := sp.Port
	if port == "" {
		port = strconv.Itoa(int(sp.ServicePort))
	}
	return "svc-" + sp.Namespace + "/" + sp.Service + "/" + strings.ToLower(string(sp.Protocol)) + "/" + port
}

func cat(parts ...[]expr.Any) []expr.Any {
	var out []expr.Any
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

func verdict(k expr.VerdictKind) expr.Any { return &expr.Verdict{Kind: k} }
func jump(chain string) expr.Any          { return &expr.Verdict{Kind: expr.VerdictJump, Chain: chain} }
func gotoChain(chain string) expr.Any     { return &expr.Verdict{Kind: expr.VerdictGoto, Chain: chain} }

// daddr matches ip daddr == a.
func daddr(a netip.Addr) []expr.Any {
	b := a.As4()
	return []expr.Any{
		&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseNetworkHeader, Offset: 16, Len: 4},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: b[:]},
	}
}

// daddrPrefix matches ip daddr in p.
func daddrPrefix(p netip.Prefix) []expr.Any {
	mask := make([]byte, 4)
	for i := range p.Bits() {
		mask[i/8] |= 0x80 >> (i % 8)
	}
	b := p.Masked().Addr().As4()
	return []expr.Any{
		&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseNetworkHeader, Offset: 16, Len: 4},
		&expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: 4, Mask: mask, Xor: make([]byte, 4)},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: b[:]},
	}
}

// daddrLocal matches fib daddr type local.
func daddrLocal() []expr.Any {
	return []expr.Any{
		&expr.Fib{Register: 1, FlagDADDR: true, ResultADDRTYPE: true},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: binaryutil.NativeEndian.PutUint32(unix.RTN_LOCAL)},
	}
}

// iifnameNot matches meta iifname != name.
func iifnameNot(name string) []expr.Any {
	b := make([]byte, 16)
	copy(b, name)
	return []expr.Any{
		&expr.Meta{Key: expr.MetaKeyIIFNAME, Register: 1},
		&expr.Cmp{Op: expr.CmpOpNeq, Register: 1, Data: b},
	}
}

// notDNATed matches ct status & dnat == 0.
func notDNATed() []expr.Any {
	return []expr.Any{
		&expr.Ct{Key: expr.CtKeySTATUS, Register: 1},
		&expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: 4,
			Mask: binaryutil.NativeEndian.PutUint32(ipsDstNAT), Xor: binaryutil.NativeEndian.PutUint32(0)},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: binaryutil.NativeEndian.PutUint32(0)},
	}
}

// ipsDstNAT is conntrack's IPS_DST_NAT status bit.
const ipsDstNAT = 1 << 5

// l4 matches meta l4proto.
func l4(p api.Protocol) []expr.Any {
	n := byte(unix.IPPROTO_TCP)
	if p == api.ProtocolUDP {
		n = unix.IPPROTO_UDP
	}
	return []expr.Any{
		&expr.Meta{Key: expr.MetaKeyL4PROTO, Register: 1},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{n}},
	}
}

// dport matches th dport (after l4).
func dport(p uint16) []expr.Any {
	return []expr.Any{
		&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseTransportHeader, Offset: 2, Len: 2},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: binaryutil.BigEndian.PutUint16(p)},
	}
}

// rejectFor answers a TCP connection with a reset and a UDP datagram
// with ICMP port unreachable.
func rejectFor(p api.Protocol) []expr.Any {
	if p == api.ProtocolUDP {
		return []expr.Any{&expr.Reject{Type: unix.NFT_REJECT_ICMP_UNREACH, Code: 3}}
	}
	return []expr.Any{&expr.Reject{Type: unix.NFT_REJECT_TCP_RST}}
}

// setMark is meta mark set meta mark | masqMark.
func setMark() []expr.Any {
	return []expr.Any{
		&expr.Meta{Key: expr.MetaKeyMARK, Register: 1},
		&expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: 4,
			Mask: binaryutil.NativeEndian.PutUint32(^uint32(masqMark)), Xor: binaryutil.NativeEndian.PutUint32(masqMark)},
		&expr.Meta{Key: expr.MetaKeyMARK, SourceRegister: true, Register: 1},
	}
}

// markIsSet matches meta mark & masqMark != 0.
func markIsSet() []expr.Any {
	return []expr.Any{
		&expr.Meta{Key: expr.MetaKeyMARK, Register: 1},
		&expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: 4,
			Mask: binaryutil.NativeEndian.PutUint32(masqMark), Xor: binaryutil.NativeEndian.PutUint32(0)},
		&expr.Cmp{Op: expr.CmpOpNeq, Register: 1, Data: binaryutil.NativeEndian.PutUint32(0)},
	}
}

// dnat is dnat to ep.
func dnat(ep netip.AddrPort) []expr.Any {
	a := ep.Addr().As4()
	return []expr.Any{
		&expr.Immediate{Register: 1, Data: a[:]},
		&expr.Immediate{Register: 2, Data: binaryutil.BigEndian.PutUint16(ep.Port())},
		&expr.NAT{Type: expr.NATTypeDestNAT, Family: unix.NFPROTO_IPV4, RegAddrMin: 1, RegProtoMin: 2, Specified: true},
	}
}
