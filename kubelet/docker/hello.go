package docker

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

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
		if err := Hello(); err != nil {
			fmt.Fprintln(os.Stderr, "hello:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
}

// Hello serves "hello from <hostname>" on $PORT (8080) and logs every
// request to stdout, so that kubectl logs has something to show, until
// SIGTERM or SIGINT.
func Hello() error {
	port := os.Getenv("PORT")
	if port == "" {
		port = "8080"
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
	go func() {
		<-ctx.Done()
		fmt.Println("stopping")
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	fmt.Printf("hello from %s: listening on :%s\n", host, port)
	if err := srv.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// EnsureDemoImage builds DemoImage from the running executable unless the
// engine has it already.
func (r *Runtime) EnsureDemoImage(ctx context.Context) error {
	return r.buildFromExecutable(ctx, DemoImage, helloDockerfile, "hello")
}
