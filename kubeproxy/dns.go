package kubeproxy

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/miekg/dns"
	"github.com/rs/zerolog"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/informer"
)

// dnsTTL is the TTL of cluster answers, CoreDNS's kubernetes plugin's.
const dnsTTL = 5

// DNSConfig places the cluster DNS server.
type DNSConfig struct {
	// Listen is where the server binds, UDP and TCP: an address of the
	// host that pods reach (the Docker bridge's gateway). Port 0 picks a
	// free port, then reachable only through VIP.
	Listen netip.AddrPort
	// VIP, if valid, is the address pods are told to query (port 53);
	// the proxy programs it as a Service port whose endpoint is Listen.
	VIP netip.Addr
	// Domain is the cluster domain (cluster.local).
	Domain string
	// Upstreams are the resolvers other names are forwarded to
	// (host:port), the host's from /etc/resolv.conf when empty.
	Upstreams []string
}

// DNS is the cluster DNS server, fed by the proxy's informers. Within the
// cluster domain it answers, like CoreDNS's kubernetes plugin:
//
//   - <svc>.<ns>.svc.<domain> A: the cluster IP, or for a headless Service
//     the addresses of its ready endpoints; CNAME for an ExternalName one;
//   - <hostname>.<svc>.<ns>.svc.<domain> A: the endpoint whose hostname it
//     is (a pod with hostname and subdomain, as a StatefulSet's pods have);
//   - _<port>._<proto>.<svc>.<ns>.svc.<domain> SRV for named ports;
//   - <a-b-c-d>.<ns>.pod.<domain> A: a-b-c-d;
//
// and NXDOMAIN for other names there. Other names are forwarded to the
// upstream resolvers.
type DNS struct {
	cfg DNSConfig
	log zerolog.Logger

	svcs   *informer.Informer[*api.Service]
	slices *informer.Informer[*api.EndpointSlice]

	mu     sync.Mutex
	bound  netip.AddrPort
	pc     net.PacketConn
	ln     net.Listener
	client *dns.Client
}

// NewDNS validates cfg and builds a DNS server; Proxy.Run starts it.
func NewDNS(cfg DNSConfig, log zerolog.Logger) (*DNS, error) {
	if !cfg.Listen.Addr().IsValid() || cfg.Domain == "" {
		return nil, errors.New("new DNS: a listen address and a domain are required")
	}
	if len(cfg.Upstreams) == 0 {
		if rc, err := dns.ClientConfigFromFile("/etc/resolv.conf"); err == nil {
			for _, s := range rc.Servers {
				cfg.Upstreams = append(cfg.Upstreams, net.JoinHostPort(s, rc.Port))
			}
		}
	}
	cfg.Domain = strings.Trim(strings.ToLower(cfg.Domain), ".")
	return &DNS{cfg: cfg, log: log, client: &dns.Client{Timeout: 2 * time.Second}}, nil
}

// Addr is where the server listens, once Proxy.Run has started it.
func (d *DNS) Addr() netip.AddrPort {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.bound
}

// Nameserver is the address pods are pointed at: the VIP if any, else the
// listen address.
func (d *DNS) Nameserver() string {
	if d.cfg.VIP.IsValid() {
		return d.cfg.VIP.String()
	}
	return d.cfg.Listen.Addr().String()
}

// listen binds UDP and TCP on one port.
func (d *DNS) listen() error {
	var lastErr error
	for range 10 {
		pc, err := net.ListenPacket("udp4", d.cfg.Listen.String())
		if err != nil {
			return fmt.Errorf("cluster DNS: listen: %w", err)
		}
		port := pc.LocalAddr().(*net.UDPAddr).Port
		ln, err := net.Listen("tcp4", net.JoinHostPort(d.cfg.Listen.Addr().String(), strconv.Itoa(port)))
		if err != nil {
			_ = pc.Close()
			lastErr = err
			if d.cfg.Listen.Port() != 0 {
				break
			}
			continue // that port is taken for TCP: try another
		}
		d.mu.Lock()
		d.pc, d.ln, d.bound = pc, ln, netip.AddrPortFrom(d.cfg.Listen.Addr(), uint16(port))
		d.mu.Unlock()
		d.log.Info().Str("listen", d.bound.String()).Str("nameserver", d.Nameserver()).Msg("cluster DNS serving")
		return nil
	}
	return fmt.Errorf("cluster DNS: listen on TCP: %w", lastErr)
}

