package runtimetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/internal/syncbuf"
	"github.com/minik8s/minik8s/kubelet/runtime"
	"github.com/minik8s/minik8s/kubelet/sim"
)

// TestAppImage is the tag tests give the image that runs testapp.
const TestAppImage = "minik8s/testapp:1"

// TestAppDockerfile builds TestAppImage from a context holding the testapp
// binary (see BuildTestApp) as "testapp".
const TestAppDockerfile = "FROM scratch\nCOPY testapp /testapp\nENTRYPOINT [\"/testapp\"]\n"

// BuildTestApp compiles ./testapp as a static binary (CGO_ENABLED=0) into a
// temporary directory and returns its path. It needs the go command.
func BuildTestApp(t testing.TB) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "testapp")
	cmd := exec.Command("go", "build", "-o", bin, "github.com/minik8s/minik8s/kubelet/runtimetest/testapp")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build testapp: %v\n%s", err, out)
	}
	return bin
}

// timeout bounds every wait of the suite.
const timeout = 30 * time.Second

// Run runs the suite. image names an image that runs testapp and is
// present on the runtime's engine (the simulated runtime ignores it).
// newRuntime returns a Runtime for the calling (sub)test; called again by
// the same test it must return a Runtime over the same engine, as a
// restarted kubelet would get. Subtests run in parallel and remove the
// pods they create.
func Run(t *testing.T, image string, newRuntime func(t *testing.T) runtime.Runtime) {
	s := suite{image: image, newRuntime: newRuntime}
	for _, tc := range []struct {
		name string
		run  func(*testing.T)
	}{
		{"Info", s.testInfo},
		{"RunningWithIP", s.testRunningWithIP},
		{"ExitCode", s.testExitCode},
		{"StopGraceful", s.testStopGraceful},
		{"StopKillsAfterGrace", s.testStopKillsAfterGrace},
		{"Logs", s.testLogs},
		{"LogsFollow", s.testLogsFollow},
		{"RestartKeepsPrevious", s.testRestartKeepsPrevious},
		{"ListAfterRestart", s.testListAfterRestart},
		{"RemovePod", s.testRemovePod},
		{"ImageErrors", s.testImageErrors},
		{"RunError", s.testRunError},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.run(t)
		})
	}
}

type suite struct {
	image      string
	newRuntime func(t *testing.T) runtime.Runtime
}

// behaviour is what the suite asks of a container.
type behaviour struct {
	print      []string      // lines it writes
	exit       int           // exit code; -1: runs until stopped
	after      time.Duration // delay before exit
	ignoreTerm bool          // only SIGKILL stops it
}

func runs(print ...string) behaviour { return behaviour{print: print, exit: -1} }

// pod returns a pod with one container "app" doing b, both as testapp
// arguments and as sim annotations. The pod is removed when t ends.
func (s *suite) pod(t *testing.T, rt runtime.Runtime, b behaviour) (*api.Pod, *api.Container) {
	t.Helper()
	args := []string{"-listen="}
	ann := map[string]string{}
	for _, l := range b.print {
		args = append(args, "-print="+l)
	}
	if len(b.print) > 0 {
		ann[sim.AnnotationLog] = strings.Join(b.print, "\n")
	}
	if b.exit >= 0 {
		args = append(args, "-exit="+strconv.Itoa(b.exit), "-after="+b.after.String())
		ann[sim.AnnotationExitCode] = strconv.Itoa(b.exit)
		ann[sim.AnnotationExitAfter] = b.after.String()
	}
	if b.ignoreTerm {
		args = append(args, "-ignore-term")
		ann[sim.AnnotationIgnoreSIGTERM] = "true"
	}
	uid := uuid.NewString()
	p := &api.Pod{
		ObjectMeta: api.ObjectMeta{
			Namespace: "runtimetest", Name: "p-" + uid[:8], UID: uid, Annotations: ann,
		},
		Spec: api.PodSpec{Containers: []api.Container{{
			Name: "app", Image: s.image, ImagePullPolicy: api.PullIfNotPresent, Args: args,
		}}},
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		if err := rt.RemovePod(ctx, uid); err != nil {
			t.Errorf("cleanup: remove pod: %v", err)
		}
	})
	return p, &p.Spec.Containers[0]
}

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	t.Cleanup(cancel)
	return ctx
}

