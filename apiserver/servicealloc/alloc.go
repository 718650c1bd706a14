// Package servicealloc allocates Services' cluster IPs and node ports.
//
// Each allocated value is one object in the store, named by the value
// ("10.96.0.10", "30080") and naming the Service that holds it, the way
// Kubernetes' IPAddress objects (its MultiCIDRServiceAllocator) work. The
// store's unique key is what makes a value impossible to hand out twice,
// whichever API server asks and however many share the database: two
// claims of one value race to create one row, and exactly one wins
// (store.ErrAlreadyExists for the other). No lock, no in-memory bitmap,
// nothing to keep in step between API servers, and no single hot object
// every Service create would contend on (Kubernetes' older
// bitmap-in-one-object allocator serialises all creates through one
// compare-and-swap).
//
// A claim is written before its Service and released after the Service
// is deleted (or its write failed), so a crash in between can only leak a
// value, never share one. Repair, run periodically by every API server,
// gives back values whose Service is gone (after a grace period longer
// than any write in flight may take) and re-claims values that a Service
// holds without a claim.
//
// Contract:
//   - Allocate fills in and claims what a Service needs and its previous
//     version did not hold; on a field error nothing stays claimed.
//   - Release frees what the previous version held and the next does not.
//   - A value is held by at most one Service at a time, across API
//     servers sharing a store.
package servicealloc

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"math/rand/v2"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/minik8s/minik8s/api/field"
	"github.com/minik8s/minik8s/apiserver/registry"
	"github.com/minik8s/minik8s/store"
)

// The store resources of the claims. They are not served as API kinds.
const (
	IPResource       = "serviceips.allocation.minik8s.io"
	NodePortResource = "servicenodeports.allocation.minik8s.io"
)

// Defaults of Kubernetes' --service-cluster-ip-range and
// --service-node-port-range.
const (
	DefaultClusterIPRange = "10.96.0.0/12"
	DefaultNodePortRange  = "30000-32767"
)

// randomTries is how many random values Allocate tries before it scans
// the claims for a free one.
const randomTries = 16

// Owner names the Service holding a claim.
type Owner struct {
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
	UID       string `json:"uid"`
}

// claim is the stored value of one claim.
type claim struct {
	Service   Owner     `json:"service"`
	ClaimedAt time.Time `json:"claimedAt"`
}

// Allocator hands out cluster IPs from one range and node ports from
// another, with claims in a store. It is safe for concurrent use.
type Allocator struct {
	st     store.Store
	prefix netip.Prefix
	family string // IPv4 or IPv6
	size   *big.Int
	portLo int
	portHi int
	now    func() time.Time
}

// New returns an allocator of the CIDR ipRange ("10.96.0.0/12") and the
// port range portRange ("30000-32767").
func New(st store.Store, ipRange, portRange string) (*Allocator, error) {
	p, err := netip.ParsePrefix(ipRange)
	if err != nil {
		return nil, fmt.Errorf("service cluster IP range %q is not a CIDR: %w", ipRange, err)
	}
	p = p.Masked()
	bits := p.Addr().BitLen() - p.Bits()
	if bits < 2 {
		return nil, fmt.Errorf("service cluster IP range %q is too small", ipRange)
	}
	lo, hi, err := ParsePortRange(portRange)
	if err != nil {
		return nil, err
	}
	family := "IPv4"
	if p.Addr().Is6() {
		family = "IPv6"
	}
	return &Allocator{
		st: st, prefix: p, family: family,
		size:   new(big.Int).Lsh(big.NewInt(1), uint(bits)),
		portLo: lo, portHi: hi, now: time.Now,
	}, nil
}

