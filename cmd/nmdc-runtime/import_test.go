package main

import (
	"bytes"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nmdc-runtime/server/client"
	"github.com/nmdc-runtime/server/internal/testfixtures"
	"github.com/nmdc-runtime/server/postgres/pgtest"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx", for dumpDB
)

// The plain secrets of ../shared/fixtures/reference-export, from its README.
var (
	referenceUsers = []struct {
		name, password string
		siteAdmin      []string
		disabled       bool
	}{
		{"admin", "admin-pass-1", []string{"nmdc-runtime", "nmdc-runtime-useradmin"}, false},
		{"alice_the_admin", "alice-pass-1", []string{"alice-laptop", "nmdc-runtime-useradmin"}, false},
		{"bob_the_bioinformatician", "bob-pass-1", []string{"bob-laptop"}, false},
		{"carol_disabled", "carol-pass-1", []string{}, true},
	}
	referenceClients = []struct {
		id, site, secret string
		basic            bool // log in with HTTP Basic, else form fields
	}{
		{"sys0abcd1234", "nmdc-runtime", "runtime-client-secret-1", false},
		{"sys0bob00001", "bob-laptop", "bob-client-secret-1", true},
		{"sys0bob00002", "bob-laptop", "bob-client-secret-2", false},
		{"sys0bob00002", "bob-laptop", "bob-client-secret-2", true},
	}
)

// referenceExport returns the fixture export's three files.
func referenceExport(t *testing.T) (users, sites, allowances string) {
	t.Helper()
	dir := testfixtures.Path(t, "reference-export")
	return filepath.Join(dir, "users.json"), filepath.Join(dir, "sites.json"), filepath.Join(dir, "allowances.json")
}

// runImportCommand runs "nmdc-runtime import ARGS" and returns its output.
func runImportCommand(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	err := run(t.Context(), append([]string{"import"}, args...), func(string) string { return "" }, nil, &stdout, &stderr)
	return stdout.String() + stderr.String(), err
}

// mustImport runs an import that must succeed.
func mustImport(t *testing.T, db string, args ...string) string {
	t.Helper()
	out, err := runImportCommand(t, append([]string{"--database", db}, args...)...)
	if err != nil {
		t.Fatalf("import: %v\n%s", err, out)
	}
	return out
}

// mustImportReference imports the whole fixture export into db.
func mustImportReference(t *testing.T, db string, extra ...string) string {
	t.Helper()
	u, s, a := referenceExport(t)
	return mustImport(t, db, append([]string{"--users", u, "--sites", s, "--allowances", a}, extra...)...)
}

// wantCounts checks a report's row: imported (or to import), unchanged,
// conflicting.
func wantCounts(t *testing.T, out, kind string, imported, unchanged, conflicting int) {
	t.Helper()
	re := regexp.MustCompile(`(?m)^` + kind + `\s+(\d+)\s+(\d+)\s+(\d+)\s*$`)
	m := re.FindStringSubmatch(out)
	want := []string{fmt.Sprint(imported), fmt.Sprint(unchanged), fmt.Sprint(conflicting)}
	if m == nil || !slices.Equal(m[1:], want) {
		t.Fatalf("report row %s: want %v in:\n%s", kind, want, out)
	}
}

