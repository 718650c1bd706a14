// Package kubeconfig reads and writes kubeconfig files, the YAML that
// kubectl and client-go use to find a cluster and a credential.
//
// Only what minik8s needs is modelled: clusters (server, CA data,
// insecure-skip-tls-verify), users (bearer token or token file) and contexts
// (cluster, user, namespace). Files written by Write are accepted by the
// real kubectl. Loading ignores fields it does not know.
package kubeconfig
