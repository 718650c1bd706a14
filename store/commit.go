package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

type opKind uint8

const (
	opCreate opKind = iota
	opUpdate
	opDelete
)

// request is one write handed to the committer.
type request struct {
	ctx      context.Context
	op       opKind
	rec      Record // the new object; for opDelete only its Key
	expectRV int64
	done     chan result // buffered, so the committer never waits for a caller
}

type result struct {
	rec *Record
	err error
}

// Create writes a new object with r's key, uid and value; ErrAlreadyExists if
// the key is taken. The returned record is r with the new revision; it
// shares r's Value.
//
// Writes from all goroutines are committed by one committer in batches (see
// the package doc). If ctx ends while the write is queued or committing,
// Create returns ctx's error and the write may or may not have been applied;
// a write whose ctx ended before its batch started is never applied.
func (s *SQLStore) Create(ctx context.Context, r *Record) (*Record, error) {
	if err := checkRecord(r); err != nil {
		return nil, fmt.Errorf("create object: %w", err)
	}
	return s.submit(ctx, &request{op: opCreate, rec: *r})
}

// Update replaces the value of r's key if its revision is still expectRV:
// ErrNotFound if the object is gone, ErrConflict if it changed. The uid is
// not changed: the returned record carries the stored uid, r's value and the
// new revision. Cancellation is as for Create.
func (s *SQLStore) Update(ctx context.Context, r *Record, expectRV int64) (*Record, error) {
	if err := checkRecord(r); err != nil {
		return nil, fmt.Errorf("update object: %w", err)
	}
	return s.submit(ctx, &request{op: opUpdate, rec: *r, expectRV: expectRV})
}

// Delete removes the object if its revision is still expectRV (0: any):
// ErrNotFound, ErrConflict. It returns the last state with ResourceVersion
// set to the deletion's revision. Cancellation is as for Create.
func (s *SQLStore) Delete(ctx context.Context, k Key, expectRV int64) (*Record, error) {
	if err := checkKey(k); err != nil {
		return nil, fmt.Errorf("delete object: %w", err)
	}
	return s.submit(ctx, &request{op: opDelete, rec: Record{Key: k}, expectRV: expectRV})
}