// ParsePortRange reads "30000-32767" (or a single port).
func ParsePortRange(s string) (lo, hi int, err error) {
	a, b, found := strings.Cut(s, "-")
	if !found {
		b = a
	}
	lo, errA := strconv.Atoi(strings.TrimSpace(a))
	hi, errB := strconv.Atoi(strings.TrimSpace(b))
	if errA != nil || errB != nil || lo < 1 || hi > 65535 || lo > hi {
		return 0, 0, fmt.Errorf("service node port range %q is not FROM-TO with 1 <= FROM <= TO <= 65535", s)
	}
	return lo, hi, nil
}

// Range is the cluster IP range.
func (a *Allocator) Range() netip.Prefix { return a.prefix }

// Family is the IP family of the range: IPv4 or IPv6.
func (a *Allocator) Family() string { return a.family }

// FirstIP is the range's first usable address, which the kubernetes
// Service gets.
func (a *Allocator) FirstIP() netip.Addr { return a.prefix.Addr().Next() }

// PortRange is the node port range as Kubernetes prints it: 30000-32767.
func (a *Allocator) PortRange() string { return fmt.Sprintf("%d-%d", a.portLo, a.portHi) }

// ipAt is the address at offset from the range's base.
func (a *Allocator) ipAt(offset *big.Int) netip.Addr {
	base := new(big.Int).SetBytes(a.prefix.Addr().AsSlice())
	b := new(big.Int).Add(base, offset).FillBytes(make([]byte, a.prefix.Addr().BitLen()/8))
	ip, _ := netip.AddrFromSlice(b)
	return ip
}

// usable reports whether ip may be handed out: inside the range and, for
// IPv4, neither its network nor its broadcast address.
func (a *Allocator) usable(ip netip.Addr) bool {
	if !a.prefix.Contains(ip) || ip == a.prefix.Addr() {
		return false
	}
	if a.family == "IPv4" {
		last := a.ipAt(new(big.Int).Sub(a.size, big.NewInt(1)))
		return ip != last
	}
	return true
}

// randomIP is a random usable address of the range.
func (a *Allocator) randomIP() netip.Addr {
	n := new(big.Int).Sub(a.size, big.NewInt(2)) // skip network and last
	var off *big.Int
	if n.IsInt64() {
		off = big.NewInt(rand.Int64N(n.Int64()) + 1)
	} else {
		off = big.NewInt(rand.Int64() + 1)
	}
	return a.ipAt(off)
}

// errTaken: the value is claimed by another Service.
var errTaken = errors.New("taken")

// claimValue claims name in resource for owner. A claim the same Service
// holds already counts as made (a retried write). taken reports
// errTaken.
func (a *Allocator) claimValue(ctx context.Context, resource, name string, owner Owner, dryRun bool) (created bool, err error) {
	key := store.Key{Resource: resource, Name: name}
	if dryRun {
		rec, err := a.st.Get(ctx, key)
		if errors.Is(err, store.ErrNotFound) {
			return false, nil
		}
		if err != nil {
			return false, err
		}
		if c, err := decodeClaim(rec.Value); err == nil && c.Service.UID == owner.UID {
			return false, nil
		}
		return false, errTaken
	}
	value, err := json.Marshal(claim{Service: owner, ClaimedAt: a.now().UTC()})
	if err != nil {
		return false, err
	}
	_, err = a.st.Create(ctx, &store.Record{Key: key, UID: owner.UID + "/" + name, Value: value})
	if errors.Is(err, store.ErrAlreadyExists) {
		rec, gerr := a.st.Get(ctx, key)
		if gerr == nil {
			if c, derr := decodeClaim(rec.Value); derr == nil && c.Service.UID == owner.UID {
				return false, nil
			}
		}
		return false, errTaken
	}
	return err == nil, err
}

// release deletes the claim of name if owner holds it.
func (a *Allocator) release(ctx context.Context, resource, name string, owner Owner) error {
	key := store.Key{Resource: resource, Name: name}
	rec, err := a.st.Get(ctx, key)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if c, err := decodeClaim(rec.Value); err != nil || c.Service.UID != owner.UID {
		return nil // not ours (any more)
	}
	_, err = a.st.Delete(ctx, key, rec.ResourceVersion)
	if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrConflict) {
		return nil
	}
	return err
}

