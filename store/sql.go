package store

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/glebarez/sqlite"
	"github.com/rs/zerolog"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/minik8s/minik8s/internal/wait"
)

// ErrClosed: the store was closed before the write could be queued.
var ErrClosed = errors.New("store: closed")

// Compile-time checks.
var (
	_ Store     = (*SQLStore)(nil)
	_ ChangeLog = (*SQLStore)(nil)
)

// Config configures Open. The zero value of a field selects its default.
type Config struct {
	// DSN selects the database: a postgres:// (or postgresql://) URL for
	// Postgres; anything else is the path of a SQLite file, optionally
	// written sqlite://path.
	DSN string `json:"dsn" yaml:"-"`
	// CompactWindow is how many of the newest revisions RunCompactor keeps
	// in the change log. Default 10000.
	CompactWindow int64 `json:"compactWindow" yaml:"compactWindow"`
	// MaxOpenConns bounds the readers' connection pool. Default 16 on
	// Postgres, 4 on SQLite. Writers have a pool of their own of 2.
	MaxOpenConns int `json:"maxOpenConns" yaml:"maxOpenConns"`
	// ReservedConns of the readers' connections serve only reads whose
	// context is marked WithPriority (the control plane's), so that other
	// reads, however many, cannot starve them. Default a quarter of
	// MaxOpenConns, at least 1 (none when MaxOpenConns is 1).
	ReservedConns int `json:"reservedConns" yaml:"reservedConns"`
	// MaxBatch bounds how many writes the committer puts in one
	// transaction, 1 to 1024. Default 256.
	MaxBatch int `json:"maxBatch" yaml:"maxBatch"`
	// GroupCommitWait is how long the committer may wait, after the first
	// write of a batch, for as many writes as its last batch held, when
	// that was more than one (see commitLoop). 0 selects the default, 1ms;
	// negative: never wait.
	GroupCommitWait time.Duration `json:"groupCommitWait" yaml:"groupCommitWait"`
}

// DefaultConfig returns the defaults: a SQLite file minik8s.db in the
// working directory.
func DefaultConfig() Config {
	return Config{DSN: "minik8s.db", CompactWindow: 10000, MaxBatch: 256, GroupCommitWait: defaultGroupCommitWait}
}

const (
	maxBatchLimit = 1024 // keeps the change-log insert under Postgres' 65535 parameters
	commitTimeout = 10 * time.Second
	busyTimeoutMS = 5000
	// compactChunkSize bounds a DELETE of the change log: SQLite holds its
	// one write lock for a whole statement, and all-150k's compactions of
	// a minute of changes at once (some 100,000 rows of 4 KB pods) held it
	// past the committer's busy timeout, failing writes with SQLITE_BUSY.
	compactChunkSize = 2000
	writerConns      = 2 // the committer and the compactor

	defaultGroupCommitWait = time.Millisecond
)

// SQLStore is the Store and ChangeLog over SQLite or Postgres. It is safe for
// concurrent use; several SQLStores (in several processes) may share one
// Postgres database.
type SQLStore struct {
	db  *gorm.DB // readers
	wdb *gorm.DB // the committer and the compactor
	// The committer's pool under wdb, and its statements.
	wsql  *sql.DB
	stmts *stmts
	cfg   Config
	log   zerolog.Logger

	// The dialect's differences. lockRevision is how a write transaction
	// takes the revision counter (and so the right to commit) first.
	lockRevision string
	// pipelining: try batches on the pipelined fast path (Postgres).
	pipelining bool
	// collate makes a comparison or an ordering of keys byte order
	// (Postgres would otherwise use the database's collation).
	collate string
	// joinPages: a page of objects is read through a join with the
	// revision row rather than a derived table (see readObjects).
	joinPages bool
	// ownsValues: the driver's values are the store's to keep (valueInto).
	ownsValues bool

	// The committer's own state: the revision its last batch ended at,
	// which the fast path guesses is still current, and whether to try the
	// fast path next (see commit).
	guess int64
	fast  bool

	stats batchCounters

	// compactChunk is the most revisions one DELETE of Compact drops
	// (compactChunkSize; tests set fewer).
	compactChunk int64

	// readers has a token per connection that ordinary reads may use (nil:
	// all of them); reads WithPriority skip it.
	readers chan struct{}

	onCommit atomic.Pointer[func([]Change)]

	requests  chan *request // unbuffered: a queued write is always seen by the committer
	closing   chan struct{}
	stopped   chan struct{}
	closeOnce sync.Once
	closeErr  error
}