// dumpDB renders every stored row that an import may write (times left
// out, since an import stamps the current time), to show that a refused
// import changed nothing and that a second run changes nothing.
func dumpDB(t *testing.T, path string) string { // path: a SQLite file or a postgres:// URL
	t.Helper()
	driver, dsn := "sqlite", "file:"+path+"?mode=ro"
	if isPostgresURL(path) {
		driver, dsn = "pgx", path
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var b strings.Builder
	for _, q := range []string{
		`SELECT username, fold_key, email, full_name, disabled, password_hash, tokens_valid_after FROM users ORDER BY username`,
		`SELECT username, site_id FROM site_admins ORDER BY seq`,
		`SELECT id, capability_ids FROM sites ORDER BY id`,
		`SELECT id, site_id, secret_hash, created_by, last_used_at, tokens_valid_after FROM site_clients ORDER BY id`,
		`SELECT username, action FROM allowances ORDER BY username, action`,
	} {
		rows, err := db.Query(q)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		cols, _ := rows.Columns()
		fmt.Fprintln(&b, q)
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			// Moments are stamped at import time: show only whether set.
			for i, c := range cols {
				if c == "tokens_valid_after" || c == "last_used_at" {
					if vals[i] == nil || vals[i] == int64(0) {
						vals[i] = "never"
					} else {
						vals[i] = "set"
					}
				}
			}
			fmt.Fprintf(&b, "  %v\n", vals)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		rows.Close()
	}
	return b.String()
}

func writeTestFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// forEachBackend runs fn on SQLite, and on PostgreSQL when
// RUNTIME_TEST_POSTGRES_DSN is set (skipped otherwise; failed under
// CI=true). newDB returns a fresh, empty database for one test: a file
// path, or a postgres:// URL whose search_path is a new schema.
// wantNoDatabase fails when a SQLite file exists at db, or a PostgreSQL
// schema at db holds any table.
func wantNoDatabase(t *testing.T, db string) {
	t.Helper()
	if !isPostgresURL(db) {
		if _, err := os.Stat(db); !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("a database file was left at %s (stat: %v)", db, err)
		}
		return
	}
	conn, err := sql.Open("pgx", db)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var n int
	if err := conn.QueryRow(`SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema()`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n > 0 {
		t.Fatalf("%d table(s) were created", n)
	}
}

func forEachBackend(t *testing.T, fn func(t *testing.T, newDB func(t *testing.T) string)) {
	t.Run("SQLite", func(t *testing.T) {
		fn(t, func(t *testing.T) string { return filepath.Join(t.TempDir(), "runtime.db") })
	})
	t.Run("PostgreSQL", func(t *testing.T) {
		base := pgtest.BaseDSN(t)
		fn(t, func(t *testing.T) string { return pgtest.FreshSchema(t, base) })
	})
}

// TestImportReferenceExport imports the fixture export into a fresh
// database, starts the server on it, and logs in over HTTP with every
// secret of the fixtures' README: imported bcrypt hashes work unchanged,
// the disabled user cannot log in, sites and clients are there, and each
// imported admin sees its sites in /users/me and has its rights.
func TestImportReferenceExport(t *testing.T) {
	forEachBackend(t, testImportReferenceExport)
}

func testImportReferenceExport(t *testing.T, newDB func(t *testing.T) string) {
	db := newDB(t)
	out := mustImportReference(t, db)
	for _, row := range []struct {
		kind string
		n    int
	}{{"users", 5}, {"sites", 4}, {"clients", 3}, {"allowances", 3}} {
		wantCounts(t, out, row.kind, row.n, 0, 0)
	}
	if !strings.Contains(out, "Import complete") || !strings.Contains(out, "Unknown fields ignored: 0") {
		t.Fatalf("report:\n%s", out)
	}

	// The bootstrap settings of testConfig must not matter: the database
	// has users, so no admin is created and the imported admin's password
	// is the one that works.
	ts := startTest(t, func(c *serveConfig) { c.Database = db })
	// Imported hashes have the existing deployment's cost (2^12 rounds):
	// slow under the race detector, so the logins run one at a time with
	// a generous client timeout.
	slowClient := func() *client.Client {
		c := ts.client()
		c.HTTP.Timeout = 5 * time.Minute
		return c
	}

	ctx := t.Context()
	if _, err := slowClient().Login(ctx, testAdmin, testAdminPW); client.StatusOf(err) != http.StatusUnauthorized {
		t.Fatalf("bootstrap password works on an imported database: %v", err)
	}

	t.Run("users log in and see their sites", func(t *testing.T) {
		for _, u := range referenceUsers {
			t.Run(u.name, func(t *testing.T) {
				c := slowClient()
				_, err := c.Login(ctx, u.name, u.password)
				if u.disabled {
					var ce *client.Error
					if !errorsAs(err, &ce) || ce.Status != http.StatusUnauthorized || !strings.Contains(ce.Detail, "disabled") {
						t.Fatalf("disabled user logged in or got the wrong error: %v", err)
					}
					return
				}
				if err != nil {
					t.Fatalf("login with the imported hash: %v", err)
				}
				me, err := c.Me(ctx)
				if err != nil || me.Username != u.name || !slices.Equal(me.SiteAdmin, u.siteAdmin) {
					t.Fatalf("/users/me = %+v, %v; want site_admin %v", me, err, u.siteAdmin)
				}
				if u.name == "alice_the_admin" && (me.Email == nil || *me.Email != "alice@example.org" || me.FullName == nil || *me.FullName != "Alice Example") {
					t.Fatalf("alice's optional fields were not imported: %+v", me)
				}
				// Runtime admins (admins of nmdc-runtime-useradmin) may
				// create users; the others may not.
				_, err = c.CreateUser(ctx, client.NewUser{Username: "made-by-" + u.name, Password: testPassword})
				if runtimeAdmin := slices.Contains(u.siteAdmin, "nmdc-runtime-useradmin"); runtimeAdmin != (err == nil) {
					t.Fatalf("runtime admin %v, create user: %v", runtimeAdmin, err)
				}
				// Admins of an imported site generate its credentials.
				for _, site := range u.siteAdmin {
					if site == "nmdc-runtime-useradmin" {
						continue
					}
					if _, err := c.GenerateCredentials(ctx, site); err != nil {
						t.Fatalf("generate credentials for %s: %v", site, err)
					}
				}
			})
		}
		t.Run("ORCID-style user with a wrong password", func(t *testing.T) {
			if _, err := slowClient().Login(ctx, "0000-0002-1825-0097", "not-the-password"); client.StatusOf(err) != http.StatusUnauthorized {
				t.Fatalf("login: %v", err)
			}
		})
	})

	t.Run("site clients log in and act for their site", func(t *testing.T) {
		for _, sc := range referenceClients {
			t.Run(fmt.Sprintf("%s basic=%v", sc.id, sc.basic), func(t *testing.T) {
				c := slowClient()
				if _, err := c.LoginClient(ctx, sc.id, sc.secret, sc.basic); err != nil {
					t.Fatalf("client login with the imported bcrypt hash: %v", err)
				}
				me, err := c.Me(ctx)
				if err != nil || me.Username != sc.id || me.SiteID != sc.site || len(me.SiteAdmin) != 0 {
					t.Fatalf("client /users/me = %+v, %v", me, err)
				}
			})
		}
		t.Run("wrong secret", func(t *testing.T) {
			if _, err := slowClient().LoginClient(ctx, "sys0bob00002", "bob-client-secret-1", false); client.StatusOf(err) != http.StatusUnauthorized {
				t.Fatalf("login: %v", err)
			}
		})
	})

	t.Run("sites and clients are listed", func(t *testing.T) {
		list, err := ts.client().ListSites(ctx, 100, "")
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, s := range list.Resources {
			ids = append(ids, s.ID)
			if s.ID == "bob-laptop" && !slices.Equal(s.CapabilityIDs, []string{"metagenome-annotation-1.0.0"}) {
				t.Errorf("bob-laptop capability_ids = %v", s.CapabilityIDs)
			}
		}
		for _, want := range []string{"alice-laptop", "bob-laptop", "nmdc-runtime", "nmdc-runtime-useradmin"} {
			if !slices.Contains(ids, want) {
				t.Errorf("GET /sites lacks %s: %v", want, ids)
			}
		}
		// Each site's admin lists its clients over HTTP (with a token made
		// as the existing deployment makes them, to spare bcrypt logins).
		for admin, want := range map[string][2]string{
			"admin":                    {"nmdc-runtime", "sys0abcd1234"},
			"bob_the_bioinformatician": {"bob-laptop", "sys0bob00001 sys0bob00002"},
		} {
			tok := existingDeploymentToken(testJWTKey, "user:"+admin, time.Now().Add(time.Hour))
			r := send(t, http.MethodGet, ts.URL+"/sites/"+want[0]+"/clients?max_page_size=100", bearer(tok), nil)
			if r.Status != http.StatusOK {
				t.Fatalf("GET /sites/%s/clients: %d %s", want[0], r.Status, r.Body)
			}
			var list struct {
				Resources []struct {
					ID     string `json:"id"`
					SiteID string `json:"site_id"`
				} `json:"resources"`
			}
			if err := json.Unmarshal(r.Body, &list); err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, c := range list.Resources {
				ids = append(ids, c.ID)
				if c.SiteID != want[0] {
					t.Errorf("client %s of %s lists site %q", c.ID, want[0], c.SiteID)
				}
			}
			for _, id := range strings.Fields(want[1]) {
				if !slices.Contains(ids, id) {
					t.Errorf("GET /sites/%s/clients = %v, lacks %s", want[0], ids, id)
				}
			}
			if strings.Contains(string(r.Body), "$2b$") {
				t.Errorf("a client list shows a hash: %s", r.Body)
			}
		}
		// The store keeps each imported client with its site and its hash
		// as it was.
		hashes := map[string]string{
			"sys0abcd1234": "$2b$12$wb1qrDsv3S4Tjc/lA4Qytu4UW7IHy19Y3R5/ZF5JQJis2x5osQKqm",
			"sys0bob00001": "$2b$12$wG4aEjD/SYd8sULGDjogYeW9A1UTvswWz8FoXeTAa6s2YPdGjVGna",
			"sys0bob00002": "$2b$10$HM5006ZSjKsGOInmJSj2Qerxo0JEJeGI70drOwpnafZgXT6aYNOhC",
		}
		for _, sc := range referenceClients {
			got, err := ts.store.GetSiteClient(ctx, sc.id)
			if err != nil || got.SiteID != sc.site || got.SecretHash != hashes[sc.id] {
				t.Errorf("client %s = %+v, %v", sc.id, got, err)
			}
		}
	})
}

// TestImportIsIdempotentAndDryRunWritesNothing: a dry run reports what
// would change and writes nothing; a second import changes nothing and
// reports every item as unchanged; a --jsonArray export of the same
// documents is the same import.
func TestImportIsIdempotentAndDryRunWritesNothing(t *testing.T) {
	forEachBackend(t, testImportIsIdempotent)
}

func testImportIsIdempotent(t *testing.T, newDB func(t *testing.T) string) {
	db := newDB(t)
	out := mustImportReference(t, db, "--dry-run")
	if !strings.Contains(out, "Dry run: nothing was written") {
		t.Fatalf("dry run report:\n%s", out)
	}
	wantCounts(t, out, "users", 5, 0, 0)
	wantCounts(t, out, "clients", 3, 0, 0)
	if !strings.Contains(out, "holds nothing yet") {
		t.Errorf("the dry run on a new database does not say it is empty:\n%s", out)
	}
	wantNoDatabase(t, db)

	mustImportReference(t, db)
	first := dumpDB(t, db)
	for _, want := range []string{"alice_the_admin", "metagenome-annotation-1.0.0", "sys0bob00002", "/admin/site_clients"} {
		if !strings.Contains(first, want) {
			t.Fatalf("the dump lacks %q:\n%s", want, first)
		}
	}
	for _, extra := range [][]string{nil, {"--dry-run"}} {
		out = mustImportReference(t, db, extra...)
		for _, row := range []struct {
			kind string
			n    int
		}{{"users", 5}, {"sites", 4}, {"clients", 3}, {"allowances", 3}} {
			wantCounts(t, out, row.kind, 0, row.n, 0)
		}
		if got := dumpDB(t, db); got != first {
			t.Fatalf("run %v changed the database:\n%s\nwant:\n%s", extra, got, first)
		}
	}

	// The same documents as one JSON array per file, pretty-printed.
	arrayDB := newDB(t)
	dir := filepath.Join("testdata", "reference-export-array")
	out = mustImport(t, arrayDB, "--users", filepath.Join(dir, "users.json"), "--sites", filepath.Join(dir, "sites.json"), "--allowances", filepath.Join(dir, "allowances.json"))
	wantCounts(t, out, "users", 5, 0, 0)
	if got := dumpDB(t, arrayDB); got != first {
		t.Fatalf("the array export imported differently:\n%s\nwant:\n%s", got, first)
	}
	// And importing it over the line-per-document import changes nothing.
	out = mustImport(t, db, "--users", filepath.Join(dir, "users.json"), "--sites", filepath.Join(dir, "sites.json"), "--allowances", filepath.Join(dir, "allowances.json"))
	wantCounts(t, out, "sites", 0, 4, 0)
}

// TestImportRefusesBadInputAndConflicts: a malformed line, an invalid
// document or a conflict with stored data stops the import with an error
// naming the file and line; the database is exactly as before. Each file
// starts with valid new documents, so a half-done import would show.
func TestImportRefusesBadInputAndConflicts(t *testing.T) {
	forEachBackend(t, testImportRefuses)
}

func testImportRefuses(t *testing.T, newDB func(t *testing.T) string) {
	const (
		hash      = `"$2b$10$HM5006ZSjKsGOInmJSj2Qerxo0JEJeGI70drOwpnafZgXT6aYNOhC"`
		otherHash = `"$2b$10$tdU.R1yGqFN0rWdPVEzjkeRC05N7IuZVo0kRo97ZugH/j7mo5FG2u"`
		newUser   = `{"_id": {"$oid": "0123456789abcdef01234567"}, "username": "erin", "hashed_password": ` + hash + `, "site_admin": ["erin-lab"]}` + "\n"
		newSite   = `{"_id": {"$oid": "0123456789abcdef01234568"}, "id": "erin-lab", "clients": [{"id": "sys0erin0001", "hashed_secret": ` + hash + `}]}` + "\n"
	)
	tests := []struct {
		name                    string
		users, sites, allowance string
		// conflict: the import is refused as a conflict (report printed);
		// otherwise as invalid input.
		conflict bool
		mention  []string
	}{
		{
			name:    "truncated line",
			users:   newUser + `{"_id": {"$oid": "0123456789abcdef01234569"}, "username": "frank", "hashed_pass`,
			mention: []string{"users.json line 2", "ends early"},
		},
		{
			name:    "bad $oid",
			sites:   newSite + `{"_id": {"$oid": "not-an-object-id"}, "id": "frank-lab"}` + "\n",
			mention: []string{"sites.json line 2", "$oid", "24 hexadecimal digits"},
		},
		{
			name:    "duplicated username within one file",
			users:   newUser + `{"username": "frank", "hashed_password": ` + hash + `}` + "\n" + `{"username": "erin", "hashed_password": ` + hash + `}` + "\n",
			mention: []string{"users.json line 3", `username "erin" is also at line 1`},
		},
		{
			name:    "duplicated site id within one file",
			sites:   newSite + `{"id": "erin-lab"}` + "\n",
			mention: []string{"sites.json line 2", `site id "erin-lab" is also at line 1`},
		},
		{
			name:    "hash this server cannot verify",
			users:   newUser + `{"username": "frank", "hashed_password": "pbkdf2:sha256:260000$abc$def"}` + "\n",
			mention: []string{"users.json line 2", "not a bcrypt hash"},
		},
		{
			name:    "array file with a truncated document",
			users:   "[\n" + strings.TrimSuffix(newUser, "\n") + ",\n" + `{"username": "frank", "hashed_password": ` + hash,
			mention: []string{"users.json line 3", "truncated"},
		},
		{
			name:     "username present with other contents",
			users:    newUser + `{"username": "admin", "hashed_password": ` + otherHash + `, "site_admin": ["nmdc-runtime", "nmdc-runtime-useradmin"]}` + "\n",
			conflict: true,
			mention:  []string{`users.json line 2: user "admin": already present with a different password hash`},
		},
		{
			name:     "user's site_admin differs",
			users:    newUser + `{"username": "bob_the_bioinformatician", "hashed_password": "$2b$12$dZ4n/u2aGOQUvcyBmfjrj.ZLBOM09eRyVSL5IXtq4cP8h1cpe6a5O", "site_admin": ["bob-laptop", "nmdc-runtime-useradmin"]}` + "\n",
			conflict: true,
			mention:  []string{`users.json line 2: user "bob_the_bioinformatician"`, "site_admin"},
		},
		{
			name:     "look-alike of an existing username",
			users:    newUser + `{"username": "ＡＤＭＩＮ", "hashed_password": ` + hash + `}` + "\n",
			conflict: true,
			mention:  []string{"users.json line 2", `looks like the existing user "admin"`},
		},
		{
			name:     "look-alikes within one file",
			users:    newUser + `{"username": "Erin", "hashed_password": ` + hash + `}` + "\n",
			conflict: true,
			mention:  []string{"users.json line 2", `looks like user "erin" at line 1`},
		},
		{
			name:     "site present with other capabilities",
			sites:    newSite + `{"id": "alice-laptop", "capability_ids": ["something-else"]}` + "\n",
			conflict: true,
			mention:  []string{`sites.json line 2: site "alice-laptop": already present with different capability_ids`},
		},
		{
			name:     "client present with another secret",
			sites:    newSite + `{"id": "bob-laptop", "capability_ids": ["metagenome-annotation-1.0.0"], "clients": [{"id": "sys0bob00001", "hashed_secret": ` + otherHash + `}]}` + "\n",
			conflict: true,
			mention:  []string{`sites.json line 2: client "sys0bob00001": already present with a different secret hash`},
		},
		{
			name:     "client present for another site",
			sites:    `{"id": "erin-lab", "clients": [{"id": "sys0bob00002", "hashed_secret": "$2b$10$HM5006ZSjKsGOInmJSj2Qerxo0JEJeGI70drOwpnafZgXT6aYNOhC"}]}` + "\n",
			conflict: true,
			mention:  []string{`sites.json line 1: client "sys0bob00002": already present for site "bob-laptop", not "erin-lab"`},
		},
		{
			name:      "allowance for a user nobody has",
			users:     newUser,
			allowance: `{"username": "erin", "action": "/admin/site_clients"}` + "\n" + `{"username": "ghost", "action": "/admin/allowances"}` + "\n",
			conflict:  true,
			mention:   []string{"allowances.json line 2", `names user "ghost"`},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			db := newDB(t)
			mustImportReference(t, db)
			before := dumpDB(t, db)
			args := []string{"--database", db}
			for flag, content := range map[string]string{"--users": tc.users, "--sites": tc.sites, "--allowances": tc.allowance} {
				if content != "" {
					args = append(args, flag, writeTestFile(t, dir, strings.TrimPrefix(flag, "--")+".json", content))
				}
			}
			for _, dry := range []bool{true, false} {
				a := args
				if dry {
					a = append(slices.Clone(args), "--dry-run")
				}
				out, err := runImportCommand(t, a...)
				if err == nil {
					t.Fatalf("import (dry run %v) succeeded:\n%s", dry, out)
				}
				text := err.Error() + "\n" + out
				for _, m := range tc.mention {
					if !strings.Contains(text, m) {
						t.Errorf("dry run %v: output does not mention %q:\n%s", dry, m, text)
					}
				}
				if tc.conflict != strings.Contains(out, "Import aborted because of conflicts: nothing was written") {
					t.Errorf("dry run %v: conflict %v, report:\n%s", dry, tc.conflict, text)
				}
				if !strings.Contains(text, "nothing was imported") {
					t.Errorf("dry run %v: the error does not say that nothing was imported:\n%s", dry, text)
				}
				if after := dumpDB(t, db); after != before {
					t.Fatalf("a refused import changed the database:\n%s\nwas:\n%s", after, before)
				}
			}
		})
	}
}

