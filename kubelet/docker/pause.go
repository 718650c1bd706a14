package docker

import (
	"os"
	"os/signal"
	"syscall"
)

// pauseEnv, set to "1" in the pause image, turns any executable linking
// this package into the sandbox's pause process.
const pauseEnv = "MINIK8S_PAUSE"

func init() {
	if os.Getenv(pauseEnv) == "1" {
		Pause()
		os.Exit(0)
	}
}

// Pause blocks until the process receives SIGTERM or SIGINT: the whole job
// of a pod sandbox's process, which only holds the pod's namespaces.
func Pause() {
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, os.Interrupt)
	<-sig
}
