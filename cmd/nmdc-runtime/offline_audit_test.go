package main

import (
	"database/sql"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/nmdc-runtime/server/client"
)

const importHash = "$2b$10$HM5006ZSjKsGOInmJSj2Qerxo0JEJeGI70drOwpnafZgXT6aYNOhC"

// writeFile writes content to name in a temp dir and returns its path.
func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// auditEvents returns every audit event, newest first, as actor, action,
// target, detail.
func auditEvents(t *testing.T, admin *client.Client) [][4]string {
	t.Helper()
	l, err := admin.ListAudit(t.Context(), "", "", 1000, "")
	if err != nil {
		t.Fatal(err)
	}
	var out [][4]string
	for _, e := range l.Resources {
		out = append(out, [4]string{e.Actor, e.Action, e.Target, e.Detail})
	}
	return out
}

func hasEvent(events [][4]string, actor, action, target string) bool {
	for _, e := range events {
		if e[0] == actor && e[1] == action && e[2] == target {
			return true
		}
	}
	return false
}

// TestOfflineCommandsAreAudited: the bootstrap admin, admin create-admin,
// admin reset-password --enable and a committed import each leave audit
// events that runtime admins read at GET /admin/audit; a dry run leaves
// none, and no event holds a password or hash.
func TestOfflineCommandsAreAudited(t *testing.T) {
	ts := startTest(t, func(c *serveConfig) { c.AuthCacheTTL = 0 })
	admin := mustAdmin(t, ts)
	mustCreateUser(t, admin, "bob")
	disabled := true
	if _, err := admin.UpdateUser(t.Context(), client.UserUpdate{Username: "bob", Disabled: &disabled}); err != nil {
		t.Fatal(err)
	}
	e := &cliEnv{t: t, config: t.TempDir(), env: map[string]string{"NMDC_RUNTIME_DATABASE": ts.cfg.Database, "NMDC_RUNTIME_BCRYPT_COST": "4"}}
	const pw = "an offline password"
	e.ok(pw+"\n", "admin", "create-admin", "carol")
	e.ok(pw+"\n", "admin", "reset-password", "bob", "--enable")

	users := writeFile(t, "users.json", `{"username": "erin", "hashed_password": "`+importHash+`"}`+"\n")
	allowances := writeFile(t, "allowances.json", `{"username": "erin", "action": "/queries:run(query_cmd:DeleteCommand)"}`+"\n")
	mustImport(t, ts.cfg.Database, "--users", users, "--allowances", allowances, "--dry-run")
	before := len(auditEvents(t, admin))
	mustImport(t, ts.cfg.Database, "--users", users, "--allowances", allowances)
	mustImport(t, ts.cfg.Database, "--users", users, "--allowances", allowances) // unchanged: one more summary

	events := auditEvents(t, admin)
	for _, want := range [][3]string{
		{"system:bootstrap", "user.created", "user:" + testAdmin},
		{"offline:admin-command", "user.created", "user:carol"},
		{"offline:admin-command", "allowance.granted", "user:carol"},
		{"offline:admin-command", "user.password_changed", "user:bob"},
		{"offline:admin-command", "user.enabled", "user:bob"},
		{"offline:import", "accounts.imported", "files: " + strings.Join(sorted(users, allowances), ", ")},
	} {
		if !hasEvent(events, want[0], want[1], want[2]) {
			t.Errorf("no audit event %v in %v", want, events)
		}
	}
	var imports []string
	for _, ev := range events {
		if ev[0] == "offline:import" {
			imports = append(imports, ev[3])
		}
	}
	if len(events)-before != 2 || len(imports) != 2 || !strings.Contains(imports[1], "imported 1 user(s), 0 site(s), 0 client(s), 1 allowance(s)") || !strings.Contains(imports[0], "imported 0 user(s)") {
		t.Errorf("import events (a dry run must add none): %d new, %q", len(events)-before, imports)
	}
	for _, ev := range events {
		for _, secret := range []string{pw, importHash, testAdminPW} {
			if strings.Contains(strings.Join(ev[:], " "), secret) {
				t.Errorf("an audit event holds a secret: %v", ev)
			}
		}
	}
	// The filter works on the new actors too.
	l, err := admin.ListAudit(t.Context(), "offline:admin-command", "user.created", 10, "")
	if err != nil || len(l.Resources) != 1 {
		t.Errorf("filtered audit: %+v, %v", l.Resources, err)
	}
}

