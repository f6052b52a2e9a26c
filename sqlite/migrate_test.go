package sqlite_test

import (
	"database/sql"
	"os"
	"path/filepath"
	"testing"

	_ "modernc.org/sqlite"

	"github.com/nmdc-runtime/server/domain"
	"github.com/nmdc-runtime/server/sqlite"
)

// TestMigrateLookAlikeSites: a database made before site ids were unique
// after case folding may hold look-alikes; migration 0003 keeps them all,
// and new look-alikes of any of them are refused.
func TestMigrateLookAlikeSites(t *testing.T) {
	path := filepath.Join(t.TempDir(), "runtime.db")
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	for i, name := range []string{"migrations/0001_initial.sql", "migrations/0002_lifecycle.sql"} {
		body, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec(string(body)); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if _, err := db.Exec(`INSERT INTO schema_migrations VALUES (?, 0)`, i+1); err != nil {
			t.Fatal(err)
		}
	}
	for _, id := range []string{"lab", "LAB", "Lab", "other"} {
		if _, err := db.Exec(`INSERT INTO sites (id, created_at) VALUES (?, 1)`, id); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.Exec(`INSERT INTO users (username, fold_key, password_hash, created_at) VALUES ('alice', 'alice', 'x', 1)`); err != nil {
		t.Fatal(err)
	}
	db.Close()

	s, err := sqlite.Open(t.Context(), path)
	if err != nil {
		t.Fatalf("open (migrate): %v", err)
	}
	defer s.Close()
	for _, id := range []string{"lab", "LAB", "Lab", "other"} {
		if _, err := s.GetSite(t.Context(), id); err != nil {
			t.Errorf("GetSite(%q) after migrating: %v", id, err)
		}
	}
	for _, id := range []string{"lAB", "OTHER"} {
		err := s.CreateSite(t.Context(), domain.Site{ID: id}, "alice")
		if domain.KindOf(err) != domain.Conflict {
			t.Errorf("CreateSite(%q) after migrating: %v, want Conflict", id, err)
		}
	}
	if err := s.CreateSite(t.Context(), domain.Site{ID: "new-lab"}, "alice"); err != nil {
		t.Errorf("CreateSite(new-lab): %v", err)
	}
}
