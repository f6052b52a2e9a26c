package main

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/nmdc-runtime/server/client"
	"github.com/nmdc-runtime/server/postgres/pgtest"
)

// TestCLIAdminOffline resets a password and creates an admin on the
// database of a running server, as an operator whose admin is locked out.
func TestCLIAdminOffline(t *testing.T) {
	testCLIAdminOffline(t, "")
}

// TestCLIAdminOfflineOnPostgres does the same on PostgreSQL. Without
// RUNTIME_TEST_POSTGRES_DSN it skips (fails under CI=true).
func TestCLIAdminOfflineOnPostgres(t *testing.T) {
	testCLIAdminOffline(t, pgtest.FreshSchema(t, pgtest.BaseDSN(t)))
}

// testCLIAdminOffline runs on database, or on a SQLite file when empty.
func testCLIAdminOffline(t *testing.T, database string) {
	// The offline commands write to the database behind the server's back,
	// as another instance would; without the auth cache the server sees
	// the change at the next request (with it, within its TTL).
	ts := startTest(t, func(c *serveConfig) {
		c.AuthCacheTTL = 0
		if database != "" {
			c.Database = database
		}
	})
	ctx := t.Context()
	old := mustAdmin(t, ts)
	mustCreateUser(t, old, "bob")
	e := &cliEnv{t: t, config: t.TempDir(), env: map[string]string{"NMDC_RUNTIME_DATABASE": ts.cfg.Database, "NMDC_RUNTIME_BCRYPT_COST": "4"}}

	const newPW = "a new admin password"
	out := e.ok(newPW+"\n", "admin", "reset-password", testAdmin)
	if !strings.HasPrefix(out, "Reset the password of admin;") {
		t.Errorf("reset-password said %q", out)
	}
	if _, err := old.Me(ctx); client.StatusOf(err) != 401 {
		t.Errorf("a token issued before the reset: %v, want 401", err)
	}
	if _, err := ts.client().Login(ctx, testAdmin, testAdminPW); client.StatusOf(err) != 401 {
		t.Errorf("login with the old password: %v, want 401", err)
	}
	if _, err := ts.client().Login(ctx, testAdmin, newPW); err != nil {
		t.Errorf("login with the new password: %v", err)
	}

	// --database wins over the environment; a missing file is not created.
	missing := filepath.Join(t.TempDir(), "typo.db")
	r := e.run(newPW+"\n", "admin", "reset-password", testAdmin, "--database", missing)
	if r.code() != 1 || !strings.Contains(r.err.Error(), "no database at "+missing) {
		t.Errorf("reset on a missing database: %v", r.err)
	}

	// A disabled user is enabled again only when asked.
	u, err := ts.store.GetUser(ctx, "bob")
	if err != nil {
		t.Fatal(err)
	}
	u.Disabled = true
	if err := ts.store.UpdateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	if out := e.ok(testPassword+"\n", "admin", "reset-password", "bob"); !strings.Contains(out, "bob is disabled: run again with --enable") {
		t.Errorf("reset of a disabled user said %q", out)
	}
	e.ok(testPassword+"\n", "admin", "reset-password", "bob", "--enable")
	if u, _ := ts.store.GetUser(ctx, "bob"); u.Disabled {
		t.Errorf("bob is still disabled after --enable")
	}

	if out := e.ok("root password 1\n", "admin", "create-admin", "root"); !strings.HasPrefix(out, "Created runtime admin root") {
		t.Errorf("create-admin said %q", out)
	}
	root := mustLogin(t, ts, "root", "root password 1")
	if me, err := root.Me(ctx); err != nil || !slices.Equal(me.SiteAdmin, []string{"nmdc-runtime-useradmin"}) {
		t.Errorf("the new admin: %+v, %v", me, err)
	}
	mustCreateUser(t, root, "carol")
	actions, err := root.AllowanceActions(ctx)
	if err != nil {
		t.Fatal(err)
	}
	held, err := root.ListAllowances(ctx, client.Allowance{Username: "root"}, 100, "")
	if err != nil || len(held.Resources) != len(actions) {
		t.Errorf("the new admin holds %+v (%v); want every one of %v", held.Resources, err, actions)
	}

	tests := []struct {
		name, stdin string
		args        []string
		wantCode    int
		wantErr     string
	}{
		{name: "unknown user", stdin: newPW + "\n", args: []string{"reset-password", "nobody"}, wantCode: 1, wantErr: "is --database the server's database?"},
		{name: "short password", stdin: "short\n", args: []string{"reset-password", testAdmin}, wantCode: 1, wantErr: "password must be at least 8 characters"},
		{name: "no password", args: []string{"create-admin", "dave"}, wantCode: 1, wantErr: "no password for dave on stdin"},
		{name: "existing user", stdin: newPW + "\n", args: []string{"create-admin", "bob"}, wantCode: 1, wantErr: `username "bob" is already taken`},
		{name: "look-alike user", stdin: newPW + "\n", args: []string{"create-admin", "BOB"}, wantCode: 1, wantErr: "too similar"},
		{name: "no username", args: []string{"create-admin"}, wantCode: 2, wantErr: "missing USERNAME"},
		{name: "unknown command", args: []string{"drop-tables"}, wantCode: 2, wantErr: `admin: unknown command "drop-tables"`},
		{name: "bad bcrypt cost", stdin: newPW + "\n", args: []string{"reset-password", testAdmin, "--bcrypt-cost", "99"}, wantCode: 2, wantErr: "bcrypt cost"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := storeCounts(t, ts)
			r := e.run(tc.stdin, append([]string{"admin"}, tc.args...)...)
			if r.code() != tc.wantCode || r.err == nil || !strings.Contains(r.err.Error(), tc.wantErr) {
				t.Errorf("exit %d, error %v; want %d with %q", r.code(), r.err, tc.wantCode, tc.wantErr)
			}
			if after := storeCounts(t, ts); after != before {
				t.Errorf("a failed command changed the store: %v -> %v", before, after)
			}
		})
	}
	if _, err := ts.client().Login(ctx, testAdmin, newPW); err != nil {
		t.Errorf("a failed reset changed the password: %v", err)
	}
}
