// Package cluster runs a minik8s cluster as child processes, the way a
// user runs it (`minik8s all`, or each role on its own), for the suites
// that test minik8s with Kubernetes' own client libraries: client-go
// (e2e/clientgo) and controller-runtime (e2e/operator). It lives in the
// client-go module so that both suites share one start-up, and so that
// the main module stays free of k8s.io/* modules.
package cluster

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// Options say how to run the cluster.
type Options struct {
	// Nodes is how many simulated nodes run.
	Nodes int
	// Mode is "all" (one `minik8s all` process, the default) or "split"
	// (apiserver, scheduler, controller-manager and kubelet processes).
	Mode string
	// Runtime is the nodes' runtime: "sim" (the default) or "docker".
	Runtime string
	// Kubelet is more of the config file's kubelet section, indented by
	// two spaces ("  configRefreshPeriod: 2s\n").
	Kubelet string
}

// portsOff is the cluster's config file: any free port for the API server
// and the kubelets' log servers, none for the scheduler's and controller
// manager's own endpoints.
const portsOff = `apiserver:
  listen: 127.0.0.1:0
scheduler:
  port: 0
controllerManager:
  port: 0
kubelet:
  port: 0
`

// Cluster is a running minik8s cluster.
type Cluster struct {
	// Mode is the mode it runs in ("all" or "split").
	Mode string
	// Kubeconfig is the admin kubeconfig's path.
	Kubeconfig string
	// Config is the admin kubeconfig's (copy it before changing it);
	// Client is a clientset for it.
	Config *rest.Config
	Client kubernetes.Interface

	dir    string
	bin    string
	global []string // global flags of every process
	procs  []*process
}

type process struct {
	name string
	cmd  *exec.Cmd
	log  string
	done chan struct{} // closed when the process has exited
}

// Start builds minik8s unless $MINIK8S_BIN names a binary, runs it in dir
// with a fresh data dir, and waits for the API server and every node to be
// ready. On error, whatever was started is stopped again; the logs stay
// in dir.
func Start(dir string, opt Options) (*Cluster, error) {
	c := &Cluster{dir: dir}
	if err := c.start(opt); err != nil {
		c.Stop()
		return c, err
	}
	return c, nil
}

// repoRoot is the directory of the main module's go.mod above the
// working directory.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if f, err := os.Open(filepath.Join(dir, "go.mod")); err == nil {
			line, _ := bufio.NewReader(f).ReadString('\n')
			f.Close()
			if strings.TrimSpace(line) == "module github.com/minik8s/minik8s" {
				return dir, nil
			}
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no minik8s go.mod above the working directory")
		}
		dir = parent
	}
}

func (c *Cluster) start(opt Options) error {
	bin := os.Getenv("MINIK8S_BIN")
	if bin == "" {
		root, err := repoRoot()
		if err != nil {
			return err
		}
		bin = filepath.Join(c.dir, "minik8s")
		build := exec.Command("go", "build", "-o", bin, ".")
		build.Dir = root
		build.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := build.CombinedOutput(); err != nil {
			return fmt.Errorf("build minik8s: %w\n%s", err, out)
		}
	}
	// Every port 0, so that the suite can run beside other clusters (and
	// ignores any ./config.yaml).
	conf := filepath.Join(c.dir, "config.yaml")
	if err := os.WriteFile(conf, []byte(portsOff+opt.Kubelet), 0o600); err != nil {
		return err
	}
	data := filepath.Join(c.dir, "data")
	c.bin, c.global = bin, []string{"--config", conf, "--data-dir", data, "--log-format", "console"}
	c.Kubeconfig = filepath.Join(data, "kubeconfig")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	nodes := opt.Nodes
	c.Mode = opt.Mode
	rt := opt.Runtime
	if rt == "" {
		rt = "sim"
	}
	switch c.Mode {
	case "", "all":
		c.Mode = "all"
		if err := c.run("all", "--nodes", fmt.Sprint(nodes), "--runtime", rt); err != nil {
			return err
		}
		if err := c.waitAPI(ctx); err != nil {
			return err
		}
	case "split":
		if err := c.run("apiserver"); err != nil {
			return err
		}
		if err := c.waitAPI(ctx); err != nil {
			return err
		}
		for _, args := range [][]string{
			{"scheduler"},
			{"controller-manager"},
			{"kubelet", "--sim-nodes", fmt.Sprint(nodes), "--runtime", rt},
		} {
			if err := c.run(args[0], args[1:]...); err != nil {
				return err
			}
		}
	default:
		return fmt.Errorf("mode %q: want all or split", c.Mode)
	}
	return c.poll(ctx, func() error {
		list, err := c.Client.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
		if err != nil {
			return err
		}
		ready := 0
		for _, n := range list.Items {
			for _, cond := range n.Status.Conditions {
				if cond.Type == corev1.NodeReady && cond.Status == corev1.ConditionTrue {
					ready++
				}
			}
		}
		if ready != nodes {
			return fmt.Errorf("%d of %d nodes Ready", ready, nodes)
		}
		return nil
	})
}

