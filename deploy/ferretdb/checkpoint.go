package main

// The write-ahead logs are checkpointed in the background, not by the writes themselves.
//
// By itself SQLite checkpoints a database's log in the commit that leaves it over 1000 pages
// (wal_autocheckpoint): that client's write copies the log's pages into the database file and syncs it.
// Every update statement FerretDB runs is a transaction of its own, each writing a few pages, so a stream of
// small writes checkpointed every few hundred commits, copying the same hot pages (index roots, the last
// leaf) again each time: 46 % of the store's CPU in a bulk of single-document updates, 0.74 ms per update
// against 0.21 ms with no checkpoint at all. Here FerretDB's own connections never checkpoint
// (wal_autocheckpoint(0) in sqliteURL) and this loop does, once per interval, for each database whose log
// has frames: a page written many times in that interval is copied once, the file synced once, and no
// client's write waits for it.
//
// A PASSIVE checkpoint never blocks readers or writers; it copies what no open read still needs, and the
// next write starts the log again from its beginning once all of it is copied and no read still uses it.
// Under steady load some read nearly always does, so one attempt a second rarely lets the log start again
// (SQLite's own attempt in every commit past 1000 pages did, by sheer number): the logs grew to hundreds of MB
// between restarts, and the data dir of a year's node past 1 GB. So a log found over truncateOver after its
// checkpoint is checkpointed again in TRUNCATE mode, which waits (up to the connection's busy timeout) for the
// reads still using the log to end, holding off writers meanwhile, and empties the file. If this loop stopped,
// the logs would only grow: it logs every failure and goes on.

import (
	"context"
	"database/sql"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	_ "modernc.org/sqlite" // the "sqlite" driver FerretDB itself uses
)

// checkpointEvery is how often the logs are checkpointed.
const checkpointEvery = time.Second

// truncateOver is the size of a log past which it is emptied, waiting for the reads that use it (a variable for
// the test).
var truncateOver int64 = 16 << 20

// checkpointLoop checkpoints the logs of dir's databases every interval until ctx ends.
func checkpointLoop(ctx context.Context, dir string, every time.Duration, logger *slog.Logger) {
	ticker := time.NewTicker(every)
	defer ticker.Stop()

	for {
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
			checkpointAll(ctx, dir, logger)
		}
	}
}

// checkpointAll checkpoints each database file in dir (FerretDB's <database>.sqlite) whose log is not empty.
// A database made or dropped meanwhile is simply found, or not, at the next turn.
func checkpointAll(ctx context.Context, dir string, logger *slog.Logger) {
	files, err := filepath.Glob(filepath.Join(dir, "*.sqlite"))
	if err != nil {
		logger.Warn("checkpoint: cannot list databases", "dir", dir, "error", err)
		return
	}

	for _, file := range files {
		if walSize(file) == 0 {
			continue
		}

		if err := checkpoint(ctx, file); err != nil && ctx.Err() == nil {
			logger.Warn("checkpoint failed", "file", file, "error", err)
		}
	}
}

// walSize is the size of file's log, 0 if it has none.
func walSize(file string) int64 {
	info, err := os.Stat(file + "-wal")
	if err != nil {
		return 0
	}

	return info.Size()
}

// checkpoint runs one PASSIVE checkpoint of file's log (then a TRUNCATE one if the log is over truncateOver) on a
// connection of its own, closed afterwards: FerretDB's connections stay open, so closing this one never is the
// last close (which would checkpoint fully and remove the log), and a database dropped meanwhile is not held.
func checkpoint(ctx context.Context, file string) error {
	db, err := sql.Open("sqlite", "file:"+file+"?_pragma=busy_timeout(1000)")
	if err != nil {
		return err
	}
	defer db.Close()

	if _, err = db.ExecContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)"); err != nil || walSize(file) <= truncateOver {
		return err
	}

	_, err = db.ExecContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)")

	return err
}