func decodeClaim(b []byte) (claim, error) {
	var c claim
	err := json.Unmarshal(b, &c)
	return c, err
}

// claimed returns the values claimed in resource.
func (a *Allocator) claimed(ctx context.Context, resource string) (map[string]bool, error) {
	recs, _, err := a.st.List(ctx, store.Prefix{Resource: resource}, store.ListOptions{})
	if err != nil {
		return nil, err
	}
	out := make(map[string]bool, len(recs))
	for _, r := range recs {
		out[r.Name] = true
	}
	return out, nil
}

// allocateIP claims a free address for owner: random tries first, then a
// scan of the claims. ok is false when the range is full.
func (a *Allocator) allocateIP(ctx context.Context, owner Owner, dryRun bool) (ip netip.Addr, ok bool, err error) {
	for range randomTries {
		ip := a.randomIP()
		if _, err := a.claimValue(ctx, IPResource, ip.String(), owner, dryRun); err == nil {
			return ip, true, nil
		} else if !errors.Is(err, errTaken) {
			return netip.Addr{}, false, err
		}
	}
	taken, err := a.claimed(ctx, IPResource)
	if err != nil {
		return netip.Addr{}, false, err
	}
	for ip := a.FirstIP(); a.usable(ip); ip = ip.Next() {
		if taken[ip.String()] {
			continue
		}
		if _, err := a.claimValue(ctx, IPResource, ip.String(), owner, dryRun); err == nil {
			return ip, true, nil
		} else if !errors.Is(err, errTaken) {
			return netip.Addr{}, false, err
		}
	}
	return netip.Addr{}, false, nil
}

// allocatePort claims a free node port for owner, as allocateIP does.
func (a *Allocator) allocatePort(ctx context.Context, owner Owner, avoid map[int]bool, dryRun bool) (port int, ok bool, err error) {
	try := func(p int) (bool, error) {
		if avoid[p] {
			return false, nil
		}
		if _, err := a.claimValue(ctx, NodePortResource, strconv.Itoa(p), owner, dryRun); err == nil {
			return true, nil
		} else if !errors.Is(err, errTaken) {
			return false, err
		}
		return false, nil
	}
	for range randomTries {
		p := a.portLo + rand.IntN(a.portHi-a.portLo+1)
		if got, err := try(p); got || err != nil {
			return p, got, err
		}
	}
	taken, err := a.claimed(ctx, NodePortResource)
	if err != nil {
		return 0, false, err
	}
	for p := a.portLo; p <= a.portHi; p++ {
		if taken[strconv.Itoa(p)] {
			continue
		}
		if got, err := try(p); got || err != nil {
			return p, got, err
		}
	}
	return 0, false, nil
}

// Undo releases claims that Allocate made, when the write they were for
// failed.
type Undo func(ctx context.Context)