// serve answers until ctx is done.
func (d *DNS) serve(ctx context.Context) {
	h := dns.HandlerFunc(d.ServeDNS)
	udp := &dns.Server{PacketConn: d.pc, Handler: h}
	tcp := &dns.Server{Listener: d.ln, Handler: h}
	var wg sync.WaitGroup
	for _, s := range []*dns.Server{udp, tcp} {
		wg.Go(func() {
			if err := s.ActivateAndServe(); err != nil && ctx.Err() == nil {
				d.log.Error().Err(err).Msg("cluster DNS stopped")
			}
		})
	}
	<-ctx.Done()
	sctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_ = udp.ShutdownContext(sctx)
	_ = tcp.ShutdownContext(sctx)
	wg.Wait()
}

// servicePorts are the DNS VIP's ports, UDP and TCP 53, towards the
// server.
func (d *DNS) servicePorts() []ServicePort {
	bound := d.Addr()
	if !d.cfg.VIP.IsValid() || !bound.IsValid() {
		return nil
	}
	mk := func(proto api.Protocol) ServicePort {
		return ServicePort{Namespace: "kube-system", Service: "minik8s-dns", Port: "dns-" + strings.ToLower(string(proto)),
			Protocol: proto, ClusterIP: d.cfg.VIP, ServicePort: 53, Endpoints: []netip.AddrPort{bound}}
	}
	return []ServicePort{mk(api.ProtocolUDP), mk(api.ProtocolTCP)}
}

// ServeDNS answers one query.
func (d *DNS) ServeDNS(w dns.ResponseWriter, r *dns.Msg) {
	if len(r.Question) != 1 {
		m := new(dns.Msg)
		m.SetRcode(r, dns.RcodeFormatError)
		_ = w.WriteMsg(m)
		return
	}
	q := r.Question[0]
	name := strings.ToLower(q.Name)
	if !dns.IsSubDomain(d.cfg.Domain+".", name) {
		d.forward(w, r)
		return
	}
	m := new(dns.Msg)
	m.SetReply(r)
	m.Authoritative = true
	rrs, exists := d.lookup(name, q.Qtype)
	m.Answer = rrs
	switch {
	case !exists:
		m.Rcode = dns.RcodeNameError
		m.Ns = []dns.RR{d.soa()}
	case len(rrs) == 0:
		m.Ns = []dns.RR{d.soa()}
	}
	_ = w.WriteMsg(m)
}

func (d *DNS) soa() dns.RR {
	z := d.cfg.Domain + "."
	return &dns.SOA{Hdr: dns.RR_Header{Name: z, Rrtype: dns.TypeSOA, Class: dns.ClassINET, Ttl: dnsTTL},
		Ns: "ns.dns." + z, Mbox: "hostmaster." + z, Serial: 1, Refresh: 7200, Retry: 1800, Expire: 86400, Minttl: dnsTTL}
}

