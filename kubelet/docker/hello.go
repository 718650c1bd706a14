package docker

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/rs/zerolog"

	"github.com/minik8s/minik8s/internal/logging"
)

// DemoImage is a tiny web server built locally from the running executable
// (there is no registry to pull nginx from): what `minik8s all` suggests
// to deploy when its nodes run Docker.
const DemoImage = "minik8s/hello:1"

// helloEnv, set to "1" in the demo image, turns any executable linking
// this package into the demo web server (as pauseEnv does for the pause
// process).
const helloEnv = "MINIK8S_HELLO"

const helloDockerfile = "FROM scratch\nCOPY hello /hello\nENV " + helloEnv + "=1\nEXPOSE 8080\nENTRYPOINT [\"/hello\"]\n"

func init() {
	if os.Getenv(helloEnv) == "1" {
		err := Hello()
		var code ExitCode
		if errors.As(err, &code) {
			os.Exit(int(code))
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "hello:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
}

// ExitCode is the error of Hello when EXIT_AFTER made it exit: the code
// to exit with.
type ExitCode int

func (c ExitCode) Error() string { return fmt.Sprintf("exit code %d", int(c)) }

// Hello serves "hello from <hostname>" on $PORT (8080) and logs every
// request to stdout, so that kubectl logs has something to show, until
// SIGTERM or SIGINT. With EXIT_AFTER set to a duration it stops after
// that long with ExitCode EXIT_CODE (default 1), so that the same image
// also makes a crashing container (examples/crashing-pod.yaml).
//
// As `hello get URL...` (a pod's command, or kubectl exec) it is instead a
// tiny HTTP client: it prints each URL's body and exits, 1 on the first
// failure, so that a pod can reach Services by cluster IP and DNS name
// without a shell or curl in the image.
func Hello() error {
	if len(os.Args) > 2 && os.Args[1] == "get" {
		return helloGet(os.Stdout, os.Args[2:])
	}
	port := os.Getenv("PORT")
	if port == "" {
		port = "8080"
	}
	exitAfter, exitCode, err := helloExit(os.Getenv("EXIT_AFTER"), os.Getenv("EXIT_CODE"))
	if err != nil {
		return err
	}
	host, _ := os.Hostname()
	srv := &http.Server{Addr: ":" + port, ReadHeaderTimeout: 5 * time.Second,
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			fmt.Printf("%s %s %s from %s\n", time.Now().UTC().Format(time.RFC3339), r.Method, r.URL.Path, r.RemoteAddr)
			fmt.Fprintf(w, "hello from %s\n", host)
		}),
		ErrorLog: logging.ErrorLog(zerolog.New(os.Stdout).With().Timestamp().Logger())}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	var exited ExitCode // set before done is closed
	done := make(chan struct{})
	if exitAfter > 0 {
		ctx, stop = context.WithTimeout(ctx, exitAfter)
		defer stop()
	}
	go func() {
		<-ctx.Done()
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			fmt.Printf("exiting with code %d after %s, as EXIT_AFTER and EXIT_CODE say\n", exitCode, exitAfter)
			exited = ExitCode(exitCode)
		} else {
			fmt.Println("stopping")
		}
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
		close(done)
	}()
	fmt.Printf("hello from %s: listening on :%s\n", host, port)
	if err := srv.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	<-done
	if exited != 0 {
		return exited
	}
	return nil
}

// helloGet GETs each URL and writes its body to w.
func helloGet(w io.Writer, urls []string) error {
	c := &http.Client{Timeout: 10 * time.Second}
	for _, u := range urls {
		resp, err := c.Get(u)
		if err != nil {
			return err
		}
		_, err = io.Copy(w, resp.Body)
		resp.Body.Close()
		if err != nil {
			return err
		}
		if resp.StatusCode >= 400 {
			return fmt.Errorf("GET %s: %s", u, resp.Status)
		}
	}
	return nil
}

// helloExit reads EXIT_AFTER ("" for never) and EXIT_CODE ("" for 1).
func helloExit(after, code string) (time.Duration, int, error) {
	if after == "" {
		return 0, 0, nil
	}
	d, err := time.ParseDuration(after)
	if err != nil || d <= 0 {
		return 0, 0, fmt.Errorf("EXIT_AFTER %q: want a positive duration such as 2s", after)
	}
	if code == "" {
		return d, 1, nil
	}
	n, err := strconv.Atoi(code)
	if err != nil || n < 0 || n > 255 {
		return 0, 0, fmt.Errorf("EXIT_CODE %q: want 0 to 255", code)
	}
	return d, n, nil
}

// EnsureDemoImage builds DemoImage from the running executable unless the
// engine has one built since the executable changed (so that a new
// minik8s brings what its demo image does, such as EXIT_AFTER).
func (r *Runtime) EnsureDemoImage(ctx context.Context) error {
	res, err := r.cli.ImageInspect(ctx, DemoImage)
	switch {
	case cerrdefs.IsNotFound(err):
	case err != nil:
		return fmt.Errorf("build %s: inspect: %w", DemoImage, err)
	default:
		exe, err := os.Executable()
		if err != nil {
			return fmt.Errorf("build %s: %w", DemoImage, err)
		}
		if !imageOlderThan(res.Created, exe) {
			return nil
		}
		r.log.Info().Str("image", DemoImage).Msg("the demo image is older than this executable: rebuilding it")
	}
	return r.buildExecutableImage(ctx, DemoImage, helloDockerfile, "hello")
}

// imageOlderThan reports whether an image created at created (RFC 3339)
// is older than the file at path; false when either is unknown.
func imageOlderThan(created, path string) bool {
	t, err := time.Parse(time.RFC3339Nano, created)
	if err != nil {
		return false
	}
	fi, err := os.Stat(path)
	return err == nil && fi.ModTime().After(t)
}
