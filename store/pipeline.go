package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// On Postgres the committer first tries each batch in two round trips
// instead of one or two per write: it guesses the current revision (the
// last one it committed or read), sends the whole transaction in one pgx
// pipeline (BEGIN, a guarded advance of the revision counter, then one
// statement per write that changes the object and appends its change) and,
// if every statement did what was expected, sends COMMIT.
//
// Any surprise makes it roll back and hand the batch to the ordinary
// committer (commit.go), which takes the counter first and gives every write
// its exact outcome. Surprises are: another API server advanced the counter
// (the guard updated no row), a write missed (a create found its name taken,
// an update or delete found another revision or no object), or any error.
// A write that misses changes nothing, but the revisions given to the writes
// after it would then leave a gap, and the reason for an update's miss needs
// a read; the ordinary committer handles both. So the fast path is exact or
// absent, never approximate: the store's contract does not depend on it.
//
// The statements are data-modifying common table expressions, which SQLite
// lacks; SQLite runs in process, where round trips cost nothing anyway.

const (
	pgGuardRevision = `UPDATE revision SET current_rev = $1 WHERE id = 1 AND current_rev = $2`

	pgCreate = `WITH o AS (
		INSERT INTO objects (resource, namespace, name, uid, resource_version, value)
		VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (resource, namespace, name) DO NOTHING
		RETURNING resource, namespace, name, uid, resource_version, value)
	INSERT INTO changes (revision, type, resource, namespace, name, uid, value)
	SELECT resource_version, 'ADDED', resource, namespace, name, uid, value FROM o`

	// The update's value before the write goes to the change log: both
	// parts of the statement see the table as it was before it.
	pgUpdate = `WITH old AS (
		SELECT value FROM objects
		WHERE resource = $3 AND namespace = $4 AND name = $5 AND resource_version = $6),
	o AS (
		UPDATE objects SET resource_version = $1, value = $2
		WHERE resource = $3 AND namespace = $4 AND name = $5 AND resource_version = $6
		RETURNING resource, namespace, name, uid)
	INSERT INTO changes (revision, type, resource, namespace, name, uid, value, prev_revision, prev_value)
	SELECT $1, 'MODIFIED', o.resource, o.namespace, o.name, o.uid, $2, $6, old.value FROM o, old
	RETURNING uid`

	pgDelete = `WITH o AS (
		DELETE FROM objects WHERE resource = $2 AND namespace = $3 AND name = $4
		RETURNING resource, namespace, name, uid, value, resource_version)
	INSERT INTO changes (revision, type, resource, namespace, name, uid, value, prev_revision)
	SELECT $1, 'DELETED', resource, namespace, name, uid, value, resource_version FROM o
	RETURNING uid, value`

	pgDeleteAt = `WITH o AS (
		DELETE FROM objects WHERE resource = $2 AND namespace = $3 AND name = $4 AND resource_version = $5
		RETURNING resource, namespace, name, uid, value, resource_version)
	INSERT INTO changes (revision, type, resource, namespace, name, uid, value, prev_revision)
	SELECT $1, 'DELETED', resource, namespace, name, uid, value, resource_version FROM o
	RETURNING uid, value`
)

var (
	// errSurprise: the pipelined batch did not go as guessed and was rolled
	// back; the ordinary committer takes over.
	errSurprise = errors.New("pipelined batch rolled back")
	// errCommitUnknown: COMMIT was sent but not answered; the batch may or
	// may not have been applied, so it must not be retried.
	errCommitUnknown = errors.New("commit outcome unknown")
)

// pipelined is one batch's attempt on the fast path.
type pipelined struct {
	batch   []*request
	results []result // one per request, as commit answers them
	changes []Change
	guess   int64 // the revision the batch is guessed to start at
	last    int64 // the revision it ends at if the guess is right
}