// TestImportNotesAndLookAlikes: an allowance of an unknown action is
// imported and noted with its file and line; a site id differing from a
// stored or imported one only in ASCII case is a conflict; the note on a
// rule-breaking username names the account it resembles.
func TestImportNotesAndLookAlikes(t *testing.T) {
	forEachBackend(t, func(t *testing.T, newDB func(t *testing.T) string) {
		db := newDB(t)
		users := writeFile(t, "users.json", `{"username": "alice", "hashed_password": "`+importHash+`"}`+"\n")
		sites := writeFile(t, "sites.json", `{"id": "lab-one", "clients": []}`+"\n")
		mustImport(t, db, "--users", users, "--sites", sites)

		// Unknown action: imported, with a note.
		allowances := writeFile(t, "allowances.json", `{"username": "alice", "action": "/admin/site_clients"}`+"\n"+`{"username": "alice", "action": "/future/action"}`+"\n")
		out := mustImport(t, db, "--allowances", allowances)
		wantCounts(t, out, "allowances", 2, 0, 0)
		if !strings.Contains(out, allowances+` line 2: allowance "/future/action" for "alice" is kept although this server knows no such action`) {
			t.Errorf("no note on the unknown action:\n%s", out)
		}

		// Look-alike site ids: of a stored site, and within the export.
		for _, tc := range []struct {
			name, sites, want string
		}{
			{"stored", `{"id": "Lab-One", "clients": []}` + "\n", `line 1: site "Lab-One": looks like the existing site "lab-one"`},
			{"in the export", `{"id": "lab-two", "clients": []}` + "\n" + `{"id": "LAB-TWO", "clients": []}` + "\n", `line 2: site "LAB-TWO": looks like site "lab-two" at line 1`},
		} {
			t.Run(tc.name, func(t *testing.T) {
				before := dumpDB(t, db)
				out, err := runImportCommand(t, "--database", db, "--sites", writeFile(t, "sites.json", tc.sites))
				if err == nil || !strings.Contains(out, tc.want) {
					t.Fatalf("import of a look-alike site: %v\n%s", err, out)
				}
				if after := dumpDB(t, db); after != before {
					t.Errorf("a refused import changed the database")
				}
			})
		}

		// A rule-breaking username that resembles a stored account (a
		// Cyrillic "а") is kept, and the note names that account.
		odd := writeFile(t, "users.json", `{"username": "аlice", "hashed_password": "`+importHash+`"}`+"\n"+`{"username": " bob", "hashed_password": "`+importHash+`"}`+"\n"+`{"username": "bob", "hashed_password": "`+importHash+`"}`+"\n")
		out = mustImport(t, db, "--users", odd, "--dry-run")
		for _, want := range []string{
			`line 1: username "аlice" is kept although new usernames must follow the rule: username must not mix letters`,
			`(it resembles the existing user "alice")`,
			`line 2: username " bob" is kept`,
			`(it resembles the imported user "bob" at line 3)`,
		} {
			if !strings.Contains(out, want) {
				t.Errorf("notes lack %q:\n%s", want, out)
			}
		}
	})
}

// TestImportDryRunCreatesNothing: a dry run on a missing SQLite file
// creates none and reports as on an empty database; on a database whose
// schema is behind it stops without migrating; an import refused for a
// conflict removes the SQLite file it created.
func TestImportDryRunCreatesNothing(t *testing.T) {
	users, sites, allowances := referenceExport(t)
	missing := filepath.Join(t.TempDir(), "new.db")
	out := mustImport(t, missing, "--users", users, "--sites", sites, "--allowances", allowances, "--dry-run")
	wantCounts(t, out, "users", 5, 0, 0)
	if !strings.Contains(out, "holds nothing yet") {
		t.Errorf("report:\n%s", out)
	}
	wantNoDatabase(t, missing)

	// A zero-byte file is an empty database, and stays zero bytes.
	zero := writeFile(t, "zero.db", "")
	out = mustImport(t, zero, "--users", users, "--dry-run")
	if fi, err := os.Stat(zero); err != nil || fi.Size() != 0 || !strings.Contains(out, "holds nothing yet") {
		t.Errorf("dry run on a zero-byte file: %v, %v\n%s", fi, err, out)
	}

	// A conflict within the export aborts a real import: no file is left.
	conflicting := writeFile(t, "sites.json", `{"id": "lab", "clients": []}`+"\n"+`{"id": "LAB", "clients": []}`+"\n")
	if out, err := runImportCommand(t, "--database", missing, "--sites", conflicting); err == nil {
		t.Fatalf("conflicting import succeeded:\n%s", out)
	}
	wantNoDatabase(t, missing)

}

// TestImportDryRunOnOldSchema: on a database whose schema is behind, a dry
// run says so and stops without migrating.
func TestImportDryRunOnOldSchema(t *testing.T) {
	forEachBackend(t, func(t *testing.T, newDB func(t *testing.T) string) {
		users, _, _ := referenceExport(t)
		db := newDB(t)
		mustImport(t, db, "--users", users)
		driver := "sqlite"
		if isPostgresURL(db) {
			driver = "pgx"
		}
		conn, err := sql.Open(driver, db)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		count := func() int {
			var n int
			if err := conn.QueryRow(`SELECT count(*) FROM schema_migrations`).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		if _, err := conn.Exec(`DELETE FROM schema_migrations WHERE version = (SELECT max(version) FROM schema_migrations)`); err != nil {
			t.Fatal(err)
		}
		n := count()
		out, err := runImportCommand(t, "--database", db, "--users", users, "--dry-run")
		if err == nil || !strings.Contains(err.Error(), "schema is behind") || !strings.Contains(err.Error(), "does not migrate") {
			t.Errorf("dry run on an old schema: %v\n%s", err, out)
		}
		if count() != n {
			t.Errorf("the dry run applied migrations")
		}
	})
}

// TestAdminCommandsRefuseEmptyFile: a zero-byte --database is no database.
func TestAdminCommandsRefuseEmptyFile(t *testing.T) {
	empty := writeFile(t, "empty.db", "")
	e := &cliEnv{t: t, config: t.TempDir(), env: map[string]string{"NMDC_RUNTIME_BCRYPT_COST": "4"}}
	for _, args := range [][]string{
		{"admin", "create-admin", "x", "--database", empty},
		{"admin", "reset-password", "x", "--database", empty},
	} {
		r := e.run("a good password\n", args...)
		if r.code() != 1 || !strings.Contains(r.err.Error(), "is an empty file, not a database") {
			t.Errorf("%v: %v", args, r.err)
		}
		if fi, err := os.Stat(empty); err != nil || fi.Size() != 0 {
			t.Errorf("%v changed the empty file: %v, %v", args, fi, err)
		}
	}
}

func sorted(s ...string) []string {
	slices.Sort(s)
	return s
}