// run starts `minik8s name args...`, its output going to a log file.
func (c *Cluster) run(name string, args ...string) error {
	log := filepath.Join(c.dir, name+".log")
	f, err := os.Create(log)
	if err != nil {
		return err
	}
	defer f.Close()
	cmd := exec.Command(c.bin, append(append(c.global[:len(c.global):len(c.global)], name), args...)...)
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start minik8s %s: %w", name, err)
	}
	p := &process{name: name, cmd: cmd, log: log, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(p.done) }()
	c.procs = append(c.procs, p)
	return nil
}

// waitAPI waits for the kubeconfig to be written and /readyz to answer ok.
func (c *Cluster) waitAPI(ctx context.Context) error {
	return c.poll(ctx, func() error {
		cfg, err := clientcmd.BuildConfigFromFlags("", c.Kubeconfig)
		if err != nil {
			return err
		}
		// The default 5 requests per second would throttle the tests.
		cfg.QPS, cfg.Burst = 200, 400
		cs, err := kubernetes.NewForConfig(cfg)
		if err != nil {
			return err
		}
		body, err := cs.Discovery().RESTClient().Get().AbsPath("/readyz").DoRaw(ctx)
		if err != nil {
			return fmt.Errorf("readyz: %w", err)
		}
		if string(body) != "ok" {
			return fmt.Errorf("readyz: %q", body)
		}
		c.Config, c.Client = cfg, cs
		return nil
	})
}

// poll calls f every 100ms until it succeeds, a process exits, or ctx ends.
func (c *Cluster) poll(ctx context.Context, f func() error) error {
	for {
		err := f()
		if err == nil {
			return nil
		}
		for _, p := range c.procs {
			select {
			case <-p.done:
				return fmt.Errorf("minik8s %s exited: %v", p.name, p.cmd.ProcessState)
			default:
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w: %v", ctx.Err(), err)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// Reset removes the cluster's Docker containers (`minik8s reset`), which
// outlive a stopped cluster as pods outlive a stopped kubelet. Call it
// after Stop.
func (c *Cluster) Reset() error {
	out, err := exec.Command(c.bin, append(c.global[:len(c.global):len(c.global)], "reset")...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("minik8s reset: %w\n%s", err, out)
	}
	return nil
}

// Stop interrupts the processes in reverse start order (node agents before
// the API server), as Ctrl-C would, and kills any that do not exit.
func (c *Cluster) Stop() {
	for i := len(c.procs) - 1; i >= 0; i-- {
		p := c.procs[i]
		_ = p.cmd.Process.Signal(syscall.SIGINT)
		select {
		case <-p.done:
		case <-time.After(20 * time.Second):
			fmt.Fprintf(os.Stderr, "minik8s %s did not stop within 20s; killing it\n", p.name)
			_ = p.cmd.Process.Kill()
			<-p.done
		}
	}
	c.procs = nil
}

// DumpLogs writes the end of every process's log to w.
func (c *Cluster) DumpLogs(w io.Writer) {
	for _, p := range c.procs {
		dumpLog(w, p.name, p.log)
	}
	if len(c.procs) == 0 {
		// Stopped already: the logs are still in the directory.
		logs, _ := filepath.Glob(filepath.Join(c.dir, "*.log"))
		for _, l := range logs {
			dumpLog(w, strings.TrimSuffix(filepath.Base(l), ".log"), l)
		}
	}
}

func dumpLog(w io.Writer, name, path string) {
	b, err := os.ReadFile(path)
	if err != nil {
		return
	}
	lines := bytes.Split(bytes.TrimRight(b, "\n"), []byte("\n"))
	if len(lines) > 60 {
		lines = lines[len(lines)-60:]
	}
	fmt.Fprintf(w, "--- last lines of minik8s %s (%s)\n%s\n", name, path, bytes.Join(lines, []byte("\n")))
}
