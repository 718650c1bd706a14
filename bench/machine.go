package bench

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// writeHeader writes what a reader needs to judge the figures: how the
// benchmark was run and on what machine.
func writeHeader(ctx context.Context, w io.Writer, opt Options) {
	fmt.Fprintf(w, "minik8s benchmark, %s\n", time.Now().Format(time.RFC3339))
	fmt.Fprintf(w, "command:  %s\n", opt.CommandLine)
	fmt.Fprintf(w, "binary:   %s (%s)\n", opt.Binary, binaryVersion(ctx, opt.Binary))
	fmt.Fprintf(w, "machine:  %d CPUs (%s), %s memory, load average %s, %s %s/%s\n",
		runtime.NumCPU(), cpuModel(), memTotal(), loadAvg(), osRelease(), runtime.GOOS, runtime.GOARCH)
	if opt.Postgres != "" {
		fmt.Fprintf(w, "postgres: %s (%s)\n", redactURL(opt.Postgres), postgresVersion(ctx, opt.Postgres))
	}
	if opt.Redis != "" {
		fmt.Fprintf(w, "redis:    %s\n", redactURL(opt.Redis))
	}
	p := opt.Params
	fmt.Fprintf(w, "params:   %d creates and updates per run, clients %v, %d watched creates at %.0f/s, pgbench %s, run timeout %s\n",
		p.Creates, p.Clients, p.WatchEvents, p.WatchRate, p.PgbenchDuration, p.RunTimeout)
	fmt.Fprintf(w, "          scheduler: %d nodes × %d pods created by %d clients; all: %d simulated nodes, a Deployment of %d\n",
		p.SchedNodes, p.SchedPods, p.SchedClients, p.ClusterNodes, p.Replicas)
	if opt.Scale {
		fmt.Fprintf(w, "          scale: all-10k %d simulated nodes × %d pods, all-150k %d × %d, each step bounded by %s\n",
			p.ScaleNodes, p.ScalePods, p.HugeNodes, p.HugePods, p.ScaleTimeout)
	}
	fmt.Fprintln(w, "method:   each server is its own minik8s process (API rate limits off); load comes from this process over")
	fmt.Fprintln(w, "          loopback HTTPS/1.1 with keep-alive, one connection per client; latency is per request, as the client sees it")
}

func binaryVersion(ctx context.Context, bin string) string {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, bin, "version").Output()
	if err != nil {
		return "version unknown: " + err.Error()
	}
	return strings.TrimSpace(string(out))
}

// cpuModel is the first "model name" of /proc/cpuinfo, or "unknown CPU".
func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return "unknown CPU"
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown CPU"
}

// memTotal is MemTotal of /proc/meminfo.
func memTotal() string {
	kb, err := procStatusKB("/proc/meminfo", "MemTotal")
	if err != nil {
		return "unknown"
	}
	return fmt.Sprintf("%.1f GiB", float64(kb)/(1<<20))
}

// loadAvg is the 1, 5 and 15 minute load average.
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

func osRelease() string {
	b, err := os.ReadFile("/proc/sys/kernel/osrelease")
	if err != nil {
		return "kernel unknown"
	}
	return "Linux " + strings.TrimSpace(string(b))
}

// procStatusKB reads a "Key:   123 kB" line of a /proc file such as
// /proc/PID/status or /proc/meminfo.
func procStatusKB(path, key string) (int64, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok || k != key {
			continue
		}
		f := strings.Fields(v)
		if len(f) == 0 {
			break
		}
		return strconv.ParseInt(f[0], 10, 64)
	}
	return 0, fmt.Errorf("no %s in %s", key, path)
}