// commitPipelined tries batch on the fast path, guessing that the counter is
// at guess. On success it returns the results, the changes and the batch's
// last revision. errCommitUnknown means COMMIT failed; any other error
// (errSurprise when the guess was wrong) means nothing was applied, and the
// caller hands the batch to the ordinary committer.
func (s *SQLStore) commitPipelined(ctx context.Context, batch []*request, guess int64) (*pipelined, error) {
	p := &pipelined{batch: batch, results: make([]result, len(batch)), guess: guess, last: guess}
	for i, req := range batch {
		if err := req.ctx.Err(); err != nil {
			p.results[i] = result{err: err} // never applied, as in order
			continue
		}
		p.last++
	}
	sqlDB, err := s.wdb.DB()
	if err != nil {
		return nil, err
	}
	conn, err := sqlDB.Conn(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	err = conn.Raw(func(dc any) error {
		pc := dc.(*stdlib.Conn).Conn()
		ok, err := p.send(ctx, pc)
		if err == nil && ok {
			// COMMIT answers ROLLBACK if the transaction had failed.
			tag, err := pc.Exec(ctx, "COMMIT")
			switch {
			case err != nil:
				return fmt.Errorf("%w: %w", errCommitUnknown, err)
			case tag.String() != "COMMIT":
				return fmt.Errorf("%w: COMMIT answered %s", errCommitUnknown, tag)
			}
			return nil
		}
		// Roll back whatever the pipeline did. If that fails the connection
		// is left in a transaction, and database/sql discards it.
		if _, rbErr := pc.Exec(ctx, "ROLLBACK"); rbErr != nil {
			return errors.Join(err, rbErr)
		}
		if err != nil {
			return err
		}
		return errSurprise
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}

// send queues the batch's transaction, without COMMIT, in one pipeline and
// reads every answer. ok says every statement did what was guessed.
func (p *pipelined) send(ctx context.Context, pc *pgx.Conn) (ok bool, err error) {
	var b pgx.Batch
	b.Queue("BEGIN")
	b.Queue(pgGuardRevision, p.last, p.guess)
	rev := p.guess
	for i, req := range p.batch {
		if p.results[i].err != nil {
			continue
		}
		rev++
		r := &req.rec
		switch req.op {
		case opCreate:
			b.Queue(pgCreate, r.Resource, r.Namespace, r.Name, r.UID, rev, nonNil(r.Value))
		case opUpdate:
			b.Queue(pgUpdate, rev, nonNil(r.Value), r.Resource, r.Namespace, r.Name, req.expectRV)
		case opDelete:
			if req.expectRV == 0 {
				b.Queue(pgDelete, rev, r.Resource, r.Namespace, r.Name)
			} else {
				b.Queue(pgDeleteAt, rev, r.Resource, r.Namespace, r.Name, req.expectRV)
			}
		}
	}

	br := pc.SendBatch(ctx, &b)
	defer func() {
		if cerr := br.Close(); err == nil && cerr != nil {
			err = cerr
		}
	}()
	if _, err := br.Exec(); err != nil { // BEGIN
		return false, err
	}
	tag, err := br.Exec()
	if err != nil {
		return false, err
	}
	if tag.RowsAffected() != 1 {
		return false, nil // another committer moved the counter on
	}
	rev = p.guess
	for i, req := range p.batch {
		if p.results[i].err != nil {
			continue
		}
		rev++
		ch, hit, err := readOne(br, req, rev)
		if err != nil || !hit {
			return false, err
		}
		p.changes = append(p.changes, ch)
		out := ch.Record
		p.results[i] = result{rec: &out}
	}
	return true, nil
}

// readOne reads the answer to req's statement, made at revision rev: the
// change it made, or hit false if it touched no row.
func readOne(br pgx.BatchResults, req *request, rev int64) (ch Change, hit bool, err error) {
	ch = Change{Revision: rev, Record: req.rec}
	ch.ResourceVersion = rev
	switch req.op {
	case opCreate:
		ch.Type = Added
		tag, err := br.Exec()
		return ch, err == nil && tag.RowsAffected() == 1, err
	case opUpdate:
		ch.Type = Modified
		err = br.QueryRow().Scan(&ch.UID)
	default:
		ch.Type = Deleted
		err = br.QueryRow().Scan(&ch.UID, &ch.Value)
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return ch, false, nil
	}
	return ch, err == nil, err
}
