package main

import (
	"context"
	"database/sql"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// rowsInFile counts t's rows as the database file alone holds them: immutable=1 reads the file and never its log.
func rowsInFile(t *testing.T, file string) int {
	t.Helper()

	db, err := sql.Open("sqlite", "file:"+file+"?immutable=1")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()

	var n int
	if err := db.QueryRow("SELECT count(*) FROM t").Scan(&n); err != nil {
		return 0 // the table itself is still only in the log
	}

	return n
}

// TestCheckpointAll: commits stay in the log while the writers' connections never checkpoint; one turn of the
// loop copies them into the database file, with the writer's connection still open and writing afterwards.
func TestCheckpointAll(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "db.sqlite")
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))

	writer, err := sql.Open("sqlite", "file:"+file+"?_pragma=journal_mode(wal)&_pragma=wal_autocheckpoint(0)")
	if err != nil {
		t.Fatal(err)
	}
	defer writer.Close()
	writer.SetMaxOpenConns(1)

	if _, err := writer.Exec("CREATE TABLE t (v TEXT)"); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 200; i++ { // 200 transactions, as 200 update statements are
		if _, err := writer.Exec("INSERT INTO t VALUES (?)", "a value of some length"); err != nil {
			t.Fatal(err)
		}
	}

	if info, err := os.Stat(file + "-wal"); err != nil || info.Size() == 0 {
		t.Fatalf("expected the commits in the log: %v %v", info, err)
	}
	if n := rowsInFile(t, file); n != 0 {
		t.Fatalf("nothing should be checkpointed yet, the file holds %d rows", n)
	}

	checkpointAll(context.Background(), dir, logger)
	if n := rowsInFile(t, file); n != 200 {
		t.Fatalf("after a turn the file should hold 200 rows, it holds %d", n)
	}

	// The writer goes on (the log starts again from its beginning) and the next turn copies what it wrote.
	if _, err := writer.Exec("INSERT INTO t VALUES ('one more')"); err != nil {
		t.Fatal(err)
	}
	checkpointAll(context.Background(), dir, logger)
	if n := rowsInFile(t, file); n != 201 {
		t.Fatalf("after the next turn the file should hold 201 rows, it holds %d", n)
	}

	// A database whose log is empty, or a file gone meanwhile, is passed over without error.
	if err := os.WriteFile(filepath.Join(dir, "empty.sqlite-wal"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	checkpointAll(context.Background(), dir, logger)
}

// TestCheckpointTruncates: a log still used by a read cannot start again; past truncateOver the turn waits for
// that read to end and empties the log, and nothing written is lost.
func TestCheckpointTruncates(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "db.sqlite")
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	defer func(old int64) { truncateOver = old }(truncateOver)
	truncateOver = 64 << 10

	writer, err := sql.Open("sqlite", "file:"+file+"?_pragma=journal_mode(wal)&_pragma=wal_autocheckpoint(0)")
	if err != nil {
		t.Fatal(err)
	}
	defer writer.Close()
	writer.SetMaxOpenConns(1)
	reader, err := sql.Open("sqlite", "file:"+file)
	if err != nil {
		t.Fatal(err)
	}
	defer reader.Close()

	if _, err := writer.Exec("CREATE TABLE t (v TEXT)"); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 500; i++ {
		if _, err := writer.Exec("INSERT INTO t VALUES (?)", "a value of some length, written many times"); err != nil {
			t.Fatal(err)
		}
	}
	if walSize(file) <= truncateOver {
		t.Fatalf("the log should be over %d bytes: %d", truncateOver, walSize(file))
	}

	// A read in progress (a transaction holding its snapshot), ended a moment after the turn began.
	tx, err := reader.Begin()
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := tx.QueryRow("SELECT count(*) FROM t").Scan(&n); err != nil || n != 500 {
		t.Fatal(n, err)
	}
	go func() { time.Sleep(100 * time.Millisecond); _ = tx.Rollback() }()

	checkpointAll(context.Background(), dir, logger)
	if size := walSize(file); size != 0 {
		t.Fatalf("the log should be emptied, it holds %d bytes", size)
	}
	if n := rowsInFile(t, file); n != 500 {
		t.Fatalf("the file should hold the 500 rows, it holds %d", n)
	}
}
