// Command testapp is the program inside the image the runtime tests run
// (minik8s/testapp:1, FROM scratch). Built with CGO_ENABLED=0 it needs
// nothing from the image. It does what its flags say, in this order:
//
//	-print LINE      write LINE to stdout (repeatable)
//	-stderr LINE     write LINE to stderr (repeatable)
//	-env NAME        write "NAME=<value of $NAME>" to stdout (repeatable)
//	-wd              write "wd=<working directory>" to stdout
//	-listen ADDR     serve HTTP on ADDR: 200 "ok" on every path but
//	                 /stream ("tick" lines every 50ms until the client
//	                 goes) and /redirect (302 to /target) (default
//	                 ":8080"; "" serves nothing)
//	-exit CODE       exit with CODE after -after (default -1: run until
//	                 signalled)
//	-after DURATION  delay before -exit (default 0)
//	-ignore-term     ignore SIGTERM, so only SIGKILL stops it
//
// SIGTERM and SIGINT make it exit 0 at once, unless -ignore-term; its
// signal handling is in place before it writes its first line. It
// writes nothing besides what the flags ask for, so tests can compare its
// logs line by line.
package main

import (
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"
)

type lines []string

func (l *lines) String() string     { return fmt.Sprint(*l) }
func (l *lines) Set(s string) error { *l = append(*l, s); return nil }

func main() {
	var stdout, stderr, env lines
	flag.Var(&stdout, "print", "write `line` to stdout (repeatable)")
	flag.Var(&stderr, "stderr", "write `line` to stderr (repeatable)")
	flag.Var(&env, "env", "write NAME=value of the environment variable `name` (repeatable)")
	wd := flag.Bool("wd", false, "write the working directory")
	listen := flag.String("listen", ":8080", "serve HTTP on `addr` (\"\": no server)")
	exit := flag.Int("exit", -1, "exit with `code` after -after (-1: never)")
	after := flag.Duration("after", 0, "delay before -exit")
	ignoreTerm := flag.Bool("ignore-term", false, "ignore SIGTERM")
	flag.Parse()

	// Signals first: once a line is out, a test may stop the container.
	// (As PID 1, a SIGTERM before this makes Go's runtime exit 2.)
	sigs := make(chan os.Signal, 1)
	if *ignoreTerm {
		signal.Ignore(syscall.SIGTERM)
		signal.Notify(sigs, os.Interrupt)
	} else {
		signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	}

	for _, l := range stdout {
		fmt.Println(l)
	}
	for _, l := range stderr {
		fmt.Fprintln(os.Stderr, l)
	}
	for _, name := range env {
		fmt.Printf("%s=%s\n", name, os.Getenv(name))
	}
	if *wd {
		dir, err := os.Getwd()
		if err != nil {
			dir = "error: " + err.Error()
		}
		fmt.Printf("wd=%s\n", dir)
	}

	if *listen != "" {
		go func() {
			err := http.ListenAndServe(*listen, http.HandlerFunc(serve))
			fmt.Fprintln(os.Stderr, "listen:", err)
			os.Exit(2)
		}()
	}

	var exitAfter <-chan time.Time
	if *exit >= 0 {
		exitAfter = time.After(*after)
	}
	select {
	case <-sigs:
		os.Exit(0)
	case <-exitAfter:
		os.Exit(*exit)
	}
}

func serve(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/stream":
		for {
			if _, err := fmt.Fprintln(w, "tick"); err != nil {
				return
			}
			if err := http.NewResponseController(w).Flush(); err != nil {
				return
			}
			select {
			case <-r.Context().Done():
				return
			case <-time.After(50 * time.Millisecond):
			}
		}
	case "/redirect":
		http.Redirect(w, r, "/target", http.StatusFound)
	default:
		fmt.Fprintln(w, "ok")
	}
}
