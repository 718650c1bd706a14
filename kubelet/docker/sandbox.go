package docker

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strconv"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/kubelet/runtime"
)

// EnsureSandbox returns the pod's running pause container, creating it
// (and the pause image) when needed. A dead sandbox is removed after the
// pod's running containers are killed, and a new one is made. A
// hostNetwork pod's sandbox has IP "": the pod uses the node's.
func (r *Runtime) EnsureSandbox(ctx context.Context, p *api.Pod) (runtime.Sandbox, error) {
	sandboxes, err := r.list(ctx, LabelPodUID+"="+p.UID, LabelType+"="+typeSandbox)
	if err != nil {
		return runtime.Sandbox{}, err
	}
	for _, s := range sandboxes {
		if s.State == container.StateRunning {
			ins, err := r.cli.ContainerInspect(ctx, s.ID, client.ContainerInspectOptions{})
			if err != nil {
				return runtime.Sandbox{}, fmt.Errorf("inspect sandbox: %w", err)
			}
			return runtime.Sandbox{ID: idPrefix + s.ID, IP: sandboxIP(ins.Container)}, nil
		}
	}
	if len(sandboxes) > 0 {
		if err := r.replaceDeadSandboxes(ctx, p, sandboxes); err != nil {
			return runtime.Sandbox{}, err
		}
	}
	if err := r.ensurePauseImage(ctx); err != nil {
		return runtime.Sandbox{}, err
	}

	cfg, host := r.sandboxConfig(p)
	created, err := r.cli.ContainerCreate(ctx, client.ContainerCreateOptions{
		Config: cfg, HostConfig: host, Name: containerName("POD", p, 0),
	})
	if err != nil {
		return runtime.Sandbox{}, fmt.Errorf("create sandbox: %w", err)
	}
	if _, err := r.cli.ContainerStart(ctx, created.ID, client.ContainerStartOptions{}); err != nil {
		// Leave nothing half-made: the next call starts afresh.
		_ = r.remove(context.WithoutCancel(ctx), created.ID)
		return runtime.Sandbox{}, fmt.Errorf("start sandbox: %w", err)
	}
	ins, err := r.cli.ContainerInspect(ctx, created.ID, client.ContainerInspectOptions{})
	if err != nil {
		return runtime.Sandbox{}, fmt.Errorf("inspect sandbox: %w", err)
	}
	r.log.Debug().Str("pod", p.Namespace+"/"+p.Name).Str("sandbox", shortID(created.ID)).Msg("sandbox started")
	return runtime.Sandbox{ID: idPrefix + created.ID, IP: sandboxIP(ins.Container)}, nil
}

// replaceDeadSandboxes kills the pod's running containers, which lost
// their network with the sandbox, and removes the dead sandboxes.
func (r *Runtime) replaceDeadSandboxes(ctx context.Context, p *api.Pod, dead []container.Summary) error {
	cs, err := r.list(ctx, LabelPodUID+"="+p.UID, LabelType+"="+typeContainer)
	if err != nil {
		return err
	}
	for _, c := range cs {
		if c.State == container.StateRunning {
			if err := r.StopContainer(ctx, c.ID, 0); err != nil {
				return err
			}
		}
	}
	for _, s := range dead {
		if err := r.remove(ctx, s.ID); err != nil {
			return err
		}
	}
	r.log.Info().Str("pod", p.Namespace+"/"+p.Name).Msg("sandbox died; replacing it")
	return nil
}

// sandboxConfig returns the pause container's configuration: hostname,
// network mode and the published host ports of all the pod's containers.
func (r *Runtime) sandboxConfig(p *api.Pod) (*container.Config, *container.HostConfig) {
	cfg := &container.Config{Image: r.cfg.PauseImage, Labels: r.labels(p, typeSandbox)}
	// The pod's containers join its IPC namespace too, which Docker allows
	// only from a "shareable" one.
	host := &container.HostConfig{NetworkMode: "bridge", IpcMode: "shareable"}
	// The pod's containers share the sandbox's /etc/resolv.conf.
	dns := runtime.PodDNS(p, r.cfg.DNS)
	for _, ns := range dns.Nameservers {
		if a, err := netip.ParseAddr(ns); err == nil {
			host.DNS = append(host.DNS, a)
		}
	}
	host.DNSSearch, host.DNSOptions = dns.Searches, dns.Options
	if p.Spec.HostNetwork {
		host.NetworkMode = "host"
		return cfg, host
	}
	cfg.Hostname = p.Spec.Hostname
	if cfg.Hostname == "" {
		cfg.Hostname = p.Name
	}
	if len(cfg.Hostname) > 63 {
		cfg.Hostname = cfg.Hostname[:63]
	}
	for _, c := range p.Spec.Containers {
		for _, port := range c.Ports {
			if port.HostPort == 0 {
				continue
			}
			proto := network.TCP
			switch port.Protocol {
			case api.ProtocolUDP:
				proto = network.UDP
			case api.ProtocolSCTP:
				proto = network.SCTP
			}
			pp, ok := network.PortFrom(uint16(port.ContainerPort), proto)
			if !ok {
				continue // validation rejects such ports
			}
			hostIP, _ := netip.ParseAddr(port.HostIP) // "" is the zero Addr: all interfaces
			if cfg.ExposedPorts == nil {
				cfg.ExposedPorts, host.PortBindings = network.PortSet{}, network.PortMap{}
			}
			cfg.ExposedPorts[pp] = struct{}{}
			host.PortBindings[pp] = append(host.PortBindings[pp],
				network.PortBinding{HostIP: hostIP, HostPort: strconv.Itoa(int(port.HostPort))})
		}
	}
	return cfg, host
}

// sandboxIP returns the address of a sandbox on its (first) network.
func sandboxIP(c container.InspectResponse) string {
	if c.NetworkSettings == nil {
		return ""
	}
	for _, ep := range c.NetworkSettings.Networks {
		if ep != nil && ep.IPAddress.IsValid() {
			return ep.IPAddress.String()
		}
	}
	return ""
}

// BridgeGateway returns the host's address on the default bridge network
// of the engine at host ("" for DOCKER_HOST or the default socket):
// docker0's, 172.17.0.1 by default, where pods reach the host.
func BridgeGateway(ctx context.Context, host string) (netip.Addr, error) {
	cli, err := newClient(host)
	if err != nil {
		return netip.Addr{}, err
	}
	defer cli.Close()
	res, err := cli.NetworkInspect(ctx, "bridge", client.NetworkInspectOptions{})
	if err != nil {
		return netip.Addr{}, fmt.Errorf("inspect the bridge network: %w", err)
	}
	for _, c := range res.Network.IPAM.Config {
		if c.Gateway.IsValid() && c.Gateway.Is4() {
			return c.Gateway, nil
		}
		// Older engines leave Gateway out: the bridge takes the subnet's
		// first address.
		if c.Subnet.IsValid() && c.Subnet.Addr().Is4() {
			return c.Subnet.Masked().Addr().Next(), nil
		}
	}
	return netip.Addr{}, errors.New("the bridge network has no IPv4 gateway")
}
