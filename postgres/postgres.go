package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/nmdc-runtime/server/domain"
)

//go:embed migrations/*.sql
var migrations embed.FS

// DefaultConnectTimeout bounds one connection attempt when neither Options
// nor the URL's connect_timeout set one, so that a database that does not
// answer makes requests fail quickly instead of hanging.
const DefaultConnectTimeout = 5 * time.Second

// Options tunes the connection pool. Zero values keep what the URL says
// (pool_max_conns, connect_timeout, statement_timeout), else pgx's and
// PostgreSQL's defaults.
type Options struct {
	// MaxConns bounds the pool of one instance; pgx's default is the
	// greater of 4 and the number of CPUs.
	MaxConns int32
	// StatementTimeout makes the server cancel any statement that runs
	// longer (PostgreSQL's statement_timeout). When set, every store call
	// also gets a client-side deadline of ConnectTimeout+StatementTimeout,
	// so that a database that silently stops answering fails the call as
	// Unavailable instead of hanging it.
	StatementTimeout time.Duration
	// ConnectTimeout bounds one connection attempt; DefaultConnectTimeout
	// when zero and the URL sets none.
	ConnectTimeout time.Duration
}

// Store is a domain.Store on a PostgreSQL database, safe for several
// server instances at once.
type Store struct {
	pool *pgxpool.Pool
	// callTimeout, when positive, is the deadline of one store call.
	callTimeout time.Duration
}

var _ domain.Store = (*Store)(nil)

// Open connects to the database at url (postgres:// or postgresql://, or a
// keyword/value string) and applies pending migrations.
func Open(ctx context.Context, url string, o Options) (*Store, error) {
	return open(ctx, url, o, true)
}

// ErrNoSchema is returned by OpenExisting for a database (or schema) that
// holds none of this server's tables yet.
var ErrNoSchema = errors.New("the database has no schema yet")

// ErrSchemaBehind is returned by OpenExisting for a database that misses
// migrations.
var ErrSchemaBehind = errors.New("the database schema is behind this version")

// OpenExisting connects without creating tables or applying migrations
// (for dry runs). It returns ErrNoSchema, or an error wrapping
// ErrSchemaBehind, when the schema is not the current one.
func OpenExisting(ctx context.Context, url string, o Options) (*Store, error) {
	return open(ctx, url, o, false)
}

func open(ctx context.Context, url string, o Options, migrate bool) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		// pgx masks the password in this message.
		return nil, fmt.Errorf("database URL: %w", err)
	}
	if o.MaxConns < 0 || o.StatementTimeout < 0 || o.ConnectTimeout < 0 {
		return nil, errors.New("postgres options must not be negative")
	}
	if o.MaxConns > 0 {
		cfg.MaxConns = o.MaxConns
		if cfg.MinConns > cfg.MaxConns {
			cfg.MinConns = cfg.MaxConns
		}
	}
	switch {
	case o.ConnectTimeout > 0:
		cfg.ConnConfig.ConnectTimeout = o.ConnectTimeout
	case cfg.ConnConfig.ConnectTimeout == 0:
		cfg.ConnConfig.ConnectTimeout = DefaultConnectTimeout
	}
	if o.StatementTimeout > 0 {
		ms := max(o.StatementTimeout.Milliseconds(), 1)
		cfg.ConnConfig.RuntimeParams["statement_timeout"] = strconv.FormatInt(ms, 10)
	}
	if cfg.ConnConfig.RuntimeParams["application_name"] == "" {
		cfg.ConnConfig.RuntimeParams["application_name"] = "nmdc-runtime"
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, translate(err)
	}
	s := &Store{pool: pool}
	if o.StatementTimeout > 0 {
		s.callTimeout = cfg.ConnConfig.ConnectTimeout + o.StatementTimeout
	}
	if migrate {
		err = s.migrate(ctx)
	} else {
		err = s.checkSchema(ctx)
	}
	if err != nil {
		pool.Close()
		return nil, err
	}
	return s, nil
}

// Close closes the pool; closing twice is harmless.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	ctx, cancel := s.call(ctx)
	defer cancel()
	if err := s.pool.Ping(ctx); err != nil {
		return errUnavailable(err)
	}
	return nil
}

// Advisory lock keys: one class for this program, the second key derived
// from the schema so that stores in different schemas do not wait on each
// other.
const (
	lockClass     = 0x6e6d6463 // "nmdc"
	lockMigrate   = "migrate "
	lockBootstrap = "bootstrap "
)

// lockSQL takes a transaction-scoped advisory lock named by its argument
// and the current schema.
const lockSQL = `SELECT pg_advisory_xact_lock($1, hashtext($2 || coalesce(current_schema(), '')))`

