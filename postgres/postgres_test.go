package postgres_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/nmdc-runtime/server/domain"
	"github.com/nmdc-runtime/server/postgres"
	"github.com/nmdc-runtime/server/postgres/pgtest"
	"github.com/nmdc-runtime/server/storetest"
)

func mustOpen(t *testing.T, dsn string, o postgres.Options) *postgres.Store {
	t.Helper()
	s, err := postgres.Open(t.Context(), dsn, o)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// TestPostgres runs every test that needs a server, so that without one
// the package skips with a single line naming the variable to set.
func TestPostgres(t *testing.T) {
	base := pgtest.BaseDSN(t)
	t.Run("Conformance", func(t *testing.T) {
		storetest.Run(t, func(t *testing.T) domain.Store {
			return mustOpen(t, pgtest.FreshSchema(t, base), postgres.Options{StatementTimeout: 10 * time.Second})
		})
	})
	t.Run("ConcurrentOpen", func(t *testing.T) { testConcurrentOpen(t, base) })
	t.Run("UnstorableText", func(t *testing.T) { testUnstorableText(t, base) })
	t.Run("Unavailable", func(t *testing.T) { testUnavailable(t, base) })
	t.Run("StatementTimeout", func(t *testing.T) { testStatementTimeout(t, base) })
	t.Run("OpenUnreachable", func(t *testing.T) { testOpenUnreachable(t, base) })
	t.Run("OrderIndependentOfLocale", func(t *testing.T) { testOrderIndependentOfLocale(t, base) })
}

// Instances starting at once on one database take turns migrating: every
// Open succeeds and each migration is applied once.
func testConcurrentOpen(t *testing.T, base string) {
	dsn := pgtest.FreshSchema(t, base)
	const n = 4
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			s, err := postgres.Open(t.Context(), dsn, postgres.Options{MaxConns: 2})
			if err == nil {
				s.Close()
			}
			errs[i] = err
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("Open %d: %v", i, err)
		}
	}
	var rows, versions int
	query(t, dsn, `SELECT count(*), count(DISTINCT version) FROM schema_migrations`, &rows, &versions)
	if rows != versions || rows == 0 {
		t.Errorf("schema_migrations has %d rows for %d versions", rows, versions)
	}
	// Reopening finds nothing to do and keeps the data.
	s := mustOpen(t, dsn, postgres.Options{})
	if err := s.CreateUser(t.Context(), domain.User{Username: "alice", PasswordHash: "x", CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s = mustOpen(t, dsn, postgres.Options{})
	if _, err := s.GetUser(t.Context(), "alice"); err != nil {
		t.Errorf("after reopening: %v", err)
	}
}

// Text PostgreSQL cannot hold (NUL, invalid UTF-8) is refused as Invalid,
// never as an unkinded driver error that would become a 500.
func testUnstorableText(t *testing.T, base string) {
	s := mustOpen(t, pgtest.FreshSchema(t, base), postgres.Options{})
	cases := []struct {
		name string
		user domain.User
	}{
		{"NUL in username", domain.User{Username: "a\x00b", PasswordHash: "x", CreatedAt: time.Now()}},
		{"invalid UTF-8 in full name", domain.User{Username: "bob", FullName: "\xff", PasswordHash: "x", CreatedAt: time.Now()}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if k := domain.KindOf(s.CreateUser(t.Context(), tc.user)); k != domain.Invalid {
				t.Errorf("kind %d, want Invalid", k)
			}
		})
	}
	_, err := s.ListSites(t.Context(), domain.ListFilter{After: "\xff", Limit: 5})
	if k := domain.KindOf(err); k != domain.Invalid {
		t.Errorf("ListSites after invalid UTF-8: %v (kind %d), want Invalid", err, k)
	}
}

