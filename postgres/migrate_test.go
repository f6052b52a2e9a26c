package postgres_test

import (
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/nmdc-runtime/server/domain"
	"github.com/nmdc-runtime/server/postgres"
	"github.com/nmdc-runtime/server/postgres/pgtest"
)

// TestMigrateLookAlikeSites: a database made before site ids were unique
// after case folding may hold look-alikes; migration 0003 keeps them all,
// and new look-alikes of any of them are refused.
func TestMigrateLookAlikeSites(t *testing.T) {
	dsn := pgtest.FreshSchema(t, pgtest.BaseDSN(t))
	ctx := t.Context()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	exec := func(sql string, args ...any) {
		t.Helper()
		if _, err := conn.Exec(ctx, sql, args...); err != nil {
			t.Fatalf("%.60s: %v", sql, err)
		}
	}
	exec(`CREATE TABLE schema_migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`)
	for i, name := range []string{"migrations/0001_initial.sql", "migrations/0002_lifecycle.sql"} {
		body, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		exec(string(body))
		exec(`INSERT INTO schema_migrations (version) VALUES ($1)`, i+1)
	}
	for _, id := range []string{"lab", "LAB", "Lab", "other"} {
		exec(`INSERT INTO sites (id, created_at) VALUES ($1, now())`, id)
	}
	exec(`INSERT INTO users (username, fold_key, password_hash, created_at) VALUES ('alice', 'alice', 'x', now())`)
	conn.Close(ctx)

	s := mustOpen(t, dsn, postgres.Options{StatementTimeout: 10 * time.Second})
	for _, id := range []string{"lab", "LAB", "Lab", "other"} {
		if _, err := s.GetSite(ctx, id); err != nil {
			t.Errorf("GetSite(%q) after migrating: %v", id, err)
		}
	}
	for _, id := range []string{"lAB", "OTHER"} {
		err := s.CreateSite(ctx, domain.Site{ID: id, CreatedAt: time.Now()}, "alice")
		if domain.KindOf(err) != domain.Conflict {
			t.Errorf("CreateSite(%q) after migrating: %v, want Conflict", id, err)
		}
	}
	if err := s.CreateSite(ctx, domain.Site{ID: "new-lab", CreatedAt: time.Now()}, "alice"); err != nil {
		t.Errorf("CreateSite(new-lab): %v", err)
	}
}
