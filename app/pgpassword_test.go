package app_test

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/rs/zerolog"

	"github.com/minik8s/minik8s/app"
	"github.com/minik8s/minik8s/internal/testenv"
)

// A Postgres URL without a password takes it from PGPASSWORD, so that the
// password need not be in the URL (nor in ps).
func TestStorePasswordFromPGPASSWORD(t *testing.T) {
	dsn := testenv.Postgres(t)
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	pw, ok := u.User.Password()
	if !ok {
		t.Fatalf("MINIK8S_TEST_POSTGRES has no password to move to PGPASSWORD: give the test database a password (make test does)")
	}
	u.User = url.User(u.User.Username())
	for _, tt := range []struct {
		name, password string
		ok             bool
	}{
		{"right password", pw, true},
		{"wrong password", pw + "-wrong", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("PGPASSWORD", tt.password)
			t.Setenv("PGPASSFILE", "/nonexistent")
			cfg := app.Default()
			cfg.DataDir = t.TempDir()
			cfg.Store = u.String()
			cfg.APIServer.Listen = "127.0.0.1:0"
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			a, err := app.NewAPIServer(ctx, cfg, zerolog.Nop())
			if tt.ok {
				if err != nil {
					t.Fatalf("open %s with PGPASSWORD: %v", u.Redacted(), err)
				}
				done := make(chan error, 1)
				go func() { done <- a.Run(ctx) }()
				cancel()
				<-done
				return
			}
			if err == nil || !strings.Contains(err.Error(), "password") {
				t.Fatalf("open with a wrong PGPASSWORD: %v, want a password error", err)
			}
		})
	}
}