// Allocate fills in and claims the cluster IP and node ports that next (a
// Service, as decoded JSON, already defaulted and validated) needs and
// cur (its stored version; nil on create) does not hold, and sets
// ipFamilies and ipFamilyPolicy where they are missing. A requested value
// that is taken or out of range is a field error, and then nothing stays
// claimed. With dryRun nothing is claimed, but the answer is the same.
// On success, undo releases what was claimed (call it if the Service's
// write fails).
func (a *Allocator) Allocate(ctx context.Context, next, cur map[string]any, dryRun bool) (undo Undo, errs field.ErrorList, err error) {
	owner := ownerOf(next)
	var made []store.Key
	undo = func(ctx context.Context) {
		for _, k := range made {
			_ = a.release(ctx, k.Resource, k.Name, owner)
		}
	}
	fail := func(e field.ErrorList, err error) (Undo, field.ErrorList, error) {
		undo(context.WithoutCancel(ctx))
		return nil, e, err
	}
	claim := func(resource, name string) error {
		created, err := a.claimValue(ctx, resource, name, owner, dryRun)
		if created {
			made = append(made, store.Key{Resource: resource, Name: name})
		}
		return err
	}
	spec, _ := next["spec"].(map[string]any)
	if spec == nil {
		return undo, nil, nil
	}
	var curSpec map[string]any
	if cur != nil {
		curSpec, _ = cur["spec"].(map[string]any)
	}
	sp := field.NewPath("spec")

	// Cluster IP.
	if spec["type"] != "ExternalName" {
		if errs := a.defaultFamilies(spec, sp); len(errs) > 0 {
			return fail(errs, nil)
		}
		ip, _ := spec["clusterIP"].(string)
		curIP := ""
		if curSpec != nil && curSpec["type"] != "ExternalName" {
			curIP, _ = curSpec["clusterIP"].(string)
		}
		switch {
		case ip == "None":
			spec["clusterIPs"] = []any{"None"}
		case ip != "" && ip == curIP:
			// Held already.
		case ip != "":
			addr, perr := netip.ParseAddr(ip)
			ipsPath := sp.Child("clusterIPs")
			if perr != nil {
				return fail(field.ErrorList{field.Invalid(ipsPath, []string{ip}, "must be a valid IP address")}, nil)
			}
			if !a.usable(addr) {
				return fail(field.ErrorList{field.Invalid(ipsPath, []string{ip}, fmt.Sprintf(
					"failed to allocate IP %s: the provided IP (%s) is not in the valid range. The range of valid IPs is %s", ip, ip, a.prefix))}, nil)
			}
			if err := claim(IPResource, addr.String()); errors.Is(err, errTaken) {
				return fail(field.ErrorList{field.Invalid(ipsPath, []string{ip}, fmt.Sprintf(
					"failed to allocate IP %s: provided IP is already allocated", ip))}, nil)
			} else if err != nil {
				return fail(nil, err)
			}
			spec["clusterIP"], spec["clusterIPs"] = addr.String(), []any{addr.String()}
		default:
			addr, ok, err := a.allocateIP(ctx, owner, dryRun)
			if err != nil {
				return fail(nil, err)
			}
			if !ok {
				return fail(field.ErrorList{field.Invalid(sp.Child("clusterIPs"), []string{}, "failed to allocate a serviceIP: range is full")}, nil)
			}
			if !dryRun {
				made = append(made, store.Key{Resource: IPResource, Name: addr.String()})
			}
			spec["clusterIP"], spec["clusterIPs"] = addr.String(), []any{addr.String()}
		}
	}

	// Node ports.
	if registry.ServiceNeedsNodePorts(spec) {
		held := map[int]bool{}
		if curSpec != nil && registry.ServiceNeedsNodePorts(curSpec) {
			for _, p := range nodePorts(curSpec) {
				held[p] = true
			}
		}
		ports, _ := spec["ports"].([]any)
		inUse := map[int]bool{} // claimed for this object already
		for i, p := range ports {
			p, ok := p.(map[string]any)
			if !ok {
				continue
			}
			np, _ := toInt(p["nodePort"])
			path := sp.Child("ports").Index(i).Child("nodePort")
			switch {
			case np != 0 && (held[np] || inUse[np]):
				inUse[np] = true
			case np != 0:
				if np < a.portLo || np > a.portHi {
					return fail(field.ErrorList{field.Invalid(path, np, fmt.Sprintf(
						"provided port is not in the valid range. The range of valid ports is %s", a.PortRange()))}, nil)
				}
				if err := claim(NodePortResource, strconv.Itoa(np)); errors.Is(err, errTaken) {
					return fail(field.ErrorList{field.Invalid(path, np, "provided port is already allocated")}, nil)
				} else if err != nil {
					return fail(nil, err)
				}
				inUse[np] = true
			default:
				port, ok, err := a.allocatePort(ctx, owner, inUse, dryRun)
				if err != nil {
					return fail(nil, err)
				}
				if !ok {
					return fail(field.ErrorList{field.Invalid(path, 0, "failed to allocate a nodePort: range is full")}, nil)
				}
				if !dryRun {
					made = append(made, store.Key{Resource: NodePortResource, Name: strconv.Itoa(port)})
				}
				inUse[port] = true
				p["nodePort"] = json.Number(strconv.Itoa(port))
			}
		}
	}
	return undo, nil, nil
}