// Open connects to the database named by cfg.DSN, checks that it answers,
// creates or migrates the tables and starts the committer. It fails if the
// configuration is invalid or the database is unreachable. Close releases
// what Open started.
func Open(ctx context.Context, cfg Config, log zerolog.Logger) (*SQLStore, error) {
	kind, target, err := parseDSN(cfg.DSN)
	if err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	cfg, err = cfg.withDefaults(kind)
	if err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	if kind == "sqlite" {
		if err := createPrivate(target); err != nil {
			return nil, fmt.Errorf("open store: %w", err)
		}
	}
	s := &SQLStore{cfg: cfg, log: log, compactChunk: compactChunkSize}
	if cfg.ReservedConns > 0 {
		s.readers = make(chan struct{}, cfg.MaxOpenConns-cfg.ReservedConns)
	}
	if kind == "postgres" {
		s.lockRevision = `SELECT current_rev FROM revision WHERE id = 1 FOR UPDATE`
		s.pipelining = true
		s.collate = ` COLLATE "C"`
	} else {
		// BEGIN IMMEDIATE (sqliteDSN) took the write lock already; an
		// UPDATE … RETURNING here built a temporary table per batch, whose
		// pages SQLite's allocator mapped and unmapped every time.
		s.lockRevision = `SELECT current_rev FROM revision WHERE id = 1`
		s.joinPages = true
		s.ownsValues = true
	}

	// Two pools, so that writes never queue behind reads for a connection:
	// the committer and the compactor are the only writers.
	if s.db, err = connect(ctx, kind, target, cfg.MaxOpenConns); err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	if s.wdb, err = connect(ctx, kind, target, writerConns); err == nil {
		err = migrate(s.wdb.WithContext(ctx))
	}
	if err == nil {
		s.wsql, err = s.wdb.DB()
		s.stmts = newStmts(s.wsql, kind == "postgres")
	}
	if err != nil {
		s.closeDBs()
		return nil, fmt.Errorf("open store: %w", err)
	}

	s.requests = make(chan *request)
	s.closing = make(chan struct{})
	s.stopped = make(chan struct{})
	go s.commitLoop()
	log.Info().Str("db", kind).Msg("store opened")
	return s, nil
}

// connect opens a pool of at most conns connections and pings the database.
func connect(ctx context.Context, kind, target string, conns int) (*gorm.DB, error) {
	gcfg := &gorm.Config{
		TranslateError:         true,
		Logger:                 logger.Discard,
		SkipDefaultTransaction: true,
	}
	var dial gorm.Dialector
	if kind == "postgres" {
		// pgx already caches a prepared statement per query and connection,
		// so GORM's PrepareStmt would only prepare twice.
		dial = postgres.Open(target)
	} else {
		gcfg.PrepareStmt = true
		pinSQLiteAllocator()
		dial = sqlite.Open(sqliteDSN(target))
	}
	db, err := gorm.Open(dial, gcfg)
	if err != nil {
		return nil, fmt.Errorf("connect %s: %w", kind, err)
	}
	sqlDB, err := db.DB()
	if err != nil {
		return nil, fmt.Errorf("connect %s: %w", kind, err)
	}
	sqlDB.SetMaxOpenConns(conns)
	sqlDB.SetMaxIdleConns(conns)
	if err := sqlDB.PingContext(ctx); err != nil {
		sqlDB.Close()
		return nil, fmt.Errorf("reach %s database: %w", kind, err)
	}
	return db, nil
}

