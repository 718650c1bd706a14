package app

import (
	"context"
	"encoding/hex"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"syscall"

	"github.com/rs/zerolog"

	"github.com/minik8s/minik8s/client"
	"github.com/minik8s/minik8s/kubelet/docker"
	"github.com/minik8s/minik8s/kubelet/runtime"
	"github.com/minik8s/minik8s/kubeproxy"
	"github.com/minik8s/minik8s/kubeproxy/nft"
)

// NftTable is the nftables table (family ip) of the cluster with ID
// cluster (pki.ClusterID): each cluster on a host has its own.
func NftTable(cluster string) string {
	if cluster == "" {
		cluster = "default"
	}
	return nft.TablePrefix + cluster
}

// dnsVIP is the address pods of the cluster send DNS queries to: a
// link-local address (as NodeLocal DNSCache's 169.254.20.10), one of 254
// picked by the cluster ID so that clusters sharing a host rarely share it.
func dnsVIP(cluster string) netip.Addr {
	b, _ := hex.DecodeString(cluster)
	h := 0
	for _, x := range b {
		h = h*31 + int(x)
	}
	if h < 0 {
		h = -h
	}
	return netip.AddrFrom4([4]byte{169, 254, 53, byte(1 + h%254)})
}

// proxyPlan is the proxy NewKubelets runs beside the kubelet, and the
// cluster DNS its pods get.
type proxyPlan struct {
	run  func(context.Context) error
	dns  runtime.ClusterDNS
	mode string // for the start-up log: nftables, userspace, or why off
}

// planProxy picks the node agent's data plane for Services (kc.Proxy.Mode:
// nftables when the host lets us, else the userspace fallback) and its
// cluster DNS server (Docker nodes only: it listens on the bridge's
// gateway). One process per host and cluster programs the host: a second
// one (a lock in /run says so) runs no proxy.
func planProxy(ctx context.Context, cfg Config, kc KubeletConfig, rt, cluster string, c *client.Client, log zerolog.Logger) (proxyPlan, error) {
	pc := kc.Proxy
	if err := pc.Validate(); err != nil {
		return proxyPlan{}, err
	}
	mode := pc.Mode
	if mode == kubeproxy.ModeAuto && rt != RuntimeDocker {
		return proxyPlan{mode: "off: simulated pods have no network"}, nil
	}
	if mode == kubeproxy.ModeOff {
		return proxyPlan{mode: "off, as kubelet.proxy.mode says"}, nil
	}
	table := NftTable(cluster)
	unlock, ok := hostLock(table)
	if !ok {
		return proxyPlan{mode: "off: another node agent of this cluster programs this host"}, nil
	}
	plog := log.With().Str("component", "kube-proxy").Logger()
	addr, _ := netip.ParseAddr(kc.Address)
	var backend kubeproxy.Backend
	if mode == kubeproxy.ModeAuto || mode == kubeproxy.ModeNftables {
		b, err := nft.New(table, addr.IsLoopback() || addr.IsUnspecified())
		switch {
		case err == nil:
			backend = b
		case mode == kubeproxy.ModeNftables:
			unlock()
			return proxyPlan{}, fmt.Errorf("kube-proxy: %w", err)
		default:
			plog.Warn().Err(err).Msg("cannot program nftables: node ports go through userspace listeners, cluster IPs are not reachable")
		}
	}
	if backend == nil {
		backend = kubeproxy.NewUserspace(kc.Address, plog)
	}
	var dnsSrv *kubeproxy.DNS
	plan := proxyPlan{mode: backend.Name()}
	if rt == RuntimeDocker {
		gw, err := docker.BridgeGateway(ctx, kc.Docker.Host)
		if err != nil {
			plog.Warn().Err(err).Msg("no cluster DNS: cannot find the Docker bridge")
		} else {
			dc := kubeproxy.DNSConfig{Listen: netip.AddrPortFrom(gw, 53), Domain: pc.ClusterDomain}
			if _, isNft := backend.(*nft.Backend); isNft {
				dc.Listen, dc.VIP = netip.AddrPortFrom(gw, 0), dnsVIP(cluster)
			}
			if dnsSrv, err = kubeproxy.NewDNS(dc, plog.With().Str("server", "dns").Logger()); err != nil {
				unlock()
				return proxyPlan{}, err
			}
			plan.dns = runtime.ClusterDNS{Nameserver: dnsSrv.Nameserver(), Domain: pc.ClusterDomain}
			plan.mode += ", cluster DNS at " + dnsSrv.Nameserver()
		}
	}
	p, err := kubeproxy.New(pc, kubeproxy.Deps{Client: c, Backend: backend, DNS: dnsSrv}, plog)
	if err != nil {
		unlock()
		return proxyPlan{}, err
	}
	plan.run = func(ctx context.Context) error {
		defer unlock()
		return p.Run(ctx)
	}
	return plan, nil
}

// hostLock takes an exclusive lock named name in /run (the temp dir where
// /run is not writable) for the life of the process, or until unlock;
// false when another process holds it.
func hostLock(name string) (unlock func(), ok bool) {
	dir := "/run"
	if st, err := os.Stat(dir); err != nil || !st.IsDir() || syscall.Access(dir, 2) != nil {
		dir = os.TempDir()
	}
	f, err := os.OpenFile(filepath.Join(dir, name+".lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return func() {}, true // no lock to take: go on alone
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		_ = f.Close()
		return nil, false
	}
	return func() {
		_ = os.Remove(f.Name()) // leave the host as it was
		_ = f.Close()
	}, true
}