// defaultFamilies sets ipFamilies and ipFamilyPolicy from the range's
// family where they are missing, and refuses what the cluster cannot
// give: another family, or dual stack required.
func (a *Allocator) defaultFamilies(spec map[string]any, sp *field.Path) field.ErrorList {
	policy, _ := spec["ipFamilyPolicy"].(string)
	if spec["ipFamilyPolicy"] == nil {
		policy = "SingleStack"
		spec["ipFamilyPolicy"] = policy
	}
	if policy == "RequireDualStack" {
		return field.ErrorList{field.Invalid(sp.Child("ipFamilyPolicy"), policy, "this cluster is not configured for dual-stack services")}
	}
	fams, _ := spec["ipFamilies"].([]any)
	for i, f := range fams {
		if f != a.family {
			return field.ErrorList{field.Invalid(sp.Child("ipFamilies").Index(i), f, "not configured on this cluster")}
		}
	}
	if len(fams) == 0 {
		spec["ipFamilies"] = []any{a.family}
	}
	if ip, _ := spec["clusterIP"].(string); ip != "" && ip != "None" {
		if addr, err := netip.ParseAddr(ip); err == nil && (addr.Is4() != (a.family == "IPv4")) {
			fam := "IPv6"
			if addr.Is4() {
				fam = "IPv4"
			}
			return field.ErrorList{field.Invalid(sp.Child("clusterIPs"), []string{ip}, fmt.Sprintf("failed to allocate IP %s: %s is not configured on this cluster", ip, fam))}
		}
	}
	return nil
}

// Release frees what cur (a Service as stored) holds and next (its next
// version; nil when it was deleted) does not.
func (a *Allocator) Release(ctx context.Context, cur, next map[string]any) error {
	owner := ownerOf(cur)
	curSpec, _ := cur["spec"].(map[string]any)
	if curSpec == nil {
		return nil
	}
	var nextSpec map[string]any
	if next != nil {
		nextSpec, _ = next["spec"].(map[string]any)
	}
	var errs []error
	if ip := clusterIP(curSpec); ip != "" && (nextSpec == nil || clusterIP(nextSpec) != ip) {
		errs = append(errs, a.release(ctx, IPResource, ip, owner))
	}
	if registry.ServiceNeedsNodePorts(curSpec) {
		keep := map[int]bool{}
		if nextSpec != nil && registry.ServiceNeedsNodePorts(nextSpec) {
			for _, p := range nodePorts(nextSpec) {
				keep[p] = true
			}
		}
		for _, p := range nodePorts(curSpec) {
			if !keep[p] {
				errs = append(errs, a.release(ctx, NodePortResource, strconv.Itoa(p), owner))
			}
		}
	}
	return errors.Join(errs...)
}

// clusterIP is the allocated cluster IP of a spec, "" if it holds none.
func clusterIP(spec map[string]any) string {
	if spec["type"] == "ExternalName" {
		return ""
	}
	ip, _ := spec["clusterIP"].(string)
	if ip == "None" {
		return ""
	}
	if addr, err := netip.ParseAddr(ip); err == nil {
		return addr.String()
	}
	return ""
}