// Close stops the committer, after it has answered every write it took, and
// closes the database. Writes queued later fail with ErrClosed; other calls
// fail once the database is closed. Close is idempotent.
func (s *SQLStore) Close() error {
	s.closeOnce.Do(func() {
		close(s.closing)
		<-s.stopped
		if err := s.closeDBs(); err != nil {
			s.closeErr = fmt.Errorf("close store: %w", err)
		}
	})
	return s.closeErr
}

func (s *SQLStore) closeDBs() error {
	if s.stmts != nil {
		s.stmts.close()
	}
	var errs []error
	for _, db := range []*gorm.DB{s.db, s.wdb} {
		if db == nil {
			continue
		}
		sqlDB, err := db.DB()
		if err == nil {
			err = sqlDB.Close()
		}
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// SetOnCommit installs fn, which the committer calls after each successful
// transaction with its changes in revision order, before the writers get
// their replies. Across calls, fn sees every committed change exactly once
// and in order. fn runs on the committer goroutine, so it must not block for
// long (hand the changes to a channel or a broadcaster) and must not write
// to the store. fn must not modify the changes. Set it before the first
// write; nil removes it.
func (s *SQLStore) SetOnCommit(fn func([]Change)) {
	if fn == nil {
		s.onCommit.Store(nil)
		return
	}
	s.onCommit.Store(&fn)
}

type priorityKey struct{}

// WithPriority marks ctx as the control plane's: the store's reads under
// it may use the connections held back from other reads (ReservedConns).
func WithPriority(ctx context.Context) context.Context {
	return context.WithValue(ctx, priorityKey{}, true)
}

// readSlot waits for a connection an ordinary read may use; a read
// WithPriority needs none. Call release when the read is done.
func (s *SQLStore) readSlot(ctx context.Context) (release func(), err error) {
	if s.readers == nil || ctx.Value(priorityKey{}) != nil {
		return func() {}, nil
	}
	select {
	case s.readers <- struct{}{}:
		return func() { <-s.readers }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Get returns the object or ErrNotFound.
func (s *SQLStore) Get(ctx context.Context, k Key) (*Record, error) {
	release, err := s.readSlot(ctx)
	if err != nil {
		return nil, fmt.Errorf("get object: %w", err)
	}
	defer release()
	var o object
	err = s.db.WithContext(ctx).
		Where("resource = ? AND namespace = ? AND name = ?", k.Resource, k.Namespace, k.Name).
		Take(&o).Error
	if err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return nil, ErrNotFound
		}
		return nil, fmt.Errorf("get object: %w", err)
	}
	return &Record{Key: k, UID: o.UID, ResourceVersion: o.ResourceVersion, Value: o.Value}, nil
}

// List returns the objects under p, sorted by namespace then name (byte
// order), and the revision they were read at (one statement, hence one
// snapshot).
func (s *SQLStore) List(ctx context.Context, p Prefix, _ ListOptions) ([]*Record, int64, error) {
	recs, rev, _, err := s.readObjects(ctx, p, Key{}, 0, false)
	if err != nil {
		return nil, 0, fmt.Errorf("list objects: %w", err)
	}
	return recs, rev, nil
}

// readObjects reads, in one statement and hence one snapshot, the newest
// revision, the objects under p whose key follows after (all of them with
// the zero Key), the first limit of them in key order (all if limit is 0),
// and, if count, how many follow after whatever the limit. The outer join
// on the one-row revision table yields the revision even when no object
// matches. The records come back sorted by namespace then name, in byte
// order.
func (s *SQLStore) readObjects(ctx context.Context, p Prefix, after Key, limit int, count bool) (recs []*Record, rev, total int64, err error) {
	q, qargs := s.objectsQuery(p, after, limit, count)

	release, err := s.readSlot(ctx)
	if err != nil {
		return nil, 0, 0, err
	}
	defer release()
	rows, err := s.db.WithContext(ctx).Raw(q, qargs...).Rows()
	if err != nil {
		return nil, 0, 0, err
	}
	defer rows.Close()
	seen := false
	for rows.Next() {
		var (
			ns, name, uid sql.NullString
			rv            sql.NullInt64
			value         []byte
		)
		if err := rows.Scan(&rev, &total, &ns, &name, &uid, &rv, s.value(&value)); err != nil {
			return nil, 0, 0, err
		}
		seen = true
		if !name.Valid { // the outer join found no object
			continue
		}
		recs = append(recs, &Record{
			Key:             Key{Resource: p.Resource, Namespace: ns.String, Name: name.String},
			UID:             uid.String,
			ResourceVersion: rv.Int64,
			Value:           value,
		})
	}
	if err := rows.Err(); err != nil {
		return nil, 0, 0, err
	}
	if !seen {
		return nil, 0, 0, errors.New("revision row missing")
	}
	// Sorted here as well: Postgres would sort by its collation without
	// COLLATE "C", and clients expect the byte order etcd keys have.
	slices.SortFunc(recs, func(a, b *Record) int { return compareKeys(a.Key, b.Key) })
	return recs, rev, total, nil
}

// keyAfter is the SQL condition, and its arguments, that a row's
// namespace and name (columns prefixed by table, e.g. "o.") come after k
// in key order (compareKeys).
func (s *SQLStore) keyAfter(table string, k Key) (string, []any) {
	if s.joinPages {
		// SQLite seeks an index to a row value; it only filters with the
		// OR below, from the kind's first key.
		return `(` + table + `namespace, ` + table + `name) > (?, ?)`, []any{k.Namespace, k.Name}
	}
	c := s.collate
	return `(` + table + `namespace` + c + ` > ? OR (` + table + `namespace = ? AND ` + table + `name` + c + ` > ?))`,
		[]any{k.Namespace, k.Namespace, k.Name}
}

// objectsQuery is readObjects' statement and its arguments.
func (s *SQLStore) objectsQuery(p Prefix, after Key, limit int, count bool) (string, []any) {
	c := s.collate
	where := `o.resource = ?`
	args := []any{p.Resource}
	if p.Namespace != "" {
		where += ` AND o.namespace = ?`
		args = append(args, p.Namespace)
	}
	switch {
	case after.Name == "":
	case p.Namespace != "" && after.Namespace == p.Namespace:
		// One namespace: a range of names, which the index seeks to,
		// where the general form below would scan the namespace from its
		// first name.
		where += ` AND o.name` + c + ` > ?`
		args = append(args, after.Name)
	default:
		cond, cargs := s.keyAfter("o.", after)
		where += ` AND ` + cond
		args = append(args, cargs...)
	}
	var qargs []any
	countCol := `0`
	if count {
		countCol = `(SELECT COUNT(*) FROM objects o WHERE ` + where + `)`
		qargs = append(qargs, args...)
	}
	// The outer join with the revision row gives the revision the page
	// was read at, and one row of NULLs when no object matches. SQLite
	// would copy a derived table with a LIMIT, every value of the page,
	// into a temporary b-tree, so there the conditions go into the join,
	// whose index scan below the one revision row is in key order already.
	// Postgres keeps the derived table: a join's ordering would sort every
	// object after the page's start.
	order := ` ORDER BY o.namespace` + c + `, o.name` + c + ` LIMIT ?`
	var q string
	if s.joinPages {
		q = `SELECT r.current_rev, ` + countCol + `, o.namespace, o.name, o.uid, o.resource_version, o.value
		FROM revision r LEFT JOIN objects o ON ` + where + ` WHERE r.id = 1`
		if limit > 0 {
			q += order
		}
	} else {
		sub := `SELECT o.namespace, o.name, o.uid, o.resource_version, o.value FROM objects o WHERE ` + where
		if limit > 0 {
			sub += order
		}
		q = `SELECT r.current_rev, ` + countCol + `, x.namespace, x.name, x.uid, x.resource_version, x.value
		FROM revision r LEFT JOIN (` + sub + `) x ON 1 = 1 WHERE r.id = 1`
	}
	qargs = append(qargs, args...)
	if limit > 0 {
		qargs = append(qargs, limit)
	}
	return q, qargs
}

// compareKeys orders keys as lists are sorted: by namespace, then name, in
// byte order.
func compareKeys(a, b Key) int {
	return cmp.Or(strings.Compare(a.Namespace, b.Namespace), strings.Compare(a.Name, b.Name))
}

// Changes returns up to limit changes (all if limit <= 0) with revision >
// afterRev, in revision order, or ErrCompacted if afterRev is below the
// compacted revision. The rows and the compacted revision are read in one
// statement, so a concurrent Compact can never leave a silent gap.
func (s *SQLStore) Changes(ctx context.Context, afterRev int64, limit int) ([]Change, error) {
	// The limit goes inside the derived table, so that Postgres reads only
	// limit rows of the primary key instead of sorting the whole log.
	sub := `SELECT * FROM changes WHERE revision > ? ORDER BY revision`
	args := []any{afterRev}
	if limit > 0 {
		sub += ` LIMIT ?`
		args = append(args, limit)
	}
	q := `SELECT r.compacted_rev, c.revision, c.type, c.resource, c.namespace, c.name, c.uid, c.value
		FROM revision r LEFT JOIN (` + sub + `) c ON 1 = 1
		WHERE r.id = 1 ORDER BY c.revision`
	release, err := s.readSlot(ctx)
	if err != nil {
		return nil, fmt.Errorf("read changes: %w", err)
	}
	defer release()
	rows, err := s.db.WithContext(ctx).Raw(q, args...).Rows()
	if err != nil {
		return nil, fmt.Errorf("read changes: %w", err)
	}
	defer rows.Close()
	var (
		compacted int64
		seen      bool
		out       []Change
	)
	for rows.Next() {
		var (
			rev                     sql.NullInt64
			typ, res, ns, name, uid sql.NullString
			value                   []byte
		)
		if err := rows.Scan(&compacted, &rev, &typ, &res, &ns, &name, &uid, s.value(&value)); err != nil {
			return nil, fmt.Errorf("read changes: %w", err)
		}
		seen = true
		if !rev.Valid {
			continue
		}
		out = append(out, Change{
			Revision: rev.Int64,
			Type:     EventType(typ.String),
			Record: Record{
				Key:             Key{Resource: res.String, Namespace: ns.String, Name: name.String},
				UID:             uid.String,
				ResourceVersion: rev.Int64,
				Value:           value,
			},
		})
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read changes: %w", err)
	}
	if !seen {
		return nil, errors.New("read changes: revision row missing")
	}
	if afterRev < compacted {
		return nil, ErrCompacted
	}
	return out, nil
}

// Revision returns the newest committed revision.
func (s *SQLStore) Revision(ctx context.Context) (int64, error) {
	release, err := s.readSlot(ctx)
	if err != nil {
		return 0, fmt.Errorf("read revision: %w", err)
	}
	defer release()
	var revs []int64
	err = s.db.WithContext(ctx).Raw(`SELECT current_rev FROM revision WHERE id = 1`).Scan(&revs).Error
	if err != nil {
		return 0, fmt.Errorf("read revision: %w", err)
	}
	if len(revs) != 1 {
		return 0, errors.New("read revision: revision row missing")
	}
	return revs[0], nil
}

// Compact drops the changes with revision <= keepAfter (clamped to the
// current revision) and records keepAfter as the compacted revision, after
// which Changes below it gives ErrCompacted. It never lowers the compacted
// revision, so it is idempotent, and concurrent Compacts (from several API
// servers) are safe.
func (s *SQLStore) Compact(ctx context.Context, keepAfter int64) error {
	db := s.wdb.WithContext(ctx)
	// Record first, delete second: a reader that could miss deleted rows
	// already sees the new compacted revision in the same snapshot, and a
	// crash in between only leaves rows for the next Compact to delete.
	err := db.Exec(`UPDATE revision
		SET compacted_rev = CASE WHEN current_rev < ? THEN current_rev ELSE ? END
		WHERE id = 1 AND compacted_rev < ?`, keepAfter, keepAfter, keepAfter).Error
	if err != nil {
		return fmt.Errorf("compact changes: %w", err)
	}
	// Delete a chunk of revisions at a time, and after each wait as long
	// as it took, so that the committer's writes get the write lock at
	// least half the time (an SQLite writer waits for it by polling).
	var bounds struct{ Oldest, Compacted sql.NullInt64 }
	err = db.Raw(`SELECT (SELECT min(revision) FROM changes) AS oldest, compacted_rev AS compacted
		FROM revision WHERE id = 1`).Scan(&bounds).Error
	if err != nil {
		return fmt.Errorf("compact changes: %w", err)
	}
	for lo := bounds.Oldest.Int64; bounds.Oldest.Valid && lo <= bounds.Compacted.Int64; {
		hi := min(lo+s.compactChunk-1, bounds.Compacted.Int64)
		start := time.Now()
		if err := db.Exec(`DELETE FROM changes WHERE revision <= ?`, hi).Error; err != nil {
			return fmt.Errorf("compact changes: %w", err)
		}
		if lo = hi + 1; lo <= bounds.Compacted.Int64 {
			if err := wait.Sleep(ctx, time.Since(start)); err != nil {
				return err
			}
		}
	}
	return nil
}

// RunCompactor compacts the change log every interval, keeping the newest
// CompactWindow revisions and every revision made since the tick before
// (as kube-apiserver compacts etcd to the revision of its previous
// compaction): a watch resumed, or a list continued, within an interval
// of its revision never meets 410 Gone, however fast the cluster writes.
// A count alone was not enough: 5,000 nodes renew 500 Leases a second,
// which took 10,000 revisions in 20 s, and paging through 150,000 pods
// took longer. It logs failures (at most one line a minute) and tries
// again at the next tick. It returns nil when ctx is done.
func (s *SQLStore) RunCompactor(ctx context.Context, interval time.Duration) error {
	if interval <= 0 {
		return fmt.Errorf("run compactor: interval %v is not positive", interval)
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	var (
		lastLog    time.Time
		suppressed int
		prev       int64 // the revision at the tick before; 0: none yet
	)
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		rev, err := s.compactOnce(ctx, prev)
		if err == nil {
			prev = rev
		}
		switch {
		case err == nil || ctx.Err() != nil:
			continue
		case time.Since(lastLog) < time.Minute:
			suppressed++
		default:
			s.log.Error().Err(err).Int("suppressed", suppressed).Msg("compact change log")
			lastLog, suppressed = time.Now(), 0
		}
	}
}

// compactOnce compacts the change log to the older of prev and the
// newest revision but CompactWindow, and returns the newest revision.
func (s *SQLStore) compactOnce(ctx context.Context, prev int64) (int64, error) {
	rev, err := s.Revision(ctx)
	if err != nil {
		return 0, err
	}
	keep := min(prev, rev-s.cfg.CompactWindow)
	if keep <= 0 {
		return rev, nil
	}
	if err := s.Compact(ctx, keep); err != nil {
		return 0, err
	}
	s.log.Debug().Int64("rev", keep).Msg("compacted change log")
	return rev, nil
}

// BatchStats counts the committer's transactions by how they committed.
type BatchStats struct {
	// Pipelined batches committed on the fast path, in two round trips.
	Pipelined uint64
	// InOrder batches committed by the ordinary committer, one statement
	// after another: on SQLite all of them; on Postgres the first, those
	// the fast path gave back (Retried) and those after a failure.
	InOrder uint64
	// Retried counts the fast path's attempts that were rolled back and
	// handed to the ordinary committer: another API server had written, or
	// a write missed (conflict, not found, already exists).
	Retried uint64
	// Failed transactions: every write in them got the error.
	Failed uint64
}

type batchCounters struct {
	pipelined, inOrder, retried, failed atomic.Uint64
}

// BatchStats returns the committer's counts so far. It is safe for
// concurrent use.
func (s *SQLStore) BatchStats() BatchStats {
	return BatchStats{
		Pipelined: s.stats.pipelined.Load(),
		InOrder:   s.stats.inOrder.Load(),
		Retried:   s.stats.retried.Load(),
		Failed:    s.stats.failed.Load(),
	}
}

func (c Config) withDefaults(kind string) (Config, error) {
	if c.CompactWindow == 0 {
		c.CompactWindow = 10000
	}
	if c.MaxBatch == 0 {
		c.MaxBatch = 256
	}
	if c.GroupCommitWait == 0 {
		c.GroupCommitWait = defaultGroupCommitWait
	}
	if c.MaxOpenConns == 0 {
		c.MaxOpenConns = 4
		if kind == "postgres" {
			c.MaxOpenConns = 16
		}
	}
	if c.ReservedConns == 0 && c.MaxOpenConns > 1 {
		c.ReservedConns = max(1, c.MaxOpenConns/4)
	}
	switch {
	case c.ReservedConns < 0 || (c.ReservedConns > 0 && c.ReservedConns >= c.MaxOpenConns):
		return c, fmt.Errorf("reserved conns %d is not in [0, max open conns %d)", c.ReservedConns, c.MaxOpenConns)
	case c.CompactWindow < 0:
		return c, fmt.Errorf("compact window %d is negative", c.CompactWindow)
	case c.MaxBatch < 1 || c.MaxBatch > maxBatchLimit:
		return c, fmt.Errorf("max batch %d is not in [1, %d]", c.MaxBatch, maxBatchLimit)
	case c.MaxOpenConns < 1:
		return c, fmt.Errorf("max open conns %d is not positive", c.MaxOpenConns)
	}
	return c, nil
}

// parseDSN tells the database kind from the DSN and returns what to hand the
// driver: the URL itself for Postgres, the file path for SQLite.
func parseDSN(dsn string) (kind, target string, err error) {
	switch {
	case dsn == "":
		return "", "", errors.New("empty dsn")
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		return "postgres", dsn, nil
	}
	path := strings.TrimPrefix(dsn, "sqlite://")
	if path == "" {
		return "", "", errors.New("dsn names no sqlite file")
	}
	return "sqlite", path, nil
}

// createPrivate creates the SQLite file at target (a path, perhaps with a
// query) with mode 0600 unless it exists, so that the database is its
// owner's only: SQLite would create it 0644, and gives its -wal and -shm
// files the database file's mode.
func createPrivate(target string) error {
	path, _, _ := strings.Cut(target, "?")
	if path == ":memory:" || strings.HasPrefix(path, "file:") {
		return nil
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	return f.Close()
}

// sqliteDSN adds the connection settings the store relies on: WAL, so
// readers don't block the writer; a busy timeout for a writer in another
// process; synchronous=NORMAL, durable enough with WAL and much faster; and
// BEGIN IMMEDIATE, so a write transaction holds the write lock from its start.
func sqliteDSN(path string) string {
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	return path + sep + fmt.Sprintf(
		"_pragma=journal_mode(WAL)&_pragma=busy_timeout(%d)&_pragma=synchronous(NORMAL)&_txlock=immediate",
		busyTimeoutMS)
}
