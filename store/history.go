package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
)

// ListPage returns a page of the objects under p as they were at
// opt.Revision (the newest if 0), in key order, after opt.After, at most
// opt.Limit of them.
//
// The objects table holds only the newest state, so an older revision R is
// read backwards from it: the page is read at the newest revision C, then
// the changes in (R, C] to the keys it covers undo what happened since.
// Each change keeps the revision and value it replaced, so the state at R
// of a changed key is what its first change after R replaced (nothing, for
// a create). That needs the change log to reach back to R: if it was
// compacted past R, ErrCompacted.
//
// A page read at C, cut after its last key K, shows the keys up to K as
// they were at R once rewound; the changes to keys after K are only
// counted (for Remaining), their values never read, so a page costs the
// same however many objects changed elsewhere since R. (Reading every
// change's value made each page of a list of 150,000 pods, 20 s into a
// rolling update, take 20 s.) Keys created since R may leave fewer than a
// page up to K: then the page is read again with more room (and after a
// few tries, whole).
func (s *SQLStore) ListPage(ctx context.Context, p Prefix, opt PageOptions) (*Page, error) {
	room := 0
	count := opt.Limit > 0 && !opt.Uncounted
	for attempt := 0; ; attempt++ {
		limit := 0
		if opt.Limit > 0 && attempt < 3 {
			// One row more than the page, to know whether more follow.
			limit = opt.Limit + room + 1
		}
		recs, cur, total, err := s.readObjects(ctx, p, opt.After, limit, count)
		if err != nil {
			return nil, fmt.Errorf("list objects: %w", err)
		}
		rev := opt.Revision
		if rev == 0 {
			rev = cur
		}
		switch {
		case rev > cur:
			return nil, ErrFutureRevision
		case rev == cur:
			return newPage(recs, rev, total, opt.Limit), nil
		}
		var upTo *Key // the read was cut after this key
		if limit > 0 && len(recs) == limit {
			upTo = &recs[len(recs)-1].Key
		}
		h, err := s.readHistory(ctx, p, opt.After, upTo, count, rev, cur)
		if err != nil {
			return nil, err
		}
		recs, total = h.rewind(recs, total)
		if upTo != nil && len(recs) <= opt.Limit {
			// Not a page and one more up to the cut: read further.
			room = 2*room + opt.Limit + 1 - len(recs)
			continue
		}
		return newPage(recs, rev, total, opt.Limit), nil
	}
}

// newPage cuts recs (sorted, one more than limit if more follow) to a page;
// total counts every object after the page's start.
func newPage(recs []*Record, rev, total int64, limit int) *Page {
	pg := &Page{Records: recs, Revision: rev}
	if limit > 0 && len(recs) > limit {
		pg.Records = recs[:limit]
		pg.More = true
		pg.Remaining = total - int64(limit)
	}
	return pg
}

// keyHistory is what the changes after a revision R did to one key: the
// state its first change replaced (the key's state at R) and whether it
// exists after its last change. For a key after the page's cut only the
// two booleans are read.
type keyHistory struct {
	existedAtR bool
	uid        string
	prevRev    int64
	prevValue  []byte
	existsNow  bool
	beyond     bool // after the page's cut: counted, not rewound
}

type history map[Key]*keyHistory

