// Command podprobe runs in a container of the Docker pod-config test
// (pods_docker_test.go), built FROM scratch with CGO_ENABLED=0.
//
//	podprobe list           lists the pods of its namespace through
//	                        rest.InClusterConfig and prints "pods: a,b,..."
//	podprobe show FILE VAR  prints "file=<FILE's content> env=<$VAR>" at
//	                        start and whenever the file changes, until killed
package main

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: podprobe list | show FILE VAR")
		os.Exit(2)
	}
	switch os.Args[1] {
	case "list":
		if err := list(); err != nil {
			fmt.Println("error:", err)
			os.Exit(1)
		}
	case "show":
		show(os.Args[2], os.Args[3])
	}
}

func list() error {
	cfg, err := rest.InClusterConfig()
	if err != nil {
		return err
	}
	ns, err := os.ReadFile("/var/run/secrets/kubernetes.io/serviceaccount/namespace")
	if err != nil {
		return err
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	pods, err := cs.CoreV1().Pods(string(ns)).List(ctx, metav1.ListOptions{})
	if err != nil {
		return err
	}
	var names []string
	for _, p := range pods.Items {
		names = append(names, p.Name)
	}
	slices.Sort(names)
	fmt.Printf("host %s: pods: %s\n", cfg.Host, strings.Join(names, ","))
	return nil
}

func show(file, env string) {
	last := "\x00"
	for {
		b, err := os.ReadFile(file)
		content := string(b)
		if err != nil {
			content = "<" + err.Error() + ">"
		}
		if content != last {
			fmt.Printf("file=%s env=%s\n", content, os.Getenv(env))
			last = content
		}
		time.Sleep(200 * time.Millisecond)
	}
}
