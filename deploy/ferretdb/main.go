// Command ferretdb runs an embedded FerretDB v1 (SQLite backend) for Cascade.
//
// Why a program of our own: `go install .../cmd/ferretdb@v1.24.2` builds a
// binary that panics at start-up because the module ships without its
// generated build/version/version.txt. The embeddable package has no such
// dependency, so we wrap it here (see ARCHITECTURE.md, Storage).
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	_ "net/http/pprof" // served only when FERRETDB_PPROF names an address (profiling the store under load)
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"syscall"

	"github.com/FerretDB/FerretDB/ferretdb"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:27017", "TCP address to listen on")
	dataDir := flag.String("data", "data/ferretdb", "directory for the SQLite database files")
	logLevel := flag.String("log-level", "warn", "log level: debug, info, warn, error")
	flag.Parse()

	// Reading documents allocates a lot (sjson decoding, BSON encoding); with Go's default GOGC=100 the
	// garbage collector took ~12% of FerretDB's CPU serving pages of documents. The live heap is small
	// (tens of MB), so trading memory for CPU is cheap. GOGC in the environment still decides.
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}

	// Where the store's CPU goes under a benchmark: `go tool pprof http://ADDR/debug/pprof/profile`.
	if addr := os.Getenv("FERRETDB_PPROF"); addr != "" {
		go func() { fmt.Fprintln(os.Stderr, "ferretdb: pprof:", http.ListenAndServe(addr, nil)) }()
	}

	if err := os.MkdirAll(*dataDir, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, "ferretdb: cannot create data dir:", err)
		os.Exit(1)
	}
	abs, err := filepath.Abs(*dataDir)
	if err != nil {
		fmt.Fprintln(os.Stderr, "ferretdb:", err)
		os.Exit(1)
	}

	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		fmt.Fprintln(os.Stderr, "ferretdb: bad -log-level:", err)
		os.Exit(2)
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))

	f, err := ferretdb.New(&ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{TCP: *listen},
		Logger:    logger,
		Handler:   "sqlite",
		SQLiteURL: sqliteURL(abs),
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "ferretdb:", err)
		os.Exit(1)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	fmt.Fprintf(os.Stderr, "ferretdb: listening on %s, data in %s\n", *listen, abs)
	if err := f.Run(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "ferretdb:", err)
		os.Exit(1)
	}
}

// sqliteURL returns the SQLite URL for the data dir.
//
// FerretDB adds busy_timeout(10000), journal_mode(wal) and auto_vacuum(none) to it.
// journal_size_limit truncates each database's write-ahead log back to 64 MiB whenever
// a checkpoint lets SQLite start it again: without it the file keeps the largest size it ever
// reached (the reports database's WAL stayed at ~440 MB). SQLite checkpoints by itself every
// 1000 pages (wal_autocheckpoint, ~4 MB); reads that answer by index are short, so the log
// can start again soon after.
//
// synchronous(NORMAL): in WAL mode SQLite then syncs the log at checkpoints, not at every commit.
// A commit survives a crash of the store or of any process; only a power cut or an OS crash can take
// back the last commits before a checkpoint, never corrupting the file. That is the guarantee the
// node's bus already gives (JetStream file streams sync every 2 minutes by default), and a sync per
// commit cost 7 % of the store's CPU and a disk flush in every write's latency.
func sqliteURL(dir string) string {
	return "file:" + dir + "/?_pragma=journal_size_limit(67108864)&_pragma=synchronous(NORMAL)"
}