// readHistory reads the changes in (after, upTo] to keys under p following
// key from, in one statement with the compacted revision: ErrCompacted if
// the log no longer holds them all. With cut, only the changes to keys up
// to *cut are read whole; those to keys after it are read only if count,
// without their values.
func (s *SQLStore) readHistory(ctx context.Context, p Prefix, from Key, cut *Key, count bool, after, upTo int64) (history, error) {
	where := `revision > ? AND revision <= ? AND resource = ?`
	args := []any{after, upTo, p.Resource}
	if p.Namespace != "" {
		where += ` AND namespace = ?`
		args = append(args, p.Namespace)
	}
	if from.Name != "" {
		cond, cargs := s.keyAfter("", from)
		where += ` AND ` + cond
		args = append(args, cargs...)
	}
	cols := `revision, type, namespace, name, uid, 1 AS within, value, prev_revision, prev_value`
	var colArgs []any
	if cut != nil {
		cond, cargs := s.keyAfter("", *cut)
		within := `NOT ` + cond
		if !count {
			where += ` AND ` + within
			args = append(args, cargs...)
		} else {
			// The values of changes beyond the cut stay unread (in
			// SQLite, their overflow pages; in Postgres, their TOAST).
			cols = `revision, type, namespace, name, uid, CASE WHEN ` + within + ` THEN 1 ELSE 0 END AS within, ` +
				`CASE WHEN ` + within + ` THEN value END AS value, ` +
				`CASE WHEN ` + within + ` THEN prev_revision END AS prev_revision, ` +
				`CASE WHEN ` + within + ` THEN prev_value END AS prev_value`
			for range 4 {
				colArgs = append(colArgs, cargs...)
			}
		}
	}
	q := `SELECT r.compacted_rev, c.revision, c.type, c.namespace, c.name, c.uid, c.within, c.value, c.prev_revision, c.prev_value
		FROM revision r LEFT JOIN (SELECT ` + cols + ` FROM changes WHERE ` + where + `) c ON 1 = 1 WHERE r.id = 1 ORDER BY c.revision`
	release, err := s.readSlot(ctx)
	if err != nil {
		return nil, fmt.Errorf("read changes: %w", err)
	}
	defer release()
	rows, err := s.db.WithContext(ctx).Raw(q, append(colArgs, args...)...).Rows()
	if err != nil {
		return nil, fmt.Errorf("read changes: %w", err)
	}
	defer rows.Close()
	var (
		compacted int64
		seen      bool
		h         = history{}
	)
	for rows.Next() {
		var (
			rev, within, prevRev sql.NullInt64
			typ, ns, name, uid   sql.NullString
			value, prevValue     []byte
		)
		if err := rows.Scan(&compacted, &rev, &typ, &ns, &name, &uid, &within, s.value(&value), &prevRev, s.value(&prevValue)); err != nil {
			return nil, fmt.Errorf("read changes: %w", err)
		}
		seen = true
		if !rev.Valid {
			continue
		}
		k := Key{Resource: p.Resource, Namespace: ns.String, Name: name.String}
		t := EventType(typ.String)
		e, ok := h[k]
		if !ok {
			e = &keyHistory{existedAtR: t != Added, uid: uid.String, prevRev: prevRev.Int64, prevValue: prevValue,
				beyond: within.Int64 == 0}
			if t == Deleted {
				e.prevValue = value // a deletion's value is the object it removed
			}
			if e.existedAtR && e.prevRev == 0 && !e.beyond {
				// Written before the log kept what a change replaced.
				return nil, ErrCompacted
			}
			h[k] = e
		}
		e.existsNow = t != Deleted
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read changes: %w", err)
	}
	if !seen {
		return nil, errors.New("read changes: revision row missing")
	}
	if after < compacted {
		return nil, ErrCompacted
	}
	return h, nil
}

// rewind turns objects read at a newer revision, and the count of objects
// after the page's start, into what they were at the history's revision.
func (h history) rewind(recs []*Record, total int64) ([]*Record, int64) {
	out := make([]*Record, 0, len(recs)+len(h))
	for _, r := range recs {
		if _, changed := h[r.Key]; !changed {
			out = append(out, r)
		}
	}
	for k, e := range h {
		if e.existedAtR {
			if !e.beyond {
				out = append(out, &Record{Key: k, UID: e.uid, ResourceVersion: e.prevRev, Value: e.prevValue})
			}
			total++
		}
		if e.existsNow {
			total--
		}
	}
	slices.SortFunc(out, func(a, b *Record) int { return compareKeys(a.Key, b.Key) })
	return out, total
}
