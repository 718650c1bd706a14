// Package store keeps the cluster's objects and their change log in a SQL
// database, SQLite (the default, pure Go) or Postgres, through GORM.
//
// Store and ChangeLog (store.go) are what the API server needs; SQLStore
// implements both for either database. Its contract:
//
//   - One revision counter. Every successful Create, Update and Delete takes
//     the next revision, so revisions are gapless, and commits become visible
//     in revision order, like etcd's. An object's ResourceVersion is the
//     revision of its last write; List returns the revision its snapshot was
//     read at.
//   - Optimistic concurrency: Update and Delete name the revision they expect
//     and fail with ErrConflict, never waiting, if the object moved on. No
//     lock is held between calls.
//   - Group commit: writes are queued to one committer goroutine, which
//     applies the queued writes in arrival order in one transaction. Each
//     keeps its own checks and revision; a write that fails (ErrNotFound,
//     ErrAlreadyExists, ErrConflict) takes no revision and does not affect
//     the others in its batch. If the transaction itself fails, every write in
//     it fails with that error.
//   - On Postgres, where each statement is a network round trip, a batch is
//     first tried pipelined: all its statements sent at once on a guess of
//     the revision, committed only if everything went as guessed, else
//     rolled back and committed in order (pipeline.go). BatchStats counts
//     which way each batch went.
//   - The change log (revision, type, object) is written in the same
//     transaction as the objects. Changes replays it in revision order, with
//     no gap; Compact trims it, after which older revisions give
//     ErrCompacted. Each change also keeps the revision and value it
//     replaced, so ListPage can read a page of a list as it was at any
//     revision the log still reaches back to (history.go).
//   - The OnCommit hook (SetOnCommit) sees every committed change exactly
//     once, in revision order, before the writers get their replies.
//
// Driver errors are translated to the sentinels of store.go at this
// boundary; callers test them with errors.Is.
package store
