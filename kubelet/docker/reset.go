package docker

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/moby/moby/client"
)

// Removed is a container RemoveCluster removed.
type Removed struct {
	Name string // without the leading "/"
	Node string // LabelNode
}

// RemoveCluster force-removes every container, running or not, that
// carries LabelCluster=cluster on the engine at host ("" for DOCKER_HOST
// or the default socket): the pods' containers and sandboxes of every node
// of that cluster, and nothing else. It returns what it removed, also when
// it fails part way.
func RemoveCluster(ctx context.Context, host, cluster string) ([]Removed, error) {
	if cluster == "" {
		return nil, errors.New("docker: remove cluster: no cluster ID")
	}
	cli, err := newClient(host)
	if err != nil {
		return nil, err
	}
	defer cli.Close()
	f := make(client.Filters).Add("label", LabelCluster+"="+cluster)
	res, err := cli.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: f})
	if err != nil {
		return nil, fmt.Errorf("list containers: %w", err)
	}
	var removed []Removed
	var errs []error
	for _, c := range res.Items {
		name := c.ID[:min(12, len(c.ID))]
		if len(c.Names) > 0 {
			name = strings.TrimPrefix(c.Names[0], "/")
		}
		if _, err := cli.ContainerRemove(ctx, c.ID, client.ContainerRemoveOptions{Force: true}); err != nil {
			errs = append(errs, fmt.Errorf("remove container %s: %w", name, err))
			continue
		}
		removed = append(removed, Removed{Name: name, Node: c.Labels[LabelNode]})
	}
	return removed, errors.Join(errs...)
}
