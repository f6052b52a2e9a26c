package main

import (
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nmdc-runtime/server/client"
)

// cliEnv runs client commands in-process against one server, with a
// config directory of its own.
type cliEnv struct {
	t      *testing.T
	config string
	env    map[string]string
}

func newCLIEnv(t *testing.T, ts *testServer) *cliEnv {
	t.Helper()
	config := t.TempDir()
	return &cliEnv{t: t, config: config, env: map[string]string{
		"XDG_CONFIG_HOME":  config,
		"NMDC_RUNTIME_URL": ts.URL,
	}}
}

type cliResult struct {
	stdout, stderr string
	err            error
}

// code is the exit status main gives.
func (r cliResult) code() int {
	if r.err == nil {
		return 0
	}
	return exitCode(r.err)
}

// run runs one command with stdin as its standard input.
func (e *cliEnv) run(stdin string, args ...string) cliResult {
	e.t.Helper()
	var out, errOut strings.Builder
	err := run(e.t.Context(), args, func(k string) string { return e.env[k] }, strings.NewReader(stdin), &out, &errOut)
	return cliResult{stdout: out.String(), stderr: errOut.String(), err: err}
}

// ok runs a command that must succeed and returns its stdout.
func (e *cliEnv) ok(stdin string, args ...string) string {
	e.t.Helper()
	r := e.run(stdin, args...)
	if r.err != nil {
		e.t.Fatalf("nmdc-runtime %s: %v\nstderr: %s", strings.Join(args, " "), r.err, r.stderr)
	}
	return r.stdout
}

// okJSON runs a command with --json and decodes its output into out.
func (e *cliEnv) okJSON(out any, stdin string, args ...string) {
	e.t.Helper()
	s := e.ok(stdin, append(args, "--json")...)
	if err := json.Unmarshal([]byte(s), out); err != nil {
		e.t.Fatalf("nmdc-runtime %s --json: not JSON: %v\n%s", strings.Join(args, " "), err, s)
	}
}

// tokenFiles lists the token files in the config directory.
func (e *cliEnv) tokenFiles() []string {
	e.t.Helper()
	m, err := filepath.Glob(filepath.Join(e.config, "nmdc-runtime", "token-*.json"))
	if err != nil {
		e.t.Fatal(err)
	}
	return m
}

func TestCLITablesAndJSON(t *testing.T) {
	ts := startTest(t)
	e := newCLIEnv(t, ts)
	if out := e.ok(testAdminPW+"\n", "login", testAdmin); !strings.HasPrefix(out, "Logged in to "+ts.URL+" as admin until ") {
		t.Errorf("login said %q", out)
	}

	e.ok("", "sites", "create", "b-site")
	e.ok("", "sites", "create", "a-site", "--capability", "x,y", "--capability", "z")
	got := e.ok("", "sites", "list")
	want := "" +
		"ID                      CAPABILITIES\n" +
		"a-site                  x,y,z\n" +
		"b-site                  -\n" +
		"nmdc-runtime-useradmin  -\n"
	if got != want {
		t.Errorf("sites list:\n%s\nwant:\n%s", got, want)
	}
	for _, args := range [][]string{{"sites", "list"}, {"--json", "sites", "list"}} {
		var sites []client.Site
		if args[0] == "--json" {
			if err := json.Unmarshal([]byte(e.ok("", args...)), &sites); err != nil {
				t.Fatal(err)
			}
		} else {
			e.okJSON(&sites, "", args...)
		}
		ids := make([]string, len(sites))
		for i, s := range sites {
			ids[i] = s.ID
		}
		if !slices.Equal(ids, []string{"a-site", "b-site", "nmdc-runtime-useradmin"}) || !slices.Equal(sites[0].CapabilityIDs, []string{"x", "y", "z"}) {
			t.Errorf("%v: %+v", args, sites)
		}
	}

	if got := e.ok("", "sites", "show", "a-site"); got != "id:            a-site\ncapabilities:  x, y, z\n" {
		t.Errorf("sites show:\n%s", got)
	}

	want = "" +
		"username:    admin\n" +
		"email:       -\n" +
		"full name:   -\n" +
		"site admin:  nmdc-runtime-useradmin, b-site, a-site\n" +
		"disabled:    no\n"
	if got := e.ok("", "whoami"); got != want {
		t.Errorf("whoami:\n%s\nwant:\n%s", got, want)
	}
	var me client.User
	e.okJSON(&me, "", "whoami")
	if me.Username != testAdmin || !slices.Contains(me.SiteAdmin, "a-site") {
		t.Errorf("whoami --json = %+v", me)
	}

	out := e.ok(testPassword+"\n", "users", "create", "bob", "--with-password", "--email", "bob@example.org", "--site-admin", "bob-laptop,bob-lab")
	if !strings.Contains(out, "Created user bob.\n") || !strings.Contains(out, "email:       bob@example.org\n") || !strings.Contains(out, "site admin:  bob-laptop, bob-lab\n") {
		t.Errorf("users create:\n%s", out)
	}
	if strings.Contains(out, testPassword) {
		t.Errorf("users create printed the password")
	}

	var cr client.Credentials
	e.okJSON(&cr, "", "sites", "clients", "generate", "a-site")
	if !strings.HasPrefix(cr.ClientID, "sys0") || len(cr.ClientSecret) < 43 {
		t.Errorf("generate --json = %+v", cr)
	}
	out = e.ok("", "sites", "clients", "generate", "a-site")
	if !strings.Contains(out, "client_id:      sys0") || !strings.Contains(out, "client_secret:  ") || !strings.Contains(out, "shown only this once") {
		t.Errorf("generate:\n%s", out)
	}

	// token prints what curl needs, and it works.
	tok := strings.TrimSpace(e.ok("", "token"))
	c := ts.client()
	c.Token = tok
	if me, err := c.Me(t.Context()); err != nil || me.Username != testAdmin {
		t.Errorf("the printed token: %+v, %v", me, err)
	}
}