// submit queues req for the committer and waits for its result.
func (s *SQLStore) submit(ctx context.Context, req *request) (*Record, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	req.ctx = ctx
	req.done = make(chan result, 1)
	select {
	case s.requests <- req:
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-s.closing:
		return nil, ErrClosed
	}
	select {
	case res := <-req.done:
		return res.rec, res.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// commitLoop is the committer: it takes the first queued write, then every
// write already waiting (up to MaxBatch), and commits them together. It
// returns when the store closes, after answering every write it took.
//
// Group commit: a transaction costs about as much as the writes in it (on
// SQLite, writing its pages to the WAL and checkpointing them), so when
// the last batch held several writes, the committer waits up to
// GroupCommitWait for as many before it commits. Writers that come back
// together (the last batch's, answered at once) arrive at once and wait
// for nothing; a lone writer, whose batches hold one write, never waits.
func (s *SQLStore) commitLoop() {
	defer close(s.stopped)
	batch := make([]*request, 0, s.cfg.MaxBatch)
	var wait *time.Timer
	last := 0 // writes in the last batch
	for {
		select {
		case <-s.closing:
			return
		case req := <-s.requests:
			batch = append(batch[:0], req)
		}
		if want := min(last, s.cfg.MaxBatch); want > 1 && s.cfg.GroupCommitWait > 0 {
			if wait == nil {
				wait = time.NewTimer(s.cfg.GroupCommitWait)
			} else {
				wait.Reset(s.cfg.GroupCommitWait)
			}
		group:
			for len(batch) < want {
				select {
				case req := <-s.requests:
					batch = append(batch, req)
				case <-wait.C:
					break group
				}
			}
			wait.Stop()
		}
	fill:
		for len(batch) < s.cfg.MaxBatch {
			select {
			case req := <-s.requests:
				batch = append(batch, req)
			default:
				break fill
			}
		}
		last = len(batch)
		s.commit(batch)
		clear(batch) // drop references to answered requests
	}
}

// commit applies batch in one transaction, calls the OnCommit hook and
// answers every request.
//
// On Postgres it tries the pipelined fast path (pipeline.go) when the batch
// before went as the fast path would guess: nothing missed and no other
// committer wrote in between. So a steady stream of writes that hit goes
// fast, and under contention (conflicts, or API servers taking turns) the
// committer works in order as before, paying for one rolled-back attempt
// each time the weather changes rather than for every batch.
func (s *SQLStore) commit(batch []*request) {
	ctx, cancel := context.WithTimeout(context.Background(), commitTimeout)
	defer cancel()
	if s.fast {
		p, err := s.commitPipelined(ctx, batch, s.guess)
		switch {
		case err == nil:
			s.stats.pipelined.Add(1)
			s.guess = p.last
			s.answer(batch, p.results, p.changes)
			return
		case errors.Is(err, errCommitUnknown):
			s.stats.failed.Add(1)
			s.fast = false
			s.fail(batch, err)
			return
		case !errors.Is(err, errSurprise):
			s.log.Debug().Err(err).Msg("pipelined batch failed before commit; retrying it in order")
		}
		s.stats.retried.Add(1)
	}
	o, err := s.commitInOrder(ctx, batch)
	if err != nil {
		s.stats.failed.Add(1)
		s.fast = false
		s.fail(batch, err)
		return
	}
	s.stats.inOrder.Add(1)
	s.fast = s.pipelining && !o.missed && o.start == s.guess
	s.guess = o.end
	s.answer(batch, o.results, o.changes)
}

// answer calls the OnCommit hook with a committed batch's changes, then
// answers each request with its result.
func (s *SQLStore) answer(batch []*request, results []result, changes []Change) {
	if fn := s.onCommit.Load(); fn != nil && len(changes) > 0 {
		(*fn)(changes)
	}
	for i, req := range batch {
		req.done <- results[i]
	}
}

// fail answers every request of a batch that did not commit with err.
func (s *SQLStore) fail(batch []*request, err error) {
	err = fmt.Errorf("commit writes: %w", err)
	for _, req := range batch {
		req.done <- result{err: err}
	}
}

// inOrder is what commitInOrder did.
type inOrder struct {
	results    []result // one per request
	changes    []Change
	prevs      []prev // one per change
	start, end int64  // the revisions the transaction began and ended at
	missed     bool   // some write failed for its own reason
}

// commitInOrder applies batch in one transaction that takes the revision
// counter first, then applies the writes one by one, each with its own
// checks.
func (s *SQLStore) commitInOrder(ctx context.Context, batch []*request) (*inOrder, error) {
	o := &inOrder{results: make([]result, len(batch))}
	tx, err := s.wsql.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // after Commit it only says so
	b := applier{ctx: ctx, tx: tx, stmts: s.stmts, known: make(map[Key]keyState), ownsValues: s.ownsValues}

	var revs []int64
	if err := b.query(func(r *sql.Rows) error {
		var rev int64
		err := r.Scan(&rev)
		revs = append(revs, rev)
		return err
	}, s.lockRevision); err != nil {
		return nil, fmt.Errorf("lock revision: %w", err)
	}
	if len(revs) != 1 {
		return nil, errors.New("lock revision: revision row missing")
	}
	rev := revs[0]
	o.start = rev

	for i, req := range batch {
		if err := req.ctx.Err(); err != nil {
			o.results[i] = result{err: err}
			continue
		}
		ch, pv, err := b.apply(req, rev+1)
		switch {
		case err == nil:
			rev++
			o.changes = append(o.changes, ch)
			o.prevs = append(o.prevs, pv)
			out := ch.Record
			o.results[i] = result{rec: &out}
		case isOutcome(err):
			o.results[i] = result{err: err}
			o.missed = true
		default:
			return nil, err
		}
	}
	o.end = rev
	if len(o.changes) == 0 {
		return o, tx.Commit()
	}
	if err := b.insertChanges(o.changes, o.prevs, s.pipelining); err != nil {
		return nil, err
	}
	if _, err := b.exec(`UPDATE revision SET current_rev = ? WHERE id = 1`, rev); err != nil {
		return nil, fmt.Errorf("advance revision: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("commit: %w", err)
	}
	return o, nil
}

// isOutcome reports whether err is a request's own failure, which takes no
// revision and leaves the rest of the batch alone.
func isOutcome(err error) bool {
	return errors.Is(err, ErrNotFound) || errors.Is(err, ErrAlreadyExists) || errors.Is(err, ErrConflict)
}

// keyState is what a batch has learnt about a key: whether it exists and, if
// known (non-zero), its revision. The committer holds the revision lock, so
// nobody else can change the key before the batch commits.
type keyState struct {
	exists bool
	rv     int64
}

// applier applies one batch's requests inside its transaction. No statement
// it runs may fail for a request's own reason (a duplicate key, a missing
// row): on Postgres a failed statement aborts the whole transaction. So
// inserts use ON CONFLICT DO NOTHING and conditional writes count the rows
// they touched.
type applier struct {
	ctx        context.Context
	tx         *sql.Tx
	stmts      *stmts
	known      map[Key]keyState
	ownsValues bool // see valueInto
}

func (b *applier) value(v *[]byte) valueInto { return valueInto{v, b.ownsValues} }

// exec runs a statement in the batch's transaction.
func (b *applier) exec(query string, args ...any) (sql.Result, error) {
	st, err := b.stmts.in(b.ctx, b.tx, query)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(b.ctx, args...)
}

// query runs a statement that returns rows in the batch's transaction and
// calls scan for each row.
func (b *applier) query(scan func(*sql.Rows) error, query string, args ...any) error {
	st, err := b.stmts.in(b.ctx, b.tx, query)
	if err != nil {
		return err
	}
	rows, err := st.QueryContext(b.ctx, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// prev is what a change replaced, for the change log: the revision of the
// object before it (0 for a create) and, for an update, its value.
type prev struct {
	rev   int64
	value []byte
}

// apply applies req at revision rev and returns the change it made.
func (b *applier) apply(req *request, rev int64) (Change, prev, error) {
	var (
		rec *Record
		pv  prev
		typ EventType
		err error
	)
	switch req.op {
	case opCreate:
		rec, err = b.create(&req.rec, rev)
		typ = Added
	case opUpdate:
		rec, pv, err = b.update(&req.rec, req.expectRV, rev)
		typ = Modified
	default:
		rec, pv, err = b.delete(req.rec.Key, req.expectRV, rev)
		typ = Deleted
	}
	if err != nil {
		return Change{}, prev{}, err
	}
	return Change{Revision: rev, Type: typ, Record: *rec}, pv, nil
}

func (b *applier) create(r *Record, rev int64) (*Record, error) {
	if st, ok := b.known[r.Key]; ok && st.exists {
		return nil, ErrAlreadyExists
	}
	res, err := b.exec(`INSERT INTO objects (resource, namespace, name, uid, resource_version, value)
		VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (resource, namespace, name) DO NOTHING`,
		r.Resource, r.Namespace, r.Name, r.UID, rev, nonNil(r.Value))
	if err != nil {
		return nil, fmt.Errorf("insert object: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return nil, fmt.Errorf("insert object: %w", err)
	} else if n == 0 {
		b.known[r.Key] = keyState{exists: true}
		return nil, ErrAlreadyExists
	}
	b.known[r.Key] = keyState{exists: true, rv: rev}
	out := *r
	out.ResourceVersion = rev
	return &out, nil
}

// update reads the object first, for its value before the write (the
// change log keeps it), then writes it if the revision is still expectRV.
func (b *applier) update(r *Record, expectRV, rev int64) (*Record, prev, error) {
	if st, ok := b.known[r.Key]; ok {
		switch {
		case !st.exists:
			return nil, prev{}, ErrNotFound
		case st.rv != 0 && st.rv != expectRV:
			return nil, prev{}, ErrConflict
		}
	}
	type row struct {
		uid   string
		rv    int64
		value []byte
	}
	var old []row
	if err := b.query(func(r *sql.Rows) error {
		var o row
		err := r.Scan(&o.uid, &o.rv, b.value(&o.value))
		old = append(old, o)
		return err
	}, `SELECT uid, resource_version, value FROM objects WHERE resource = ? AND namespace = ? AND name = ?`,
		r.Resource, r.Namespace, r.Name); err != nil {
		return nil, prev{}, fmt.Errorf("read object: %w", err)
	}
	switch {
	case len(old) == 0:
		b.known[r.Key] = keyState{exists: false}
		return nil, prev{}, ErrNotFound
	case old[0].rv != expectRV:
		b.known[r.Key] = keyState{exists: true, rv: old[0].rv}
		return nil, prev{}, ErrConflict
	}
	// The committer holds the revision lock, so the row cannot have moved
	// since the read.
	_, err := b.exec(`UPDATE objects SET resource_version = ?, value = ?
		WHERE resource = ? AND namespace = ? AND name = ? AND resource_version = ?`,
		rev, nonNil(r.Value), r.Resource, r.Namespace, r.Name, expectRV)
	if err != nil {
		return nil, prev{}, fmt.Errorf("update object: %w", err)
	}
	b.known[r.Key] = keyState{exists: true, rv: rev}
	out := *r
	out.UID = old[0].uid
	out.ResourceVersion = rev
	return &out, prev{rev: expectRV, value: old[0].value}, nil
}

func (b *applier) delete(k Key, expectRV, rev int64) (*Record, prev, error) {
	if st, ok := b.known[k]; ok {
		switch {
		case !st.exists:
			return nil, prev{}, ErrNotFound
		case expectRV != 0 && st.rv != 0 && st.rv != expectRV:
			return nil, prev{}, ErrConflict
		}
	}
	q := `DELETE FROM objects WHERE resource = ? AND namespace = ? AND name = ?`
	args := []any{k.Resource, k.Namespace, k.Name}
	if expectRV != 0 {
		q += ` AND resource_version = ?`
		args = append(args, expectRV)
	}
	type row struct {
		uid   string
		rv    int64
		value []byte
	}
	var gone []row
	if err := b.query(func(r *sql.Rows) error {
		var g row
		err := r.Scan(&g.uid, &g.rv, b.value(&g.value))
		gone = append(gone, g)
		return err
	}, q+` RETURNING uid, resource_version, value`, args...); err != nil {
		return nil, prev{}, fmt.Errorf("delete object: %w", err)
	}
	if len(gone) == 0 {
		return nil, prev{}, b.miss(k)
	}
	b.known[k] = keyState{exists: false}
	return &Record{Key: k, UID: gone[0].uid, ResourceVersion: rev, Value: gone[0].value}, prev{rev: gone[0].rv}, nil
}

// miss tells why a conditional write touched no row: ErrNotFound or
// ErrConflict.
func (b *applier) miss(k Key) error {
	var rvs []int64
	err := b.query(func(r *sql.Rows) error {
		var rv int64
		err := r.Scan(&rv)
		rvs = append(rvs, rv)
		return err
	}, `SELECT resource_version FROM objects WHERE resource = ? AND namespace = ? AND name = ?`,
		k.Resource, k.Namespace, k.Name)
	if err != nil {
		return fmt.Errorf("read object: %w", err)
	}
	if len(rvs) == 0 {
		b.known[k] = keyState{exists: false}
		return ErrNotFound
	}
	b.known[k] = keyState{exists: true, rv: rvs[0]}
	return ErrConflict
}

// insertChanges writes a batch's changes, with what each replaced, to the
// change log: in one statement where a statement is a round trip
// (Postgres), else one prepared single-row statement each (SQLite), which
// needs no statement journal: a multi-row INSERT keeps one in memory to
// undo itself if a row fails, and SQLite's allocator maps and unmaps its
// pages for every batch (6-9% of the CPU of SQLite writes, profiled).
func (b *applier) insertChanges(changes []Change, prevs []prev, oneStatement bool) error {
	const cols = 9
	const insert = `INSERT INTO changes (revision, type, resource, namespace, name, uid, value, prev_revision, prev_value) VALUES `
	const row = "(?, ?, ?, ?, ?, ?, ?, ?, ?)"
	if !oneStatement {
		for i, c := range changes {
			_, err := b.exec(insert+row, c.Revision, string(c.Type), c.Resource, c.Namespace, c.Name, c.UID, nonNil(c.Value),
				prevs[i].rev, prevs[i].value)
			if err != nil {
				return fmt.Errorf("insert change: %w", err)
			}
		}
		return nil
	}
	var q strings.Builder
	q.WriteString(insert)
	args := make([]any, 0, cols*len(changes))
	for i, c := range changes {
		if i > 0 {
			q.WriteString(", ")
		}
		q.WriteString(row)
		args = append(args, c.Revision, string(c.Type), c.Resource, c.Namespace, c.Name, c.UID, nonNil(c.Value),
			prevs[i].rev, prevs[i].value)
	}
	// Not kept: its text differs with the batch's size.
	if _, err := b.tx.ExecContext(b.ctx, b.stmts.bind(q.String()), args...); err != nil {
		return fmt.Errorf("insert changes: %w", err)
	}
	return nil
}

// nonNil stores an absent value as an empty one (the column is NOT NULL).
func nonNil(v []byte) []byte {
	if v == nil {
		return []byte{}
	}
	return v
}

// checkRecord and checkKey reject what the database would refuse inside a
// batch (Postgres text holds neither NUL nor invalid UTF-8), which would
// fail every other write of the batch too.
func checkRecord(r *Record) error {
	if err := checkKey(r.Key); err != nil {
		return err
	}
	return checkText("uid", r.UID)
}

func checkKey(k Key) error {
	if k.Resource == "" || k.Name == "" {
		return fmt.Errorf("key %q/%q/%q lacks a resource or name", k.Resource, k.Namespace, k.Name)
	}
	for _, f := range [...]struct{ name, v string }{{"resource", k.Resource}, {"namespace", k.Namespace}, {"name", k.Name}} {
		if err := checkText(f.name, f.v); err != nil {
			return err
		}
	}
	return nil
}

func checkText(field, v string) error {
	if !utf8.ValidString(v) || strings.IndexByte(v, 0) >= 0 {
		return fmt.Errorf("%s %q is not valid text", field, v)
	}
	return nil
}