// A database that cannot be reached is Unavailable, quickly; a store
// recovers by itself when the database returns.
func testUnavailable(t *testing.T, base string) {
	dsn := pgtest.FreshSchema(t, base)
	proxy, viaProxy := pgtest.NewProxy(t, dsn)
	s := mustOpen(t, viaProxy, postgres.Options{StatementTimeout: 5 * time.Second, ConnectTimeout: 2 * time.Second})
	if err := s.CreateUser(t.Context(), domain.User{Username: "alice", PasswordHash: "x", CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}

	proxy.Stop()
	calls := []struct {
		name string
		call func(ctx context.Context) error
	}{
		{"Ping", s.Ping},
		{"GetUser", func(ctx context.Context) error { _, err := s.GetUser(ctx, "alice"); return err }},
		{"CreateSite", func(ctx context.Context) error {
			return s.CreateSite(ctx, domain.Site{ID: "lab", CreatedAt: time.Now()}, "alice")
		}},
		{"ListUsers", func(ctx context.Context) error {
			_, err := s.ListUsers(ctx, domain.ListFilter{Limit: 5})
			return err
		}},
		{"Setting", func(ctx context.Context) error { _, err := s.Setting(ctx, "k", []byte("v")); return err }},
	}
	for _, c := range calls {
		t.Run("down/"+c.name, func(t *testing.T) {
			start := time.Now()
			err := c.call(t.Context())
			if k := domain.KindOf(err); k != domain.Unavailable {
				t.Errorf("got %v (kind %d), want Unavailable", err, k)
			}
			if d := time.Since(start); d > 3*time.Second {
				t.Errorf("took %v to fail", d)
			}
		})
	}

	proxy.Start()
	for _, c := range calls[:2] {
		t.Run("back/"+c.name, func(t *testing.T) {
			if err := c.call(t.Context()); err != nil {
				t.Errorf("after the database returned: %v", err)
			}
		})
	}
}

// A statement that outlasts the statement timeout is Unavailable, not a
// hang: here a lock held by another session blocks the read.
func testStatementTimeout(t *testing.T, base string) {
	dsn := pgtest.FreshSchema(t, base)
	s := mustOpen(t, dsn, postgres.Options{StatementTimeout: 200 * time.Millisecond})

	conn, err := pgx.Connect(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	tx, err := conn.Begin(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(context.Background())
	if _, err := tx.Exec(t.Context(), `LOCK TABLE users IN ACCESS EXCLUSIVE MODE`); err != nil {
		t.Fatal(err)
	}

	start := time.Now()
	_, err = s.GetUser(t.Context(), "alice")
	if k := domain.KindOf(err); k != domain.Unavailable {
		t.Errorf("got %v (kind %d), want Unavailable", err, k)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v to give up", d)
	}
}

func testOpenUnreachable(t *testing.T, base string) {
	dsn := pgtest.FreshSchema(t, base)
	proxy, viaProxy := pgtest.NewProxy(t, dsn)
	proxy.Stop()
	start := time.Now()
	_, err := postgres.Open(t.Context(), viaProxy, postgres.Options{ConnectTimeout: time.Second})
	if k := domain.KindOf(err); k != domain.Unavailable {
		t.Errorf("got %v (kind %d), want Unavailable", err, k)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v to fail", d)
	}
}

func query(t *testing.T, dsn, sql string, dest ...any) {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	if err := conn.QueryRow(t.Context(), sql).Scan(dest...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// Lists sort by code point whatever the database's locale: in an English
// collation "alice" would sort before "Bob" and "_x" first, and paging by
// "key > after" would then skip or repeat rows.
func testOrderIndependentOfLocale(t *testing.T, base string) {
	dsn := pgtest.FreshDatabase(t, base, `TEMPLATE template0 ENCODING 'UTF8' LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C.UTF-8'`)
	s := mustOpen(t, dsn, postgres.Options{})
	want := []string{"Bob", "Zed", "_x", "alice", "émile"}
	for _, name := range []string{"alice", "_x", "émile", "Zed", "Bob"} {
		if err := s.CreateUser(t.Context(), domain.User{Username: name, PasswordHash: "x", CreatedAt: time.Now()}); err != nil {
			t.Fatal(err)
		}
		if err := s.CreateSite(t.Context(), domain.Site{ID: name, CreatedAt: time.Now()}, "alice"); err != nil {
			t.Fatal(err)
		}
	}
	users := pageAll(t, func(f domain.ListFilter) (domain.Page[domain.User], error) { return s.ListUsers(t.Context(), f) },
		func(u domain.User) string { return u.Username })
	if !slices.Equal(users, want) {
		t.Errorf("users paged in order %q, want %q", users, want)
	}
	sites := pageAll(t, func(f domain.ListFilter) (domain.Page[domain.Site], error) { return s.ListSites(t.Context(), f) },
		func(s domain.Site) string { return s.ID })
	if !slices.Equal(sites, want) {
		t.Errorf("sites paged in order %q, want %q", sites, want)
	}
}

func pageAll[T any](t *testing.T, list func(domain.ListFilter) (domain.Page[T], error), key func(T) string) []string {
	t.Helper()
	var got []string
	f := domain.ListFilter{Limit: 2}
	for range 10 {
		p, err := list(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range p.Items {
			got = append(got, key(it))
		}
		if p.NextPageToken == "" {
			break
		}
		f.After, _ = domain.DecodePageToken(p.NextPageToken)
	}
	return got
}