// lookup answers name (lower case, fully qualified, in the cluster
// domain) for qtype; exists is false when the name does not exist at all.
func (d *DNS) lookup(name string, qtype uint16) (rrs []dns.RR, exists bool) {
	if d.svcs == nil || d.slices == nil {
		return nil, false
	}
	rel := strings.TrimSuffix(strings.TrimSuffix(name, "."), d.cfg.Domain)
	labels := dns.SplitDomainName(strings.TrimSuffix(rel, "."))
	hdr := func(t uint16) dns.RR_Header {
		return dns.RR_Header{Name: name, Rrtype: t, Class: dns.ClassINET, Ttl: dnsTTL}
	}
	a := func(ips ...string) []dns.RR {
		var out []dns.RR
		for _, ip := range ips {
			if addr := addr4(ip); addr.IsValid() && (qtype == dns.TypeA || qtype == dns.TypeANY) {
				out = append(out, &dns.A{Hdr: hdr(dns.TypeA), A: net.IP(addr.AsSlice())})
			}
		}
		return out
	}
	n := len(labels)
	switch {
	case n == 0:
		return nil, true
	case n == 3 && labels[2] == "pod":
		ip := strings.ReplaceAll(labels[0], "-", ".")
		if !addr4(ip).IsValid() {
			return nil, false
		}
		return a(ip), true
	case labels[n-1] != "svc":
		return nil, n == 1 && labels[0] == "svc" || n == 1 && labels[0] == "pod"
	case n == 1:
		return nil, true // svc.<domain>
	case n == 2:
		return nil, d.namespaceHasServices(labels[0])
	}
	svc, ok := d.svcs.Get(informer.Key{Namespace: labels[n-2], Name: labels[n-3]})
	if !ok {
		return nil, false
	}
	eps := d.readyEndpoints(svc)
	switch n {
	case 3: // <svc>.<ns>.svc
		switch {
		case svc.Spec.Type == api.ServiceTypeExternalName:
			return []dns.RR{&dns.CNAME{Hdr: hdr(dns.TypeCNAME), Target: dns.Fqdn(svc.Spec.ExternalName)}}, true
		case svc.Spec.ClusterIP == api.ClusterIPNone:
			ips := make([]string, 0, len(eps))
			for _, e := range eps {
				ips = append(ips, e.Addresses[0])
			}
			return a(ips...), true
		default:
			return a(svc.Spec.ClusterIP), true
		}
	case 4: // <hostname>.<svc>.<ns>.svc
		for _, e := range eps {
			if e.Hostname != nil && *e.Hostname == labels[0] {
				return a(e.Addresses[0]), true
			}
		}
		return nil, false
	case 5: // _<port>._<proto>.<svc>.<ns>.svc
		if !strings.HasPrefix(labels[0], "_") || !strings.HasPrefix(labels[1], "_") {
			return nil, false
		}
		port, proto := labels[0][1:], strings.ToUpper(labels[1][1:])
		for _, p := range svc.Spec.Ports {
			pp := string(p.Protocol)
			if pp == "" {
				pp = string(api.ProtocolTCP)
			}
			if p.Name != port || pp != proto {
				continue
			}
			if qtype != dns.TypeSRV && qtype != dns.TypeANY {
				return nil, true
			}
			target := labels[2] + "." + labels[3] + ".svc." + d.cfg.Domain + "."
			if svc.Spec.ClusterIP != api.ClusterIPNone {
				return []dns.RR{&dns.SRV{Hdr: hdr(dns.TypeSRV), Priority: 0, Weight: 100, Port: uint16(p.Port), Target: target}}, true
			}
			for _, e := range eps {
				host := strings.ReplaceAll(e.Addresses[0], ".", "-")
				if e.Hostname != nil {
					host = *e.Hostname
				}
				rrs = append(rrs, &dns.SRV{Hdr: hdr(dns.TypeSRV), Weight: 100, Port: uint16(p.Port), Target: host + "." + target})
			}
			return rrs, true
		}
		return nil, false
	}
	return nil, false
}

func (d *DNS) namespaceHasServices(ns string) bool {
	for _, s := range d.svcs.List() {
		if s.Namespace == ns {
			return true
		}
	}
	return false
}

// readyEndpoints returns the ready IPv4 endpoints of svc's slices, once
// each, in address order.
func (d *DNS) readyEndpoints(svc *api.Service) []api.Endpoint {
	var out []api.Endpoint
	seen := map[string]bool{}
	for _, s := range d.slices.ByIndex(indexService, svc.Namespace+"/"+svc.Name) {
		if s.AddressType != "IPv4" {
			continue
		}
		for _, e := range s.Endpoints {
			if len(e.Addresses) == 0 || seen[e.Addresses[0]] || (e.Conditions.Ready != nil && !*e.Conditions.Ready) {
				continue
			}
			seen[e.Addresses[0]] = true
			out = append(out, e)
		}
	}
	slices.SortFunc(out, func(a, b api.Endpoint) int { return strings.Compare(a.Addresses[0], b.Addresses[0]) })
	return out
}

// forward relays a query for a name outside the cluster to the upstream
// resolvers, the first that answers; SERVFAIL when none does.
func (d *DNS) forward(w dns.ResponseWriter, r *dns.Msg) {
	for _, up := range d.cfg.Upstreams {
		resp, _, err := d.client.Exchange(r, up)
		if err == nil && resp.Truncated {
			tc := &dns.Client{Net: "tcp", Timeout: d.client.Timeout}
			if r2, _, err2 := tc.Exchange(r, up); err2 == nil {
				resp = r2
			}
		}
		if err != nil {
			d.log.Debug().Err(err).Str("upstream", up).Msg("forward DNS query")
			continue
		}
		resp.Id = r.Id
		_ = w.WriteMsg(resp)
		return
	}
	m := new(dns.Msg)
	m.SetRcode(r, dns.RcodeServerFailure)
	_ = w.WriteMsg(m)
}
