package cmd

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/minik8s/minik8s/app"
	"github.com/minik8s/minik8s/client"
	"github.com/minik8s/minik8s/kubeconfig"
	"github.com/minik8s/minik8s/kubelet/docker"
	"github.com/minik8s/minik8s/kubeproxy/nft"
	"github.com/minik8s/minik8s/pki"
)

// resetCommand is `minik8s reset`: remove what a stopped cluster leaves
// behind, its Docker containers and its data dir.
func resetCommand() *cli.Command {
	return &cli.Command{
		Name:  "reset",
		Usage: "remove a stopped cluster: its Docker containers (of every node) and its --data-dir",
		Description: "Stopping minik8s leaves the pods' containers running, as stopping a kubelet does. " +
			"reset removes the containers of the cluster whose data dir is --data-dir (they carry its " +
			"cluster ID, derived from the CA in the data dir), and nothing else, then the data dir. A " +
			"Postgres database named by --store is left alone. The cluster must be stopped.",
		Action: runReset,
	}
}

// dataDirFiles are the files that make a directory a minik8s data dir;
// reset removes no directory that has none of them.
var dataDirFiles = []string{"ca.crt", "tokens.csv", "kubeconfig", "minik8s.db"}

func runReset(c *cli.Context) error {
	cfg, err := loadConfig(c)
	if err != nil {
		return err
	}
	w := c.App.Writer
	dir := absPath(cfg.DataDir)
	if _, err := os.Stat(dir); errors.Is(err, os.ErrNotExist) {
		fmt.Fprintf(w, "nothing to reset: %s does not exist\n", dir)
		return nil
	}
	if !isDataDir(dir) {
		return fmt.Errorf("%s is not a minik8s data dir (it has none of %v): not removing it", dir, dataDirFiles)
	}
	if url, running := clusterRunning(c.Context, cfg.KubeconfigPath()); running {
		return fmt.Errorf("the cluster of %s is running (its API server answers at %s): stop it first (Ctrl-C)", dir, url)
	}

	cluster, err := pki.ClusterIDOf(pki.In(dir))
	switch {
	case errors.Is(err, os.ErrNotExist):
		fmt.Fprintf(w, "no CA in %s, so no cluster ID: no containers to look for\n", dir)
	case err != nil:
		return err
	case !docker.Available(c.Context, cfg.Kubelet.Docker.Host):
		fmt.Fprintf(w, "no Docker engine answers: no containers to remove (cluster %s)\n", cluster)
	default:
		removed, err := docker.RemoveCluster(c.Context, cfg.Kubelet.Docker.Host, cluster)
		for _, r := range removed {
			fmt.Fprintf(w, "removed container %s (node %s)\n", r.Name, r.Node)
		}
		fmt.Fprintf(w, "removed %d Docker container(s) of cluster %s\n", len(removed), cluster)
		if err != nil {
			return fmt.Errorf("%w (the data dir is kept, so that reset can run again)", err)
		}
	}
	if err == nil {
		// A node agent that did not stop cleanly left its Service rules.
		table := app.NftTable(cluster)
		if ok, _ := nft.TableExists(table); ok {
			if err := nft.DeleteTable(table); err != nil {
				return fmt.Errorf("%w (the data dir is kept, so that reset can run again)", err)
			}
			fmt.Fprintf(w, "removed nftables table ip %s\n", table)
		}
	}

	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("remove data dir: %w", err)
	}
	fmt.Fprintf(w, "removed data dir %s\n", dir)
	if cfg.Store != "" {
		fmt.Fprintln(w, "the database of --store is left as it is: drop it yourself to start afresh")
	}
	return nil
}

func isDataDir(dir string) bool {
	for _, f := range dataDirFiles {
		if _, err := os.Stat(filepath.Join(dir, f)); err == nil {
			return true
		}
	}
	return false
}

// clusterRunning reports whether the API server of the kubeconfig at path
// answers, and at which URL. Only a server that proves to hold the
// kubeconfig's CA counts: another cluster on the same address does not.
func clusterRunning(ctx context.Context, path string) (string, bool) {
	kc, err := kubeconfig.Load(path)
	if err != nil {
		return "", false
	}
	r, err := kc.Resolve()
	if err != nil {
		return "", false
	}
	c, err := client.FromKubeconfig(path, -1, 0)
	if err != nil {
		return "", false
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	err = c.Do(ctx, "GET", "/version", nil, nil)
	var serr *client.StatusError
	return r.Cluster.Server, err == nil || errors.As(err, &serr)
}