func TestCLIErrors(t *testing.T) {
	ts := startTest(t)
	mustCreateUser(t, mustAdmin(t, ts), "bob")
	tests := []struct {
		name     string
		login    [2]string // user and password to log in with first
		stdin    string
		args     []string
		wantCode int
		wantErr  string // in the error main prints
		wantOut  string // in stderr (usage)
	}{
		{name: "not logged in", args: []string{"whoami"}, wantCode: 1, wantErr: "not logged in to " + ts.URL},
		{name: "wrong password", stdin: "wrong-password\n", args: []string{"login", testAdmin}, wantCode: 1, wantErr: "401 Unauthorized: Incorrect username or password"},
		{name: "no password on stdin", args: []string{"login", testAdmin}, wantCode: 1, wantErr: "no password of admin at " + ts.URL + " on stdin"},
		{name: "empty password line", stdin: "\n", args: []string{"login", testAdmin}, wantCode: 1, wantErr: "empty line"},
		{name: "wrong client secret", stdin: "nope\n", args: []string{"login", "--client-id", "sys0nothing"}, wantCode: 1, wantErr: "Incorrect client_id or client_secret"},
		{name: "not a runtime admin", login: [2]string{"bob", testPassword}, stdin: "some-password\n", args: []string{"users", "create", "eve", "--with-password"}, wantCode: 1, wantErr: "403 Forbidden: Only runtime administrators"},
		{name: "duplicate site", login: [2]string{testAdmin, testAdminPW}, args: []string{"sites", "create", "nmdc-runtime-useradmin"}, wantCode: 1, wantErr: `409 Conflict: site "nmdc-runtime-useradmin" already exists`},
		{name: "invalid site id", login: [2]string{testAdmin, testAdminPW}, args: []string{"sites", "create", "--", ".hidden"}, wantCode: 1, wantErr: "422 Unprocessable Entity: id: a site id must be"},
		{name: "short password", login: [2]string{testAdmin, testAdminPW}, stdin: "short\n", args: []string{"users", "create", "eve", "--with-password"}, wantCode: 1, wantErr: "422 Unprocessable Entity: password must be at least 8 characters"},
		{name: "unknown site", args: []string{"sites", "show", "nope"}, wantCode: 1, wantErr: "404 Not Found"},
		{name: "not that site's admin", login: [2]string{"bob", testPassword}, args: []string{"sites", "clients", "generate", "nmdc-runtime-useradmin"}, wantCode: 1, wantErr: `403 Forbidden: Only admins of site "nmdc-runtime-useradmin"`},
		{name: "missing argument", args: []string{"sites", "show"}, wantCode: 2, wantErr: "sites show: missing SITE_ID", wantOut: "Usage: nmdc-runtime sites show SITE_ID"},
		{name: "extra argument", args: []string{"sites", "show", "a", "b"}, wantCode: 2, wantErr: `unexpected argument "b"`},
		{name: "unknown command", args: []string{"frobnicate"}, wantCode: 2, wantErr: `unknown command "frobnicate"`, wantOut: "Client commands"},
		{name: "unknown subcommand", args: []string{"sites", "clients", "frob"}, wantCode: 2, wantErr: `sites clients: unknown command "frob"`, wantOut: "nmdc-runtime sites clients rotate"},
		{name: "group alone", args: []string{"users"}, wantCode: 2, wantErr: "users: no command given", wantOut: "nmdc-runtime users create"},
		{name: "unknown flag", args: []string{"sites", "list", "--nope"}, wantCode: 2, wantErr: "flag provided but not defined: -nope"},
		{name: "password flag is refused", args: []string{"login", testAdmin, "--password", testAdminPW}, wantCode: 2, wantErr: "flag provided but not defined: -password"},
		{name: "bad url", args: []string{"--url", "ftp://example.org", "sites", "list"}, wantCode: 2, wantErr: `--url "ftp://example.org": want the server's http or https URL`},
		{name: "server down", args: []string{"sites", "list", "--url", "http://127.0.0.1:1"}, wantCode: 1, wantErr: "connection refused"},
		{name: "flag without value", args: []string{"login", "--client-id"}, wantCode: 2, wantErr: "flag needs an argument: -client-id", wantOut: "Usage: nmdc-runtime login"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newCLIEnv(t, ts)
			if tc.login[0] != "" {
				e.ok(tc.login[1]+"\n", "login", tc.login[0])
			}
			before := storeCounts(t, ts)
			r := e.run(tc.stdin, tc.args...)
			if r.code() != tc.wantCode {
				t.Fatalf("exit code %d, want %d (err %v)", r.code(), tc.wantCode, r.err)
			}
			if !strings.Contains(r.err.Error(), tc.wantErr) {
				t.Errorf("error %q does not contain %q", r.err, tc.wantErr)
			}
			if tc.wantOut != "" && !strings.Contains(r.stderr, tc.wantOut) {
				t.Errorf("stderr does not contain %q:\n%s", tc.wantOut, r.stderr)
			}
			if r.stdout != "" {
				t.Errorf("a failed command printed to stdout: %q", r.stdout)
			}
			if after := storeCounts(t, ts); after != before {
				t.Errorf("a failed command changed the store: %v -> %v", before, after)
			}
		})
	}
}

