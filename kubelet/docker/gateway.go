package docker

import (
	"context"
	"fmt"

	"github.com/moby/moby/client"

	"github.com/minik8s/minik8s/kubelet/runtime"
)

var _ runtime.HostGateway = (*Runtime)(nil)

// GatewayIP returns the host's address on the bridge network the pods'
// sandboxes join: the network's gateway, or the first address of its
// subnet, which Docker gives the bridge when it names no gateway.
func (r *Runtime) GatewayIP(ctx context.Context) (string, error) {
	res, err := r.cli.NetworkInspect(ctx, "bridge", client.NetworkInspectOptions{})
	if err != nil {
		return "", fmt.Errorf("inspect the bridge network: %w", err)
	}
	for _, c := range res.Network.IPAM.Config {
		if c.Gateway.IsValid() && c.Gateway.Is4() {
			return c.Gateway.String(), nil
		}
		if c.Subnet.IsValid() && c.Subnet.Addr().Is4() {
			return c.Subnet.Masked().Addr().Next().String(), nil
		}
	}
	return "", fmt.Errorf("the bridge network has no IPv4 subnet")
}
