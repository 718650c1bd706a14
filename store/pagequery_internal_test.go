package store

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rs/zerolog"
)

// TestSQLitePageQueryPlan: a page of objects on SQLite is read along the
// key index, without copying the page into a temporary b-tree
// (MATERIALIZE) or sorting it (USE TEMP B-TREE), whatever its start.
func TestSQLitePageQueryPlan(t *testing.T) {
	s, err := Open(context.Background(), Config{DSN: filepath.Join(t.TempDir(), "db")}, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, tc := range []struct {
		name  string
		p     Prefix
		after Key
		limit int
	}{
		{"first page in a namespace", Prefix{Resource: "pods", Namespace: "default"}, Key{}, 500},
		{"next page in a namespace", Prefix{Resource: "pods", Namespace: "default"}, Key{Namespace: "default", Name: "web-1"}, 500},
		{"next page of all namespaces", Prefix{Resource: "pods"}, Key{Namespace: "default", Name: "web-1"}, 500},
		{"every object", Prefix{Resource: "pods"}, Key{}, 0},
	} {
		q, args := s.objectsQuery(tc.p, tc.after, tc.limit, true)
		rows, err := s.db.Raw("EXPLAIN QUERY PLAN "+q, args...).Rows()
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		rows.Close()
		joined := strings.Join(plan, "; ")
		if strings.Contains(joined, "MATERIALIZE") || strings.Contains(joined, "TEMP B-TREE") || !strings.Contains(joined, "objects_key") {
			t.Errorf("%s: plan %q, want a scan of the objects_key index alone", tc.name, joined)
		}
		// A next page seeks the index to the key it follows, rather than
		// filtering every key before it (a page deep into 150,000 pods cost
		// 55-100 ms that way, 15-20 ms seeking).
		if tc.after.Name != "" && !strings.Contains(joined, "name>?") && !strings.Contains(joined, "(namespace,name)>(?,?)") {
			t.Errorf("%s: plan %q, want a seek past the key it follows", tc.name, joined)
		}
	}
}