// migrate applies pending migrations in one transaction, holding an
// advisory lock so that instances starting at once take turns: the first
// applies them, the others then find them recorded.
// checkSchema reports whether every embedded migration is applied, without
// writing.
func (s *Store) checkSchema(ctx context.Context) error {
	var exists bool
	if err := s.pool.QueryRow(ctx, `SELECT to_regclass('schema_migrations') IS NOT NULL`).Scan(&exists); err != nil {
		return translate(err)
	}
	if !exists {
		return ErrNoSchema
	}
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return err
	}
	var applied int
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM schema_migrations`).Scan(&applied); err != nil {
		return translate(err)
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
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(names)
	type migration struct {
		version int
		name    string
	}
	var todo []migration
	seen := map[int]string{}
	for _, name := range names {
		version, err := strconv.Atoi(strings.SplitN(path.Base(name), "_", 2)[0])
		if err != nil {
			return fmt.Errorf("migration %s: name must start with a number", name)
		}
		// Two files with one number would silently skip the second.
		if other, dup := seen[version]; dup {
			return fmt.Errorf("migrations %s and %s share the number %d", other, name, version)
		}
		seen[version] = name
		todo = append(todo, migration{version, name})
	}
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		// Schema changes may legitimately outlast the statement timeout of
		// ordinary calls; the caller's context still bounds them.
		if _, err := tx.Exec(ctx, `SET LOCAL statement_timeout = 0`); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, lockSQL, lockClass, lockMigrate); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
			version    integer PRIMARY KEY,
			applied_at timestamptz NOT NULL DEFAULT now()
		)`); err != nil {
			return err
		}
		for _, m := range todo {
			var done bool
			if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE version = $1)`, m.version).Scan(&done); err != nil {
				return err
			}
			if done {
				continue
			}
			body, err := migrations.ReadFile(m.name)
			if err != nil {
				return err
			}
			// Without arguments pgx uses the simple protocol, which runs
			// a file of several statements.
			if _, err := tx.Exec(ctx, string(body)); err != nil {
				return fmt.Errorf("migration %s: %w", m.name, err)
			}
			if _, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version) VALUES ($1)`, m.version); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("migrate: %w", translate(err))
	}
	return nil
}

// call gives one store call its deadline, when one is configured.
func (s *Store) call(ctx context.Context) (context.Context, context.CancelFunc) {
	if s.callTimeout <= 0 {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, s.callTimeout)
}

// tx runs fn in a transaction, committing when it returns nil.
func (s *Store) tx(ctx context.Context, fn func(ctx context.Context, tx pgx.Tx) error) error {
	ctx, cancel := s.call(ctx)
	defer cancel()
	return translate(pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error { return fn(ctx, tx) }))
}

// storable reports whether a key can be stored in a text column at all:
// PostgreSQL text holds neither NUL nor invalid UTF-8. Lookups of other
// keys are NotFound without asking the database, as no row can match.
func storable(key string) bool {
	return utf8.ValidString(key) && !strings.ContainsRune(key, 0)
}

// nullTime stores the zero time as NULL ("never").
func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t
}

// fromNull reads a nullable timestamptz; NULL is the zero time.
func fromNull(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.UTC()
}

// Setting returns the value stored under name, storing value first when
// the name is absent.
func (s *Store) Setting(ctx context.Context, name string, value []byte) ([]byte, error) {
	ctx, cancel := s.call(ctx)
	defer cancel()
	// Two statements, not one: a losing concurrent INSERT waits for the
	// winner to commit, and only a new statement's snapshot sees its row.
	if _, err := s.pool.Exec(ctx, `INSERT INTO settings (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING`, name, value); err != nil {
		return nil, translate(err)
	}
	var out []byte
	if err := s.pool.QueryRow(ctx, `SELECT value FROM settings WHERE name = $1`, name).Scan(&out); err != nil {
		return nil, translate(err)
	}
	return out, nil
}

// Bootstrap creates the admin site, user and allowances on an empty
// database. An advisory lock makes concurrent first starts take turns, so
// exactly one creates them.
func (s *Store) Bootstrap(ctx context.Context, admin domain.User, allowances []string, now time.Time) (bool, error) {
	created := false
	err := s.tx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, lockSQL, lockClass, lockBootstrap); err != nil {
			return err
		}
		var hasUsers bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM users)`).Scan(&hasUsers); err != nil || hasUsers {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO sites (id, fold_id, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, domain.AdminSiteID, domain.FoldSiteID(domain.AdminSiteID), now); err != nil {
			return err
		}
		if err := insertUser(ctx, tx, admin); err != nil {
			return err
		}
		b := &pgx.Batch{}
		for _, a := range allowances {
			b.Queue(`INSERT INTO allowances (username, action) VALUES ($1, $2) ON CONFLICT DO NOTHING`, admin.Username, a)
		}
		if err := tx.SendBatch(ctx, b).Close(); err != nil {
			return err
		}
		created = true
		return nil
	})
	return created && err == nil, err
}