// start ensures the pod's sandbox and starts c as attempt.
func start(t *testing.T, ctx context.Context, rt runtime.Runtime, p *api.Pod, c *api.Container, attempt int) (runtime.Sandbox, string) {
	t.Helper()
	sb, err := rt.EnsureSandbox(ctx, p)
	if err != nil {
		t.Fatalf("EnsureSandbox: %v", err)
	}
	id, err := rt.StartContainer(ctx, p, c, nil, sb.ID, attempt)
	if err != nil {
		t.Fatalf("StartContainer(attempt %d): %v", attempt, err)
	}
	return sb, id
}

// waitFor polls the pod's status until the latest instance of container
// "app" satisfies cond, and returns that status.
func waitFor(t *testing.T, ctx context.Context, rt runtime.Runtime, uid, what string, cond func(*runtime.ContainerStatus) bool) runtime.PodStatus {
	t.Helper()
	var last runtime.PodStatus
	for {
		st, err := rt.PodStatus(ctx, uid)
		if err != nil {
			t.Fatalf("PodStatus: %v", err)
		}
		if c := st.Latest("app"); c != nil && cond(c) {
			return st
		}
		last = st
		select {
		case <-ctx.Done():
			t.Fatalf("timed out waiting for %s; last status %+v", what, last)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func isRunning(c *runtime.ContainerStatus) bool { return c.State == runtime.StateRunning }
func isExited(c *runtime.ContainerStatus) bool  { return c.State == runtime.StateExited }

func exitedAttempt(n int) func(*runtime.ContainerStatus) bool {
	return func(c *runtime.ContainerStatus) bool { return c.Attempt == n && isExited(c) }
}

func logs(t *testing.T, ctx context.Context, rt runtime.Runtime, uid string, opts runtime.LogOptions) string {
	t.Helper()
	var buf bytes.Buffer
	if err := rt.Logs(ctx, uid, "app", opts, &buf); err != nil {
		t.Fatalf("Logs(%+v): %v", opts, err)
	}
	return buf.String()
}

// waitLogs polls Logs until they equal want: a runtime may store output a
// little after the process wrote it.
func waitLogs(t *testing.T, ctx context.Context, rt runtime.Runtime, uid, want string) {
	t.Helper()
	for {
		got := logs(t, ctx, rt, uid, runtime.LogOptions{})
		if got == want {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("logs = %q, want %q", got, want)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func (s *suite) testInfo(t *testing.T) {
	info, err := s.newRuntime(t).Info(testContext(t))
	if err != nil {
		t.Fatalf("Info: %v", err)
	}
	if !strings.Contains(info.RuntimeVersion, "://") {
		t.Errorf("RuntimeVersion = %q, want type://version", info.RuntimeVersion)
	}
	if cpu := info.Capacity.Cpu(); cpu.Sign() <= 0 {
		t.Errorf("cpu capacity = %v, want > 0", cpu)
	}
	if mem := info.Capacity.Memory(); mem.Value() < 1<<20 {
		t.Errorf("memory capacity = %v, want at least 1Mi", mem)
	}
}

func (s *suite) testRunningWithIP(t *testing.T) {
	ctx, rt := testContext(t), s.newRuntime(t)
	before := time.Now().Add(-time.Second) // engine clocks have second precision at worst
	p, c := s.pod(t, rt, runs("hello"))
	sb, id := start(t, ctx, rt, p, c, 0)
	if sb.ID == "" {
		t.Fatal("sandbox has no ID")
	}
	if _, err := netip.ParseAddr(sb.IP); err != nil {
		t.Fatalf("sandbox IP %q: %v", sb.IP, err)
	}
	if again, err := rt.EnsureSandbox(ctx, p); err != nil || again != sb {
		t.Errorf("EnsureSandbox again = %+v, %v; want %+v", again, err, sb)
	}

	st := waitFor(t, ctx, rt, p.UID, "running", isRunning)
	if st.UID != p.UID || st.Namespace != p.Namespace || st.Name != p.Name {
		t.Errorf("pod identity = %s %s/%s, want %s %s/%s", st.UID, st.Namespace, st.Name, p.UID, p.Namespace, p.Name)
	}
	if st.SandboxID != sb.ID || !st.SandboxReady || st.IP != sb.IP {
		t.Errorf("sandbox = %q ready=%v ip=%q, want %q ready ip %q", st.SandboxID, st.SandboxReady, st.IP, sb.ID, sb.IP)
	}
	got := st.Latest("app")
	if got.ID != id || got.Attempt != 0 || got.Image != s.image || got.ImageID == "" {
		t.Errorf("container = %+v, want ID %q, attempt 0, image %q and an image ID", got, id, s.image)
	}
	if got.CreatedAt.Before(before) || got.StartedAt.Before(before) || !got.FinishedAt.IsZero() {
		t.Errorf("times created=%v started=%v finished=%v, want created and started after %v, not finished",
			got.CreatedAt, got.StartedAt, got.FinishedAt, before)
	}
	if len(st.Containers) != 1 {
		t.Errorf("%d container instances, want 1", len(st.Containers))
	}

	p2, c2 := s.pod(t, rt, runs())
	sb2, _ := start(t, ctx, rt, p2, c2, 0)
	if sb2.IP == sb.IP || sb2.ID == sb.ID {
		t.Errorf("two pods share sandbox %q or IP %q", sb.ID, sb.IP)
	}
}

func (s *suite) testExitCode(t *testing.T) {
	ctx, rt := testContext(t), s.newRuntime(t)
	for _, tt := range []struct {
		code   int
		reason string
	}{{3, runtime.ReasonError}, {0, runtime.ReasonCompleted}} {
		p, c := s.pod(t, rt, behaviour{exit: tt.code})
		start(t, ctx, rt, p, c, 0)
		st := waitFor(t, ctx, rt, p.UID, "exit", isExited)
		got := st.Latest("app")
		if got.ExitCode != tt.code || got.Reason != tt.reason {
			t.Errorf("exited with %d (%s), want %d (%s)", got.ExitCode, got.Reason, tt.code, tt.reason)
		}
		if got.StartedAt.IsZero() || got.FinishedAt.Before(got.StartedAt) {
			t.Errorf("started %v, finished %v: want finished after started", got.StartedAt, got.FinishedAt)
		}
	}
}

func (s *suite) testStopGraceful(t *testing.T) {
	ctx, rt := testContext(t), s.newRuntime(t)
	p, c := s.pod(t, rt, runs("up"))
	_, id := start(t, ctx, rt, p, c, 0)
	waitFor(t, ctx, rt, p.UID, "running", isRunning)
	waitLogs(t, ctx, rt, p.UID, "up\n") // its SIGTERM handler is in place

	begin := time.Now()
	if err := rt.StopContainer(ctx, id, 20*time.Second); err != nil {
		t.Fatalf("StopContainer: %v", err)
	}
	if d := time.Since(begin); d > 10*time.Second {
		t.Errorf("StopContainer took %v: SIGTERM was not delivered", d)
	}
	st, err := rt.PodStatus(ctx, p.UID)
	if err != nil {
		t.Fatal(err)
	}
	if got := st.Latest("app"); got.State != runtime.StateExited || got.ExitCode != 0 {
		t.Errorf("after stop: %s, exit code %d; want exited with 0", got.State, got.ExitCode)
	}
	if err := rt.StopContainer(ctx, id, time.Second); err != nil {
		t.Errorf("StopContainer of an exited container: %v", err)
	}
}

func (s *suite) testStopKillsAfterGrace(t *testing.T) {
	ctx, rt := testContext(t), s.newRuntime(t)
	b := runs("up")
	b.ignoreTerm = true
	p, c := s.pod(t, rt, b)
	_, id := start(t, ctx, rt, p, c, 0)
	waitFor(t, ctx, rt, p.UID, "running", isRunning)
	waitLogs(t, ctx, rt, p.UID, "up\n") // it ignores SIGTERM now

	begin := time.Now()
	if err := rt.StopContainer(ctx, id, time.Second); err != nil {
		t.Fatalf("StopContainer: %v", err)
	}
	if d := time.Since(begin); d < 900*time.Millisecond {
		t.Errorf("StopContainer returned after %v, before the 1s grace period", d)
	}
	st, err := rt.PodStatus(ctx, p.UID)
	if err != nil {
		t.Fatal(err)
	}
	if got := st.Latest("app"); got.State != runtime.StateExited || got.ExitCode != 137 {
		t.Errorf("after stop: %s, exit code %d; want exited with 137 (SIGKILL)", got.State, got.ExitCode)
	}
}

func (s *suite) testLogs(t *testing.T) {
	ctx, rt := testContext(t), s.newRuntime(t)
	p, c := s.pod(t, rt, runs("one", "two", "three"))
	start(t, ctx, rt, p, c, 0)
	waitFor(t, ctx, rt, p.UID, "running", isRunning)
	waitLogs(t, ctx, rt, p.UID, "one\ntwo\nthree\n")

	one := int64(1)
	if got := logs(t, ctx, rt, p.UID, runtime.LogOptions{TailLines: &one}); got != "three\n" {
		t.Errorf("TailLines 1: %q, want %q", got, "three\n")
	}
	if got := logs(t, ctx, rt, p.UID, runtime.LogOptions{Since: time.Now().Add(time.Hour)}); got != "" {
		t.Errorf("Since an hour ahead: %q, want nothing", got)
	}
	stamped := logs(t, ctx, rt, p.UID, runtime.LogOptions{Timestamps: true})
	lines := strings.Split(strings.TrimSuffix(stamped, "\n"), "\n")
	if len(lines) != 3 {
		t.Fatalf("Timestamps: %q, want 3 lines", stamped)
	}
	for i, l := range lines {
		ts, text, _ := strings.Cut(l, " ")
		if _, err := time.Parse(time.RFC3339Nano, ts); err != nil || text != []string{"one", "two", "three"}[i] {
			t.Errorf("Timestamps line %q: want an RFC 3339 time and the line (%v)", l, err)
		}
	}

	var buf bytes.Buffer
	if err := rt.Logs(ctx, p.UID, "app", runtime.LogOptions{Previous: true}, &buf); !errors.Is(err, runtime.ErrNotFound) {
		t.Errorf("Previous without a previous container: %v, want ErrNotFound", err)
	}
	if err := rt.Logs(ctx, p.UID, "nope", runtime.LogOptions{}, &buf); !errors.Is(err, runtime.ErrNotFound) {
		t.Errorf("unknown container: %v, want ErrNotFound", err)
	}
}

func (s *suite) testLogsFollow(t *testing.T) {
	ctx, rt := testContext(t), s.newRuntime(t)

	// Follow returns once the container exits.
	p, c := s.pod(t, rt, behaviour{print: []string{"bye"}, exit: 0, after: 1500 * time.Millisecond})
	start(t, ctx, rt, p, c, 0)
	waitFor(t, ctx, rt, p.UID, "running", isRunning)
	if got := logs(t, ctx, rt, p.UID, runtime.LogOptions{Follow: true}); got != "bye\n" {
		t.Errorf("Follow: %q, want %q", got, "bye\n")
	}
	if st, _ := rt.PodStatus(ctx, p.UID); st.Latest("app").State != runtime.StateExited {
		t.Errorf("Follow returned while the container was %s", st.Latest("app").State)
	}

	// Follow of a running container returns nil when ctx ends.
	p2, c2 := s.pod(t, rt, runs("still here"))
	start(t, ctx, rt, p2, c2, 0)
	waitFor(t, ctx, rt, p2.UID, "running", isRunning)
	waitLogs(t, ctx, rt, p2.UID, "still here\n")
	fctx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
	defer cancel()
	var buf syncbuf.Buffer
	if err := rt.Logs(fctx, p2.UID, "app", runtime.LogOptions{Follow: true}, &buf); err != nil {
		t.Errorf("Follow ended by its context: %v, want nil", err)
	}
	if got := buf.String(); got != "still here\n" {
		t.Errorf("Follow: %q, want %q", got, "still here\n")
	}
}

func (s *suite) testRestartKeepsPrevious(t *testing.T) {
	ctx, rt := testContext(t), s.newRuntime(t)
	p, c := s.pod(t, rt, behaviour{print: []string{"run"}, exit: 1})
	sb, _ := start(t, ctx, rt, p, c, 0)
	var stamped []string // each attempt's timestamped logs tell the attempts apart
	for attempt := 0; attempt < 3; attempt++ {
		if attempt > 0 {
			if _, err := rt.StartContainer(ctx, p, c, nil, sb.ID, attempt); err != nil {
				t.Fatalf("StartContainer(attempt %d): %v", attempt, err)
			}
		}
		waitFor(t, ctx, rt, p.UID, fmt.Sprintf("attempt %d to exit", attempt), exitedAttempt(attempt))
		waitLogs(t, ctx, rt, p.UID, "run\n")
		stamped = append(stamped, logs(t, ctx, rt, p.UID, runtime.LogOptions{Timestamps: true}))
	}

	st, err := rt.PodStatus(ctx, p.UID)
	if err != nil {
		t.Fatal(err)
	}
	var attempts []int
	for _, ct := range st.Containers {
		attempts = append(attempts, ct.Attempt)
	}
	if fmt.Sprint(attempts) != "[2 1]" {
		t.Errorf("instances kept: attempts %v, want [2 1] (latest and previous)", attempts)
	}
	if prev := st.Previous("app"); prev == nil || prev.ExitCode != 1 {
		t.Errorf("previous instance = %+v, want attempt 1 exited with 1", prev)
	}
	if got := logs(t, ctx, rt, p.UID, runtime.LogOptions{Previous: true, Timestamps: true}); got != stamped[1] {
		t.Errorf("Previous logs = %q, want attempt 1's %q", got, stamped[1])
	}
	if got := logs(t, ctx, rt, p.UID, runtime.LogOptions{Timestamps: true}); got != stamped[2] {
		t.Errorf("latest logs = %q, want attempt 2's %q", got, stamped[2])
	}
}

func (s *suite) testListAfterRestart(t *testing.T) {
	ctx, rt := testContext(t), s.newRuntime(t)
	p, c := s.pod(t, rt, runs())
	sb, id := start(t, ctx, rt, p, c, 0)
	waitFor(t, ctx, rt, p.UID, "running", isRunning)

	restarted := s.newRuntime(t)
	pods, err := restarted.ListPods(ctx)
	if err != nil {
		t.Fatalf("ListPods: %v", err)
	}
	var found *runtime.PodStatus
	for i := range pods {
		if pods[i].UID == p.UID {
			found = &pods[i]
		}
	}
	if found == nil {
		t.Fatalf("ListPods after restart: pod %s missing from %d pods", p.UID, len(pods))
	}
	if found.Namespace != p.Namespace || found.Name != p.Name || found.SandboxID != sb.ID || found.IP != sb.IP {
		t.Errorf("pod after restart = %+v, want %s/%s sandbox %s ip %s", found, p.Namespace, p.Name, sb.ID, sb.IP)
	}
	if got := found.Latest("app"); got == nil || got.ID != id || got.State != runtime.StateRunning {
		t.Errorf("container after restart = %+v, want %s running", got, id)
	}
	if again, err := restarted.EnsureSandbox(ctx, p); err != nil || again != sb {
		t.Errorf("EnsureSandbox after restart = %+v, %v; want the same sandbox %+v", again, err, sb)
	}
	if err := restarted.StopContainer(ctx, id, 10*time.Second); err != nil {
		t.Errorf("StopContainer after restart: %v", err)
	}
}

func (s *suite) testRemovePod(t *testing.T) {
	ctx, rt := testContext(t), s.newRuntime(t)
	p, c := s.pod(t, rt, behaviour{exit: 0})
	sb, _ := start(t, ctx, rt, p, c, 0)
	waitFor(t, ctx, rt, p.UID, "exit", isExited)
	if _, err := rt.StartContainer(ctx, p, c, nil, sb.ID, 1); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ { // the second time there is nothing to remove
		if err := rt.RemovePod(ctx, p.UID); err != nil {
			t.Fatalf("RemovePod #%d: %v", i+1, err)
		}
	}
	st, err := rt.PodStatus(ctx, p.UID)
	if err != nil {
		t.Fatal(err)
	}
	if st.SandboxID != "" || len(st.Containers) != 0 || st.IP != "" {
		t.Errorf("after RemovePod: %+v, want nothing", st)
	}
	pods, err := rt.ListPods(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, ps := range pods {
		if ps.UID == p.UID {
			t.Errorf("ListPods still has the removed pod: %+v", ps)
		}
	}
	if err := rt.Logs(ctx, p.UID, "app", runtime.LogOptions{}, &bytes.Buffer{}); !errors.Is(err, runtime.ErrNotFound) {
		t.Errorf("Logs of a removed pod: %v, want ErrNotFound", err)
	}
}

func (s *suite) testImageErrors(t *testing.T) {
	ctx, rt := testContext(t), s.newRuntime(t)
	for _, tt := range []struct {
		policy api.PullPolicy
		want   error
	}{{api.PullNever, runtime.ErrImageNeverPull}, {api.PullIfNotPresent, runtime.ErrImagePull}} {
		p, c := s.pod(t, rt, runs())
		// Nothing listens on port 1, so a pull fails at once.
		c.Image, c.ImagePullPolicy = "127.0.0.1:1/minik8s/absent:1", tt.policy
		p.Annotations[sim.AnnotationImageAbsent] = "true"
		sb, err := rt.EnsureSandbox(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		_, err = rt.StartContainer(ctx, p, c, nil, sb.ID, 0)
		if !errors.Is(err, tt.want) {
			t.Errorf("policy %s: StartContainer error %v, want %v", tt.policy, err, tt.want)
		}
		if tt.want != runtime.ErrImagePull || err == nil {
			continue
		}
		// The message names the image once, then the runtime's reason,
		// which is what the kubelet's event shows after the image.
		msg := err.Error()
		if want := "pull image " + c.Image + ": "; !strings.HasPrefix(msg, want) || strings.Count(msg, "pull image") != 1 {
			t.Errorf("pull error %q: want %q once, then the reason", msg, want)
		}
		if reason := runtime.PullReason(err).Error(); "pull image "+c.Image+": "+reason != msg {
			t.Errorf("PullReason = %q, want the reason of %q", reason, msg)
		}
	}
}

func (s *suite) testRunError(t *testing.T) {
	ctx, rt := testContext(t), s.newRuntime(t)
	p, c := s.pod(t, rt, runs())
	c.Command = []string{"/no/such/program"}
	p.Annotations[sim.AnnotationFailStart] = "true"
	sb, err := rt.EnsureSandbox(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rt.StartContainer(ctx, p, c, nil, sb.ID, 0); !errors.Is(err, runtime.ErrRunContainer) {
		t.Fatalf("StartContainer error %v, want ErrRunContainer", err)
	}
	st, err := rt.PodStatus(ctx, p.UID)
	if err != nil {
		t.Fatal(err)
	}
	got := st.Latest("app")
	if got == nil || got.State != runtime.StateExited || got.ExitCode == 0 || got.Reason != runtime.ReasonContainerCannotRun {
		t.Errorf("failed attempt = %+v, want exited, non-zero, %s", got, runtime.ReasonContainerCannotRun)
	}
}
