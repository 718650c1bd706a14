// Package app wires minik8s's components into runnable roles from one
// configuration: it opens the store, the watch bus and the token file, and
// builds each component with its own part of the configuration. main.go
// and the end-to-end tests both start roles through it.
package app