// nodePorts are the node ports a spec names.
func nodePorts(spec map[string]any) []int {
	var out []int
	ports, _ := spec["ports"].([]any)
	for _, p := range ports {
		p, _ := p.(map[string]any)
		if n, _ := toInt(p["nodePort"]); n != 0 {
			out = append(out, n)
		}
	}
	return out
}

func ownerOf(o map[string]any) Owner {
	meta, _ := o["metadata"].(map[string]any)
	s := func(k string) string { v, _ := meta[k].(string); return v }
	return Owner{Namespace: s("namespace"), Name: s("name"), UID: s("uid")}
}

func toInt(v any) (int, bool) {
	switch n := v.(type) {
	case json.Number:
		i, err := n.Int64()
		return int(i), err == nil
	case float64:
		return int(n), true
	case int:
		return n, true
	case int32:
		return int(n), true
	case int64:
		return int(n), true
	}
	return 0, false
}

// ServicesResource is the store resource of Services.
const ServicesResource = "services"

// RepairResult counts what Repair did.
type RepairResult struct {
	Released  int      // claims of Services that are gone or no longer hold them
	Reclaimed int      // claims written for values Services held without one
	Conflicts []string // values two Services hold (or a Service holds that another claimed)
}

// Repair makes the claims match the Services: it releases the claims
// older than grace whose Service is gone or no longer holds the value,
// and claims the values Services hold without a claim. grace must exceed
// the time a Service write may take after its claims were made (Allocate
// happens before the write), or Repair could release a claim an
// in-flight create is about to rely on. Several API servers may repair
// at once: every step is a conditional write.
func (a *Allocator) Repair(ctx context.Context, grace time.Duration) (RepairResult, error) {
	var res RepairResult
	svcs, _, err := a.st.List(ctx, store.Prefix{Resource: ServicesResource}, store.ListOptions{})
	if err != nil {
		return res, err
	}
	want := map[store.Key]Owner{}
	for _, rec := range svcs {
		var o map[string]any
		if err := json.Unmarshal(rec.Value, &o); err != nil {
			continue
		}
		owner := ownerOf(o)
		owner.Namespace, owner.Name = rec.Namespace, rec.Name
		if owner.UID == "" {
			owner.UID = rec.UID
		}
		spec, _ := o["spec"].(map[string]any)
		if spec == nil {
			continue
		}
		if ip := clusterIP(spec); ip != "" {
			want[store.Key{Resource: IPResource, Name: ip}] = owner
		}
		if registry.ServiceNeedsNodePorts(spec) {
			for _, p := range nodePorts(spec) {
				want[store.Key{Resource: NodePortResource, Name: strconv.Itoa(p)}] = owner
			}
		}
	}
	now := a.now()
	for _, resource := range []string{IPResource, NodePortResource} {
		claims, _, err := a.st.List(ctx, store.Prefix{Resource: resource}, store.ListOptions{})
		if err != nil {
			return res, err
		}
		for _, rec := range claims {
			c, err := decodeClaim(rec.Value)
			owner, held := want[rec.Key]
			if err == nil && held && owner.UID == c.Service.UID {
				delete(want, rec.Key)
				continue
			}
			if err == nil && now.Sub(c.ClaimedAt) < grace {
				continue // perhaps a write in flight
			}
			if held {
				res.Conflicts = append(res.Conflicts, rec.Name)
				delete(want, rec.Key)
				continue
			}
			if _, err := a.st.Delete(ctx, rec.Key, rec.ResourceVersion); err == nil {
				res.Released++
			} else if !errors.Is(err, store.ErrNotFound) && !errors.Is(err, store.ErrConflict) {
				return res, err
			}
		}
	}
	for k, owner := range want {
		created, err := a.claimValue(ctx, k.Resource, k.Name, owner, false)
		switch {
		case errors.Is(err, errTaken):
			res.Conflicts = append(res.Conflicts, k.Name)
		case err != nil:
			return res, err
		case created:
			res.Reclaimed++
		}
	}
	return res, nil
}