// TestImportReportsUnknownFieldsAndNotes: unknown fields are ignored and
// counted; site ids outside the new-id rule and site_admin entries naming
// missing sites are kept and reported.
func TestImportReportsUnknownFieldsAndNotes(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "runtime.db")
	users := writeTestFile(t, dir, "users.json",
		`{"_id": {"$oid": "0123456789abcdef01234567"}, "username": "erin", "hashed_password": "$2b$10$HM5006ZSjKsGOInmJSj2Qerxo0JEJeGI70drOwpnafZgXT6aYNOhC", "site_admin": ["erin lab/old", "later-site"], "email": null, "nickname": "e", "created_at": {"$date": {"$numberLong": "1714564800123"}}}`+"\n"+
			`{"username": "Frank Old", "hashed_password": "$2b$10$HM5006ZSjKsGOInmJSj2Qerxo0JEJeGI70drOwpnafZgXT6aYNOhC"}`+"\n")
	sites := writeTestFile(t, dir, "sites.json",
		`{"_id": {"$oid": "0123456789abcdef01234568"}, "id": "erin lab/old", "capability_ids": null, "clients": [{"id": "sys0erin", "hashed_secret": "$2b$10$HM5006ZSjKsGOInmJSj2Qerxo0JEJeGI70drOwpnafZgXT6aYNOhC", "note": "x"}], "created_at": {"$date": "2020-01-02T03:04:05Z"}, "owner": "erin"}`+"\n")
	out := mustImport(t, db, "--users", users, "--sites", sites)
	for _, m := range []string{
		"Unknown fields ignored: 3: sites.clients.note (1), sites.owner (1), users.nickname (1)",
		`site id "erin lab/old" is kept although new site ids must follow the rule`,
		`user "erin" administers site "later-site", which does not exist`,
		`users.json line 2: username "Frank Old" is kept although new usernames must follow the rule`,
	} {
		if !strings.Contains(out, m) {
			t.Errorf("report does not mention %q:\n%s", m, out)
		}
	}
	wantCounts(t, out, "clients", 1, 0, 0)
	wantCounts(t, out, "users", 2, 0, 0)
}

// TestImportUsage: the command needs a file, and a missing file is named.
func TestImportUsage(t *testing.T) {
	db := filepath.Join(t.TempDir(), "runtime.db")
	_, err := runImportCommand(t, "--database", db)
	if exitCode(err) != 2 || !strings.Contains(err.Error(), "--users") {
		t.Fatalf("no files: %v (exit %d)", err, exitCode(err))
	}
	_, err = runImportCommand(t, "--database", db, "--users", filepath.Join(t.TempDir(), "missing.json"))
	if err == nil || !strings.Contains(err.Error(), "missing.json") {
		t.Fatalf("missing file: %v", err)
	}
	if _, statErr := os.Stat(db); statErr == nil {
		t.Fatal("a failed import created the database")
	}
	_, err = runImportCommand(t, "--database", db, "--users")
	if exitCode(err) != 2 {
		t.Fatalf("flag without value: %v", err)
	}
}
