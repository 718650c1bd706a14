package chaos

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/minik8s/minik8s/internal/syncbuf"
	"github.com/minik8s/minik8s/internal/testenv"
	"github.com/minik8s/minik8s/internal/testsvc"
)

// privatePostgres is a Postgres cluster of the case's own, made with
// initdb in a temporary directory and listening on a free loopback port,
// so that the case can stop and start it without touching the Postgres
// other tests share. Its database "postgres" is the store.
type privatePostgres struct {
	URL  string // postgres://postgres@127.0.0.1:PORT/postgres?sslmode=disable
	dir  string
	bin  string // the directory of initdb and pg_ctl
	port int
	cred *syscall.Credential // the postgres user's, when the test runs as root
}

// startPostgres makes and starts a private Postgres. It needs the Postgres
// server programs (as make test's services do: MINIK8S_TEST_POSTGRES must
// be set) and stops and removes the cluster when the test ends.
func startPostgres(t *testing.T) *privatePostgres {
	t.Helper()
	testsvc.Require(t, testsvc.Postgres)
	bins, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	if len(bins) == 0 {
		t.Fatal("no /usr/lib/postgresql/*/bin/initdb: the private Postgres needs the Postgres server installed (hack/services.sh)")
	}
	p := &privatePostgres{bin: filepath.Dir(bins[len(bins)-1]), port: testenv.FreePort(t)}
	// Not t.TempDir: its parents are 0700, which the postgres user cannot
	// enter; the socket path must also stay short.
	dir, err := os.MkdirTemp("", "chaos-pg-")
	must(t, err)
	p.dir = dir
	if os.Geteuid() == 0 { // Postgres refuses to run as root
		u, err := user.Lookup("postgres")
		if err != nil {
			t.Fatalf("running as root, the private Postgres needs the postgres user: %v", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		p.cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
		must(t, os.Chown(dir, uid, gid))
	}
	t.Cleanup(func() {
		_ = p.pgctl("stop", "-m", "immediate")
		os.RemoveAll(dir)
	})
	if out, err := p.run("initdb", "-D", filepath.Join(dir, "data"), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync"); err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	p.URL = fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", p.port)
	p.start(t)
	return p
}

// start starts the server and waits until it accepts connections.
func (p *privatePostgres) start(t *testing.T) {
	t.Helper()
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300", p.port, p.dir)
	if err := p.pgctl("start", "-w", "-t", "60", "-l", filepath.Join(p.dir, "log"), "-o", opts); err != nil {
		log, _ := os.ReadFile(filepath.Join(p.dir, "log"))
		t.Fatalf("start the private Postgres: %v\n%s", err, tailBytes(log, 2000))
	}
}

// stop stops the server: a fast shutdown, which ends every session.
func (p *privatePostgres) stop(t *testing.T) {
	t.Helper()
	if err := p.pgctl("stop", "-w", "-t", "60", "-m", "fast"); err != nil {
		t.Fatalf("stop the private Postgres: %v", err)
	}
}

func (p *privatePostgres) pgctl(args ...string) error {
	out, err := p.run("pg_ctl", append([]string{"-D", filepath.Join(p.dir, "data")}, args...)...)
	if err != nil {
		return fmt.Errorf("pg_ctl %v: %w: %s", args, err, out)
	}
	return nil
}

func (p *privatePostgres) run(prog string, args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(p.bin, prog), args...)
	cmd.Dir = p.dir
	if p.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: p.cred}
	}
	return cmd.CombinedOutput()
}

// privateRedis is a redis-server of the case's own on a free loopback
// port, which the case can stop and start again on the same port.
type privateRedis struct {
	URL  string
	port int
	cmd  *exec.Cmd
	out  *syncbuf.Buffer
	done chan struct{}
}

// startRedis starts a private Redis (MINIK8S_TEST_REDIS must be set, as
// make test's services do) and stops it when the test ends.
func startRedis(t *testing.T) *privateRedis {
	t.Helper()
	testsvc.Require(t, testsvc.Redis)
	if _, err := exec.LookPath("redis-server"); err != nil {
		t.Fatalf("the private Redis needs redis-server (hack/services.sh installs it): %v", err)
	}
	r := &privateRedis{port: testenv.FreePort(t), out: &syncbuf.Buffer{}}
	r.URL = fmt.Sprintf("redis://127.0.0.1:%d/0", r.port)
	t.Cleanup(func() {
		if r.cmd != nil {
			_ = r.cmd.Process.Kill()
			<-r.done
		}
	})
	r.start(t)
	return r
}

// start starts redis-server and waits until it answers PING.
func (r *privateRedis) start(t *testing.T) {
	t.Helper()
	r.cmd = exec.Command("redis-server", "--bind", "127.0.0.1", "--port", strconv.Itoa(r.port),
		"--save", "", "--appendonly", "no", "--protected-mode", "no")
	r.cmd.Stdout, r.cmd.Stderr = r.out, r.out
	must(t, r.cmd.Start())
	r.done = make(chan struct{})
	go func(cmd *exec.Cmd, done chan struct{}) { _ = cmd.Wait(); close(done) }(r.cmd, r.done)
	deadline := time.Now().Add(20 * time.Second)
	for !r.ping() {
		select {
		case <-r.done:
			t.Fatalf("redis-server exited:\n%s", r.out.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("redis-server does not answer after 20s:\n%s", r.out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// stop stops redis-server (SIGTERM: it closes every connection) and
// waits until it has exited.
func (r *privateRedis) stop(t *testing.T) {
	t.Helper()
	_ = r.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-r.done:
	case <-time.After(20 * time.Second):
		t.Fatal("redis-server did not stop within 20s of SIGTERM")
	}
	r.cmd = nil
}

func (r *privateRedis) ping() bool {
	c, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(r.port)), time.Second)
	if err != nil {
		return false
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(time.Second))
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		return false
	}
	b := make([]byte, 7)
	n, _ := c.Read(b)
	return bytes.HasPrefix(b[:n], []byte("+PONG"))
}

func tailBytes(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}
