// Package cmd is minik8s's command line (urfave/cli v2): subcommands,
// flags, and the one-way flow of configuration, defaults < config.yaml <
// MINIK8S_* environment < flags, into each role's own configuration.
package cmd
