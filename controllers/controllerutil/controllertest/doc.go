// Package controllertest helps the controllers' integration tests: it
// starts the shared informers a controller manager would, and stands in
// for the kubelets that do not exist yet by marking every pod Running and
// Ready.
package controllertest
