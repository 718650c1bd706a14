package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// A lab (docs/labs/*.md) is run the way its reader runs it: the ```sh
// blocks in order, in one working directory, each with bash -euo pipefail.
// The block fenced ```sh cluster is the command the reader runs in a
// second terminal (`./minik8s all ...`); the test starts that cluster
// instead (on free ports) once the blocks before it have run, and runs
// the blocks after it against it with KUBECONFIG set and minik8s on PATH.
// A later ```sh cluster block stops the cluster and starts it again on the
// same data dir, as a reader would with Ctrl-C. Other fences (```text,
// ```console) are not run. So a lab that no longer works fails make test.

var fence = regexp.MustCompile("(?ms)^```([a-z]*)( cluster)?\n(.*?)^```\n")

type labBlock struct {
	cluster bool
	script  string
}

func labBlocks(md string) []labBlock {
	var out []labBlock
	for _, m := range fence.FindAllStringSubmatch(md, -1) {
		if m[1] == "sh" {
			out = append(out, labBlock{cluster: m[2] != "", script: m[3]})
		}
	}
	return out
}

func TestLabs(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(repoRoot, "docs", "labs", "[0-9]*.md"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no labs in docs/labs (%v)", err)
	}
	binDir := t.TempDir()
	if err := os.Symlink(binPath, filepath.Join(binDir, "minik8s")); err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		t.Run(strings.TrimSuffix(filepath.Base(f), ".md"), func(t *testing.T) {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			runLab(t, labBlocks(string(b)), binDir)
		})
	}
}

func runLab(t *testing.T, blocks []labBlock, binDir string) {
	work := t.TempDir()
	env := []string{"HOME=" + work, "PATH=" + binDir + ":" + os.Getenv("PATH")}
	var c *cluster
	for i, blk := range blocks {
		if blk.cluster {
			args := strings.Fields(blk.script)
			if len(args) < 2 || args[0] != "./minik8s" || args[1] != "all" {
				t.Fatalf("cluster block %d: want ./minik8s all ..., got %q", i, blk.script)
			}
			args = args[2:]
			for j := range args {
				switch {
				case j == 0:
				case args[j-1] == "--config" && !filepath.IsAbs(args[j]):
					args[j] = filepath.Join(work, args[j])
				case args[j-1] == "--scheduler-port" || args[j-1] == "--controller-manager-port":
					// The reader's fixed port, free here so that tests can
					// run side by side.
					_, args[j], _ = strings.Cut(freeAddr(t), ":")
				}
			}
			opt := clusterOptions{args: args}
			if c != nil {
				c.stop()
				opt.dataDir = c.dataDir
			}
			c = startCluster(t, opt)
			env = append(env, "KUBECONFIG="+c.kubeconfig)
			continue
		}
		if c == nil && strings.Contains(blk.script, "kubectl") {
			t.Fatalf("block %d uses kubectl before the ```sh cluster block", i)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		cmd := exec.CommandContext(ctx, "bash", "-euo", "pipefail", "-c", blk.script)
		cmd.Dir = work
		cmd.Env = append(cleanEnv(), env...)
		out, err := cmd.CombinedOutput()
		cancel()
		if err != nil {
			t.Fatalf("block %d failed: %v\n--- script\n%s--- output\n%s", i, err, blk.script, out)
		}
		t.Logf("block %d:\n%s", i, out)
	}
	if c == nil {
		t.Fatal("the lab has no ```sh cluster block")
	}
}
