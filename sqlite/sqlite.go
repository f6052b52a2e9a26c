package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/nmdc-runtime/server/domain"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Store is a domain.Store on one SQLite file. Writes go through a single
// connection (SQLite has one writer at a time; queuing them in Go avoids
// busy errors), reads through a pool that WAL lets run beside the writer.
type Store struct {
	write *sql.DB
	read  *sql.DB
}

var _ domain.Store = (*Store)(nil)

// Open opens or creates the database at path and applies migrations.
func Open(ctx context.Context, path string) (*Store, error) {
	return open(ctx, path, true)
}

// ErrNoSchema is returned by OpenExisting for a database that holds none
// of this server's tables yet.
var ErrNoSchema = errors.New("the database has no schema yet")

// ErrSchemaBehind is returned by OpenExisting for a database that misses
// migrations.
var ErrSchemaBehind = errors.New("the database schema is behind this version")

// OpenExisting opens the database at path for reading what it holds,
// without creating the file or applying migrations (for dry runs). It
// returns ErrNoSchema, or an error wrapping ErrSchemaBehind, when the
// schema is not the current one.
func OpenExisting(ctx context.Context, path string) (*Store, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if fi.Size() == 0 {
		return nil, ErrNoSchema // opening would write a header
	}
	return open(ctx, path, false)
}

func open(ctx context.Context, path string, migrate bool) (*Store, error) {
	if migrate {
		if dir := filepath.Dir(path); dir != "" {
			if err := os.MkdirAll(dir, 0o700); err != nil {
				return nil, fmt.Errorf("create database directory: %w", err)
			}
		}
		// The file holds password hashes and perhaps the signing key: create
		// it for its owner only before SQLite opens it, since SQLite gives the
		// -wal and -shm files the database file's permissions.
		if f, err := os.OpenFile(path, os.O_RDONLY|os.O_CREATE, 0o600); err == nil {
			f.Close()
		}
	}
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		if err := os.Chmod(p, 0o600); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("restrict %s to its owner: %w", p, err)
		}
	}
	dsn := func(extra string) string {
		q := url.Values{}
		pragmas := []string{"busy_timeout(10000)", "foreign_keys(1)", "synchronous(NORMAL)"}
		if migrate {
			// Read-only openers leave the journal mode (kept in the file) as it is.
			pragmas = append(pragmas, "journal_mode(WAL)")
		}
		for _, p := range pragmas {
			q.Add("_pragma", p)
		}
		return "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + q.Encode() + extra
	}
	w, err := sql.Open("sqlite", dsn("&_txlock=immediate"))
	if err != nil {
		return nil, err
	}
	w.SetMaxOpenConns(1)
	w.SetConnMaxIdleTime(0)
	s := &Store{write: w}
	if migrate {
		err = s.migrate(ctx)
	} else {
		err = s.checkSchema(ctx)
	}
	if err != nil {
		w.Close()
		return nil, err
	}
	r, err := sql.Open("sqlite", dsn(""))
	if err != nil {
		w.Close()
		return nil, err
	}
	r.SetMaxOpenConns(8)
	r.SetMaxIdleConns(8)
	s.read = r
	return s, nil
}

// Close closes both connection pools.
func (s *Store) Close() error {
	return errors.Join(s.read.Close(), s.write.Close())
}

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.read.PingContext(ctx); err != nil {
		return &domain.Error{Kind: domain.Unavailable, Message: "The database is unavailable", Cause: err}
	}
	return nil
}

// checkSchema reports whether every embedded migration is applied, without
// writing.
func (s *Store) checkSchema(ctx context.Context) error {
	var tables int
	if err := s.write.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'`).Scan(&tables); err != nil {
		return err
	}
	if tables == 0 {
		return ErrNoSchema
	}
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return err
	}
	var applied int
	if err := s.write.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations`).Scan(&applied); err != nil {
		return err
	}
	switch {
	case applied == 0:
		return ErrNoSchema
	case applied < len(names):
		return fmt.Errorf("%w: %d of %d migrations applied", ErrSchemaBehind, applied, len(names))
	}
	return nil
}

func (s *Store) migrate(ctx context.Context) error {
	if _, err := s.write.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)`); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(names)
	seen := map[int]string{}
	for _, name := range names {
		version, err := strconv.Atoi(strings.SplitN(filepath.Base(name), "_", 2)[0])
		if err != nil {
			return fmt.Errorf("migration %s: name must start with a number", name)
		}
		// Two files with one number would silently skip the second.
		if other, dup := seen[version]; dup {
			return fmt.Errorf("migrations %s and %s share the number %d", other, name, version)
		}
		seen[version] = name
		body, err := migrations.ReadFile(name)
		if err != nil {
			return err
		}
		err = s.tx(ctx, func(tx *sql.Tx) error {
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations WHERE version = ?`, version).Scan(&n); err != nil || n > 0 {
				return err
			}
			if _, err := tx.ExecContext(ctx, string(body)); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)`, version, time.Now().UnixMilli())
			return err
		})
		if err != nil {
			return fmt.Errorf("migration %s: %w", name, err)
		}
	}
	return nil
}

// tx runs fn in a write transaction, committing when it returns nil.
func (s *Store) tx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return translate(err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	return translate(tx.Commit())
}

// sqliteCode returns the extended result code of a driver error, or 0.
func sqliteCode(err error) int {
	var e *sqlite.Error
	if errors.As(err, &e) {
		return e.Code()
	}
	return 0
}

func isUnique(err error) bool {
	c := sqliteCode(err)
	return c == sqlite3.SQLITE_CONSTRAINT_UNIQUE || c == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
}

func isForeignKey(err error) bool {
	return sqliteCode(err) == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY
}

// translate gives driver errors that a caller can act on a domain kind.
func translate(err error) error {
	if err == nil {
		return nil
	}
	var de *domain.Error
	if errors.As(err, &de) {
		return err
	}
	switch sqliteCode(err) & 0xff {
	case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
		return &domain.Error{Kind: domain.Unavailable, Message: "The database is busy; try again", Cause: err}
	case sqlite3.SQLITE_FULL, sqlite3.SQLITE_IOERR, sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_READONLY:
		return &domain.Error{Kind: domain.Unavailable, Message: "The database is unavailable", Cause: err}
	}
	return err
}

func ms(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func fromMS(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMilli(v).UTC()
}

// Setting returns the value stored under name, storing value first when
// the name is absent.
func (s *Store) Setting(ctx context.Context, name string, value []byte) ([]byte, error) {
	var out []byte
	err := s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO settings (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING`, name, value); err != nil {
			return err
		}
		return tx.QueryRowContext(ctx, `SELECT value FROM settings WHERE name = ?`, name).Scan(&out)
	})
	return out, translate(err)
}

// Bootstrap creates the admin site, user and allowances on an empty database.
func (s *Store) Bootstrap(ctx context.Context, admin domain.User, allowances []string, now time.Time) (bool, error) {
	created := false
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM users`).Scan(&n); err != nil || n > 0 {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO sites (id, fold_id, capability_ids, created_at) VALUES (?, ?, '[]', ?) ON CONFLICT DO NOTHING`, domain.AdminSiteID, domain.FoldSiteID(domain.AdminSiteID), ms(now)); err != nil {
			return err
		}
		if err := insertUser(ctx, tx, admin); err != nil {
			return err
		}
		for _, a := range allowances {
			if _, err := tx.ExecContext(ctx, `INSERT INTO allowances (username, action) VALUES (?, ?) ON CONFLICT DO NOTHING`, admin.Username, a); err != nil {
				return err
			}
		}
		created = true
		return nil
	})
	return created, translate(err)
}