func TestCLITokenFile(t *testing.T) {
	ts := startTest(t)
	other := startTest(t)
	e := newCLIEnv(t, ts)
	e.ok(testAdminPW+"\n", "login", testAdmin)

	files := e.tokenFiles()
	if len(files) != 1 {
		t.Fatalf("token files: %v", files)
	}
	fi, err := os.Stat(files[0])
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("token file mode %v, want 0600", fi.Mode().Perm())
	}
	di, err := os.Stat(filepath.Dir(files[0]))
	if err != nil {
		t.Fatal(err)
	}
	if di.Mode().Perm() != 0o700 {
		t.Errorf("token directory mode %v, want 0700", di.Mode().Perm())
	}
	b, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	var saved savedToken
	if err := json.Unmarshal(b, &saved); err != nil || saved.URL != ts.URL || saved.Username != testAdmin || saved.AccessToken == "" {
		t.Errorf("token file = %s (%v)", b, err)
	}
	if strings.Contains(string(b), testAdminPW) {
		t.Errorf("the token file holds the password")
	}
	if d := time.Until(saved.ExpiresAt); d < 23*time.Hour || d > 25*time.Hour {
		t.Errorf("expires_at %v is not a day ahead", saved.ExpiresAt)
	}

	// A second server gets a file of its own; the URL is normalized.
	e.ok(testAdminPW+"\n", "login", testAdmin, "--url", other.URL+"/")
	if n := len(e.tokenFiles()); n != 2 {
		t.Fatalf("%d token files after logging in to a second server, want 2", n)
	}
	e.ok("", "whoami", "--url", other.URL)

	if out := e.ok("", "logout"); out != "Logged out of "+ts.URL+".\n" {
		t.Errorf("logout said %q", out)
	}
	if out := e.ok("", "logout"); out != "Not logged in to "+ts.URL+".\n" {
		t.Errorf("second logout said %q", out)
	}
	if r := e.run("", "whoami"); r.err == nil || !strings.Contains(r.err.Error(), "not logged in") {
		t.Errorf("whoami after logout: %v", r.err)
	}
	e.ok("", "whoami", "--url", other.URL)

	// An expired token is not sent; the message says to log in again.
	st := &tokenStore{dir: filepath.Join(e.config, "nmdc-runtime"), now: time.Now}
	if _, err := st.save(savedToken{URL: ts.URL, AccessToken: "x", Username: "admin", ExpiresAt: time.Now().Add(-time.Minute)}); err != nil {
		t.Fatal(err)
	}
	if r := e.run("", "token"); r.err == nil || !strings.Contains(r.err.Error(), "expired at") || !strings.Contains(r.err.Error(), "log in again") {
		t.Errorf("token with an expired token: %v", r.err)
	}

	// A token the server refuses gets a hint to log in again.
	if _, err := st.save(savedToken{URL: ts.URL, AccessToken: "not-a-jwt", Username: "admin"}); err != nil {
		t.Fatal(err)
	}
	if r := e.run("", "whoami"); r.code() != 1 || !strings.Contains(r.err.Error(), "401 Unauthorized: Could not validate credentials") || !strings.Contains(r.err.Error(), "log in again") {
		t.Errorf("whoami with a refused token: %v", r.err)
	}
}

