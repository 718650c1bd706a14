package store

import (
	"context"
	"database/sql"
	"strconv"
	"strings"
	"sync"
)

// stmts prepares each of the committer's statements once on the writer
// pool and keeps it: every batch runs the same few statements, and on
// SQLite parsing one costs more than running it (a third of the
// committer's CPU, profiled, when each was parsed again per batch).
// database/sql prepares a statement again on each connection it meets, and
// a transaction borrows the one prepared on its connection.
type stmts struct {
	db     *sql.DB
	dollar bool // Postgres numbers its placeholders: $1, $2, …

	mu sync.Mutex
	m  map[string]*sql.Stmt
}

func newStmts(db *sql.DB, dollar bool) *stmts {
	return &stmts{db: db, dollar: dollar, m: make(map[string]*sql.Stmt)}
}

// in returns query's statement, prepared once, for use in tx.
func (p *stmts) in(ctx context.Context, tx *sql.Tx, query string) (*sql.Stmt, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	st, ok := p.m[query]
	if !ok {
		var err error
		if st, err = p.db.PrepareContext(ctx, p.bind(query)); err != nil {
			return nil, err
		}
		p.m[query] = st
	}
	return tx.StmtContext(ctx, st), nil
}

// bind writes query's ? placeholders as the database wants them.
func (p *stmts) bind(query string) string {
	if !p.dollar {
		return query
	}
	var b strings.Builder
	n := 0
	for i := 0; i < len(query); i++ {
		if query[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(query[i])
	}
	return b.String()
}

// close closes every statement.
func (p *stmts) close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for q, st := range p.m {
		st.Close()
		delete(p.m, q)
	}
}
