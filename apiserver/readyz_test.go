package apiserver_test

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/minik8s/minik8s/internal/testenv"
	"github.com/minik8s/minik8s/internal/testsvc"
)

// ownRedis starts a redis-server of the test's own on port (0: a free
// one), so that stopping it disturbs no one else; stop kills it.
func ownRedis(t *testing.T, port int) (addr string, stop func()) {
	t.Helper()
	testsvc.Require(t, testsvc.Redis) // Redis is promised: redis-server must be there
	if port == 0 {
		port = testenv.FreePort(t)
	}
	addr = "127.0.0.1:" + strconv.Itoa(port)
	cmd := exec.Command("redis-server", "--port", strconv.Itoa(port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--dir", t.TempDir())
	if err := cmd.Start(); err != nil {
		t.Fatalf("start redis-server: %v", err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	stopped := false
	stop = func() {
		if !stopped {
			stopped = true
			_ = cmd.Process.Kill()
			<-done
		}
	}
	t.Cleanup(stop)
	for deadline := time.Now().Add(10 * time.Second); ; {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return addr, stop
		}
		if time.Now().After(deadline) {
			t.Fatalf("redis-server on %s did not answer", addr)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// readyz gets /readyz?verbose anonymously.
func readyz(t *testing.T, s *testenv.APIServer) (int, string) {
	t.Helper()
	resp, err := s.HTTP.Get(s.URL + "/readyz?verbose")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		b.WriteString(sc.Text() + "\n")
	}
	return resp.StatusCode, b.String()
}

// waitReadyz polls /readyz?verbose until its body contains want.
func waitReadyz(t *testing.T, s *testenv.APIServer, want string) (int, string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		code, body := readyz(t, s)
		if strings.Contains(body, want) {
			return code, body
		}
		if time.Now().After(deadline) {
			t.Fatalf("/readyz?verbose never showed %q; last %d:\n%s", want, code, body)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestReadyzDuringRedisOutage: with Redis down the watch fan-out is
// reported degraded, but the server stays ready, and watches keep
// delivering (from the change log).
func TestReadyzDuringRedisOutage(t *testing.T) {
	t.Parallel()
	addr, stop := ownRedis(t, 0)
	s := testenv.StartAPIServer(t, testenv.Options{Store: testenv.Postgres(t), Redis: "redis://" + addr + "/0"})
	code, body := waitReadyz(t, s, "[+]watch-fanout ok")
	for _, want := range []string{"[+]ping ok\n", "[+]store ok\n", "readyz check passed\n"} {
		if code != http.StatusOK || !strings.Contains(body, want) {
			t.Fatalf("/readyz?verbose = %d, lacks %q:\n%s", code, want, body)
		}
	}
	const pods = "/api/v1/namespaces/default/pods"
	ch := watchLines(t, s, pods+"?watch=true")

	stop()
	code, body = waitReadyz(t, s, "[-]watch-fanout failed: reason withheld")
	if code != http.StatusOK || !strings.Contains(body, "readyz check passed") {
		t.Fatalf("a Redis outage made the server unready: %d\n%s", code, body)
	}
	expect(t, s.Do(t, "POST", pods, podJSON), http.StatusCreated)
	if typ, name, _ := nextEvent(t, ch); typ != "ADDED" || name != "web" {
		t.Fatalf("watch during the outage: %s %s", typ, name)
	}

	port, _ := strconv.Atoi(addr[strings.LastIndex(addr, ":")+1:])
	ownRedis(t, port)
	waitReadyz(t, s, "[+]watch-fanout ok")
}

// TestReadyzAndInternalErrorsWithholdDetails: when the database fails,
// anonymous /readyz and a 500 say so without naming the database, its user
// or address.
func TestReadyzAndInternalErrorsWithholdDetails(t *testing.T) {
	t.Parallel()
	dsn := testenv.Postgres(t)
	s := testenv.StartAPIServer(t, testenv.Options{Store: dsn})
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	dbName := strings.TrimPrefix(u.Path, "/")
	admin, err := gorm.Open(postgres.Open(testsvc.Require(t, testsvc.Postgres)), &gorm.Config{Logger: logger.Discard})
	if err != nil {
		t.Fatal(err)
	}
	if sqlDB, err := admin.DB(); err == nil {
		defer sqlDB.Close()
	}
	if err := admin.Exec("DROP DATABASE " + dbName + " WITH (FORCE)").Error; err != nil {
		t.Fatal(err)
	}
	secrets := []string{dbName, u.User.Username(), u.Host, u.Hostname() + ":" + u.Port()}
	leaks := func(what, body string) {
		t.Helper()
		for _, sec := range secrets {
			if sec != "" && strings.Contains(body, sec) {
				t.Errorf("%s reveals %q:\n%s", what, sec, body)
			}
		}
	}
	code, body := waitReadyz(t, s, "[-]store failed: reason withheld")
	if code != http.StatusServiceUnavailable || !strings.Contains(body, "readyz check failed") {
		t.Fatalf("/readyz with the database gone = %d:\n%s", code, body)
	}
	leaks("/readyz", body)
	r := s.Do(t, "GET", "/api/v1/namespaces/default/pods/web", nil)
	if r.Code != http.StatusInternalServerError {
		t.Fatalf("get with the database gone: %d %s", r.Code, r.Body)
	}
	leaks(fmt.Sprintf("a %d", r.Code), string(r.Body))
}