func TestCLIParse(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		names    []string
		wantPos  []string
		wantJSON bool
		wantURL  string
	}{
		{name: "flags after", args: []string{"a", "--json", "b"}, names: []string{"X", "Y"}, wantPos: []string{"a", "b"}, wantJSON: true},
		{name: "flags before", args: []string{"--url=http://h", "a"}, names: []string{"X"}, wantPos: []string{"a"}, wantURL: "http://h"},
		{name: "dash dash", args: []string{"--", "-x"}, names: []string{"X"}, wantPos: []string{"-x"}},
		{name: "flag after dash dash", args: []string{"a", "--", "--json"}, names: []string{"X", "Y"}, wantPos: []string{"a", "--json"}},
		{name: "nothing", names: nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := &cli{stderr: io.Discard, url: defaultURL}
			fs := c.flags("test", "", "")
			pos, err := c.parse(fs, tc.args, tc.names...)
			if err != nil {
				t.Fatal(err)
			}
			want := tc.wantURL
			if want == "" {
				want = defaultURL
			}
			if !slices.Equal(pos, tc.wantPos) || c.json != tc.wantJSON || c.url != want {
				t.Errorf("pos %q json %v url %q", pos, c.json, c.url)
			}
		})
	}
	c := &cli{stderr: io.Discard}
	fs := c.flags("test", "", "")
	if _, err := c.parse(fs, []string{"a"}, "X", "Y"); exitCode(err) != 2 || !strings.Contains(err.Error(), "missing Y") {
		t.Errorf("missing argument: %v", err)
	}
}

func TestSecretReader(t *testing.T) {
	r := newSecretReader(strings.NewReader("  spaces kept  \r\nsecond\nlast without newline"), io.Discard)
	for _, want := range []string{"  spaces kept  ", "second", "last without newline"} {
		got, err := r.readNew("password")
		if err != nil || got != want {
			t.Errorf("read %q, %v; want %q", got, err, want)
		}
	}
	if _, err := r.read("password"); err == nil || !strings.Contains(err.Error(), "no password on stdin") {
		t.Errorf("read at EOF: %v", err)
	}
	long := newSecretReader(strings.NewReader(strings.Repeat("x", maxSecretLine+1)+"\n"), io.Discard)
	if _, err := long.read("password"); err == nil || !strings.Contains(err.Error(), "too long") {
		t.Errorf("read of a huge line: %v", err)
	}
}

func TestUserConfigDir(t *testing.T) {
	switch runtime.GOOS {
	case "windows", "darwin", "ios", "plan9":
		t.Skip("os.UserConfigDir decides on " + runtime.GOOS)
	}
	tests := []struct {
		name string
		env  map[string]string
		want string
		err  string
	}{
		{name: "xdg", env: map[string]string{"XDG_CONFIG_HOME": "/x", "HOME": "/h"}, want: "/x"},
		{name: "home", env: map[string]string{"HOME": "/h"}, want: "/h/.config"},
		{name: "relative xdg", env: map[string]string{"XDG_CONFIG_HOME": "rel"}, err: "absolute"},
		{name: "none", env: map[string]string{}, err: "neither"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := userConfigDir(func(k string) string { return tc.env[k] })
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Errorf("got %q, %v; want an error with %q", got, err, tc.err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Errorf("got %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}
