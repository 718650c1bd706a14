package apiserver_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/minik8s/minik8s/internal/syncbuf"
	"github.com/minik8s/minik8s/internal/testenv"
)

// TestInternalErrorsDoNotLeak makes the store fail (its database dropped
// under the server) and checks that the client gets a generic 500, while
// the log has the detail, which names the database, its user and address.
func TestInternalErrorsDoNotLeak(t *testing.T) {
	t.Parallel()
	dsn := testenv.Postgres(t)
	var log syncbuf.Buffer
	s := testenv.StartAPIServer(t, testenv.Options{Store: dsn, Log: &log})
	expect(t, s.Do(t, "POST", "/api/v1/namespaces/default/pods", podJSON), http.StatusCreated)

	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	dbName := strings.TrimPrefix(u.Path, "/")
	admin := *u
	admin.Path = "/postgres"
	db, err := gorm.Open(postgres.Open(admin.String()), &gorm.Config{Logger: logger.Discard})
	if err != nil {
		t.Fatal(err)
	}
	if sqlDB, err := db.DB(); err == nil {
		defer sqlDB.Close()
	}
	if err := db.Exec("DROP DATABASE " + dbName + " WITH (FORCE)").Error; err != nil {
		t.Fatal(err)
	}

	// The first query fails as its connection is cut; the next ones fail
	// to connect, with errors that name the database and its user.
	deadline := time.Now().Add(10 * time.Second)
	for {
		r := s.Do(t, "GET", "/api/v1/namespaces/default/pods/web", nil)
		expectStatus(t, r, http.StatusInternalServerError, "InternalError",
			"Internal error occurred: the server could not complete the request; its log has the details")
		for _, secret := range []string{dbName, u.User.Username(), u.Host, "SQLSTATE"} {
			if strings.Contains(string(r.Body), secret) {
				t.Fatalf("the 500 tells %q: %s", secret, r.Body)
			}
		}
		l := log.String()
		if strings.Contains(l, dbName) && strings.Contains(l, `"path":"/api/v1/namespaces/default/pods/web"`) &&
			strings.Contains(l, "internal error serving a request") {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the log lacks the detail:\n%s", l)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
