package kubeproxy

import (
	"context"
	"net"
	"net/netip"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/rs/zerolog"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/informer"
	"github.com/minik8s/minik8s/informer/informertest"
)

// TestDNS asks a running server, over UDP, what pods ask: Services by
// name, headless Services, pod hostnames in a subdomain, SRV of named
// ports, pod A records, names that do not exist, and a name outside the
// cluster, which goes to the upstream resolver.
func TestDNS(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	// The upstream answers example.com.
	up, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	upSrv := &dns.Server{PacketConn: up, Handler: dns.HandlerFunc(func(w dns.ResponseWriter, r *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(r)
		if r.Question[0].Name == "example.com." {
			m.Answer = append(m.Answer, &dns.A{Hdr: dns.RR_Header{Name: "example.com.", Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 60},
				A: net.ParseIP("203.0.113.7")})
		} else {
			m.Rcode = dns.RcodeNameError
		}
		_ = w.WriteMsg(m)
	})}
	go func() { _ = upSrv.ActivateAndServe() }()
	defer upSrv.Shutdown()

	web := svc("ns", "web", "ClusterIP", "10.96.0.5", api.ServicePort{Name: "http", Port: 80})
	db := svc("ns", "db", "ClusterIP", "None", api.ServicePort{Name: "pg", Port: 5432})
	ext := svc("ns", "ext", "ExternalName", "")
	ext.Spec.ExternalName = "example.com"
	pg := []api.EndpointSlicePort{{Name: ptr("pg"), Port: ptr(int32(5432))}}
	db0 := ep("10.0.0.10", nil, nil, nil)
	db0.Hostname = ptr("db-0")
	sl := slice("ns", "db-x", "db", pg, db0, ep("10.0.0.11", ptr(true), nil, nil), ep("10.0.0.12", ptr(false), nil, nil))

	d, err := NewDNS(DNSConfig{Listen: netip.MustParseAddrPort("127.0.0.1:0"), Domain: "cluster.local",
		Upstreams: []string{up.LocalAddr().String()}}, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	d.svcs = informer.New[*api.Service](informertest.Static[*api.Service]{Items: []*api.Service{web, db, ext}}, time.Hour)
	d.slices = informer.New[*api.EndpointSlice](informertest.Static[*api.EndpointSlice]{Items: []*api.EndpointSlice{sl}}, time.Hour,
		informer.Indexer[*api.EndpointSlice]{Name: indexService, Func: func(s *api.EndpointSlice) []string {
			return []string{s.Namespace + "/" + s.Labels[api.LabelServiceName]}
		}})
	go func() { _ = d.svcs.Run(ctx) }()
	go func() { _ = d.slices.Run(ctx) }()
	if !informer.WaitForCacheSync(ctx, d.svcs.HasSynced, d.slices.HasSynced) {
		t.Fatal("caches did not sync")
	}
	if err := d.listen(); err != nil {
		t.Fatal(err)
	}
	go d.serve(ctx)
	c := &dns.Client{Timeout: 2 * time.Second}

	for _, tc := range []struct {
		name  string
		qtype uint16
		rcode int
		want  []string // answers' data, sorted
	}{
		{"web.ns.svc.cluster.local.", dns.TypeA, dns.RcodeSuccess, []string{"10.96.0.5"}},
		{"WEB.ns.svc.cluster.local.", dns.TypeA, dns.RcodeSuccess, []string{"10.96.0.5"}},
		{"web.ns.svc.cluster.local.", dns.TypeAAAA, dns.RcodeSuccess, nil},
		{"db.ns.svc.cluster.local.", dns.TypeA, dns.RcodeSuccess, []string{"10.0.0.10", "10.0.0.11"}},
		{"db-0.db.ns.svc.cluster.local.", dns.TypeA, dns.RcodeSuccess, []string{"10.0.0.10"}},
		{"db-9.db.ns.svc.cluster.local.", dns.TypeA, dns.RcodeNameError, nil},
		{"_http._tcp.web.ns.svc.cluster.local.", dns.TypeSRV, dns.RcodeSuccess, []string{"0 100 80 web.ns.svc.cluster.local."}},
		{"_pg._tcp.db.ns.svc.cluster.local.", dns.TypeSRV, dns.RcodeSuccess,
			[]string{"0 100 5432 10-0-0-11.db.ns.svc.cluster.local.", "0 100 5432 db-0.db.ns.svc.cluster.local."}},
		{"ext.ns.svc.cluster.local.", dns.TypeA, dns.RcodeSuccess, []string{"example.com."}},
		{"10-1-2-3.ns.pod.cluster.local.", dns.TypeA, dns.RcodeSuccess, []string{"10.1.2.3"}},
		{"nope.ns.svc.cluster.local.", dns.TypeA, dns.RcodeNameError, nil},
		{"web.ns.svc.cluster.local.ns.svc.cluster.local.", dns.TypeA, dns.RcodeNameError, nil},
		{"example.com.", dns.TypeA, dns.RcodeSuccess, []string{"203.0.113.7"}},
		{"nope.example.", dns.TypeA, dns.RcodeNameError, nil},
	} {
		t.Run(tc.name+"/"+dns.TypeToString[tc.qtype], func(t *testing.T) {
			m := new(dns.Msg)
			m.SetQuestion(tc.name, tc.qtype)
			r, _, err := c.Exchange(m, d.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, rr := range r.Answer {
				switch v := rr.(type) {
				case *dns.A:
					got = append(got, v.A.String())
				case *dns.CNAME:
					got = append(got, v.Target)
				case *dns.SRV:
					got = append(got, dns.Field(v, 1)+" "+dns.Field(v, 2)+" "+dns.Field(v, 3)+" "+v.Target)
				}
			}
			sort.Strings(got)
			if r.Rcode != tc.rcode || !slices.Equal(got, tc.want) {
				t.Errorf("rcode %s answers %v, want %s %v", dns.RcodeToString[r.Rcode], got, dns.RcodeToString[tc.rcode], tc.want)
			}
		})
	}
}
