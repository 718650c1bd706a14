package bench

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// CreateDatabase creates an empty database on the Postgres server of
// Env.Postgres and returns its URL; it is dropped when the scenario ends.
func (e *Env) CreateDatabase(ctx context.Context) (string, error) {
	b := make([]byte, 5)
	_, _ = rand.Read(b)
	name := "bench_" + hex.EncodeToString(b)
	if err := adminExec(ctx, e.Postgres, "CREATE DATABASE "+name); err != nil {
		return "", fmt.Errorf("create database: %w", err)
	}
	e.onCleanup(func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := adminExec(ctx, e.Postgres, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			return fmt.Errorf("drop database %s: %w", name, err)
		}
		return nil
	})
	u, err := url.Parse(e.Postgres)
	if err != nil {
		return "", fmt.Errorf("parse postgres url: %w", err)
	}
	u.Path = "/" + name
	return u.String(), nil
}

// adminExec runs one statement on the database of dsn.
func adminExec(ctx context.Context, dsn, stmt string) error {
	db, err := gorm.Open(postgres.Open(dsn), &gorm.Config{Logger: logger.Discard})
	if err != nil {
		return fmt.Errorf("connect to postgres: %w", err)
	}
	sqlDB, err := db.DB()
	if err != nil {
		return err
	}
	defer sqlDB.Close()
	return db.WithContext(ctx).Exec(stmt).Error
}

// postgresVersion is the server's version string, or why it is unknown.
func postgresVersion(ctx context.Context, dsn string) string {
	db, err := gorm.Open(postgres.Open(dsn), &gorm.Config{Logger: logger.Discard})
	if err != nil {
		return "unreachable: " + err.Error()
	}
	if sqlDB, err := db.DB(); err == nil {
		defer sqlDB.Close()
	}
	var v string
	if err := db.WithContext(ctx).Raw("SHOW server_version").Scan(&v).Error; err != nil {
		return "version unknown: " + err.Error()
	}
	return "server " + v
}

// Pgbench runs pgbench on a database of the same Postgres server.
type Pgbench struct {
	bin string
	env []string // PG* variables for the server and credentials
}

// NewPgbench finds pgbench (on PATH, else in /usr/lib/postgresql/*/bin)
// and prepares it to reach the server of Env.Postgres over TCP.
func (e *Env) NewPgbench() (*Pgbench, error) {
	bin, err := exec.LookPath("pgbench")
	if err != nil {
		m, _ := filepath.Glob("/usr/lib/postgresql/*/bin/pgbench")
		if len(m) == 0 {
			return nil, fmt.Errorf("find pgbench: not on PATH nor in /usr/lib/postgresql/*/bin")
		}
		bin = m[len(m)-1]
	}
	u, err := url.Parse(e.Postgres)
	if err != nil {
		return nil, fmt.Errorf("parse postgres url: %w", err)
	}
	env := append(os.Environ(), "PGHOST="+u.Hostname(), "PGUSER="+u.User.Username())
	if p := u.Port(); p != "" {
		env = append(env, "PGPORT="+p)
	}
	if pw, ok := u.User.Password(); ok {
		env = append(env, "PGPASSWORD="+pw)
	}
	// Talk to the server as the API servers do: with sslmode=disable in the
	// URL, TLS would make pgbench's figure unfairly low.
	if m := u.Query().Get("sslmode"); m != "" {
		env = append(env, "PGSSLMODE="+m)
	}
	return &Pgbench{bin: bin, env: env}, nil
}

// Init fills the database at dsn with pgbench's tables (scale 1).
func (p *Pgbench) Init(ctx context.Context, dsn string) error {
	_, err := p.run(ctx, "-i", "-q", "-s", "1", dbName(dsn))
	return err
}

// RunSimple runs pgbench's simple-update script (-N: one UPDATE, one
// SELECT and one INSERT per transaction, without the contended tellers and
// branches updates) with clients connections for d, and returns its TPS.
func (p *Pgbench) RunSimple(ctx context.Context, dsn string, clients int, d time.Duration) (float64, error) {
	n := strconv.Itoa(clients)
	secs := strconv.Itoa(max(1, int(d.Round(time.Second)/time.Second)))
	out, err := p.run(ctx, "-N", "-c", n, "-j", n, "-T", secs, dbName(dsn))
	if err != nil {
		return 0, err
	}
	return parseTPS(out)
}

func (p *Pgbench) run(ctx context.Context, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, p.bin, args...)
	cmd.Env = p.env
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("pgbench %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return string(out), nil
}

func dbName(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return ""
	}
	return strings.TrimPrefix(u.Path, "/")
}

var tpsLine = regexp.MustCompile(`(?m)^tps = ([0-9.]+)`)

// parseTPS reads the first "tps = N" line of pgbench's report.
func parseTPS(out string) (float64, error) {
	m := tpsLine.FindStringSubmatch(out)
	if m == nil {
		return 0, fmt.Errorf("no tps line in pgbench output: %q", out)
	}
	return strconv.ParseFloat(m[1], 64)
}

// redactURL hides a URL's password.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.User == nil {
		return s
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxx")
	}
	return u.String()
}
