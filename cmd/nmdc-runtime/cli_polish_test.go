package main

import (
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"
)

// TestCLIHelpExitsZero: "COMMAND -h" and "GROUP -h" print usage and exit
// 0; a flag without its value prints the error once and exits 2.
func TestCLIHelpExitsZero(t *testing.T) {
	bin := buildServer(t)
	b := newBinEnv(t, bin, "http://127.0.0.1:1")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"login", "-h"}, "Usage: nmdc-runtime login"},
		{[]string{"logout", "--help"}, "--force"},
		{[]string{"whoami", "-h"}, "Usage: nmdc-runtime whoami"},
		{[]string{"sites", "list", "-h"}, "Usage: nmdc-runtime sites list"},
		{[]string{"share", "open", "-h"}, "read from stdin"},
		{[]string{"users", "-h"}, "nmdc-runtime users create"},
		{[]string{"sites", "-h"}, "nmdc-runtime sites create"},
		{[]string{"sites", "clients", "-h"}, "nmdc-runtime sites clients rotate"},
		{[]string{"sites", "admins", "--help"}, "nmdc-runtime sites admins add"},
		{[]string{"admin", "create-admin", "-h"}, "Usage: nmdc-runtime admin create-admin"},
		{[]string{"import", "-h"}, "Usage: nmdc-runtime import"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			out, errOut, code := b.run("", tc.args...)
			if code != 0 || !strings.Contains(out+errOut, tc.want) || strings.Contains(out+errOut, "help requested") || strings.Contains(out+errOut, "unknown command") {
				t.Errorf("exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
			}
		})
	}
	for _, args := range [][]string{{"login", "--client-id"}, {"import", "--database"}, {"--url"}, {"admin", "create-admin", "x", "--database"}} {
		_, errOut, code := b.run("", args...)
		if code != 2 || strings.Count(errOut, "flag needs an argument") != 1 {
			t.Errorf("%v: exit %d, stderr:\n%s", args, code, errOut)
		}
	}
}

// TestCLILogoutUnreachable: logout keeps the token when the server cannot
// be reached to revoke it, says that it stays valid and fails; --force
// forgets it.
func TestCLILogoutUnreachable(t *testing.T) {
	ts := startTest(t)
	e := newCLIEnv(t, ts)
	e.ok(testAdminPW+"\n", "login", testAdmin)
	if err := ts.Shutdown(time.Second); err != nil {
		t.Fatal(err)
	}
	r := e.run("", "logout")
	if r.code() != 1 || !strings.Contains(r.err.Error(), "cannot reach the server at "+ts.URL) || !strings.Contains(r.err.Error(), "stays valid") {
		t.Errorf("logout with the server down: %v", r.err)
	}
	if len(e.tokenFiles()) != 1 {
		t.Fatalf("logout forgot a token it could not revoke")
	}
	out := e.ok("", "logout", "--force")
	if !strings.Contains(out, "Logged out") || len(e.tokenFiles()) != 0 {
		t.Errorf("logout --force: %q, files %v", out, e.tokenFiles())
	}
}

// TestCLIErrorsAreShort: an unreachable server and a reply that is not
// JSON give one short line each.
func TestCLIErrorsAreShort(t *testing.T) {
	html := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		if r.URL.Path == "/token" {
			w.WriteHeader(http.StatusBadGateway)
		}
		w.Write([]byte("<html><body>" + strings.Repeat("proxy page ", 200) + "</body></html>"))
	}))
	defer html.Close()
	e := &cliEnv{t: t, config: t.TempDir(), env: map[string]string{}}
	for _, tc := range []struct {
		name  string
		stdin string
		args  []string
		want  string
	}{
		{"refused", "", []string{"sites", "list", "--url", "http://127.0.0.1:1"}, "cannot reach the server at http://127.0.0.1:1 (--url): connection refused"},
		{"no such host", "", []string{"share", "open", "abc", "--url", "http://no-such-host.invalid"}, "cannot reach the server at http://no-such-host.invalid (--url): host no-such-host.invalid"},
		{"HTML error", "pw-123456\n", []string{"login", "alice", "--url", html.URL}, "502 Bad Gateway: the reply is not JSON (Content-Type: text/html)"},
		{"HTML success", "", []string{"share", "open", "abc", "--url", html.URL}, "200 OK, the reply is not JSON (Content-Type: text/html)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.run(tc.stdin, tc.args...)
			if r.code() != 1 || !strings.Contains(r.err.Error(), tc.want) {
				t.Fatalf("error %v, want %q", r.err, tc.want)
			}
			for _, noise := range []string{"dial tcp", "<html", "proxy page", "Get \"", "Post \""} {
				if strings.Contains(r.err.Error(), noise) {
					t.Errorf("error %q holds %q", r.err, noise)
				}
			}
		})
	}
}

// TestCLILoginOutputAndTokenFile: login prints its expiry in UTC, --json
// names only the principal's kind; a token file others can read is
// restricted with a warning; share open reads the link from stdin.
func TestCLILoginOutputAndTokenFile(t *testing.T) {
	ts := startTest(t)
	e := newCLIEnv(t, ts)
	out := e.ok(testAdminPW+"\n", "login", testAdmin)
	if !regexp.MustCompile(`until \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\.`).MatchString(out) {
		t.Errorf("login said %q, want the expiry in UTC", out)
	}
	var user map[string]any
	e.okJSON(&user, testAdminPW+"\n", "login", testAdmin)
	if _, ok := user["client_id"]; ok || user["username"] != testAdmin {
		t.Errorf("login --json for a user: %v", user)
	}
	cred := mustCredentials(t, mustAdmin(t, ts), "nmdc-runtime-useradmin")
	ce := newCLIEnv(t, ts)
	var site map[string]any
	ce.okJSON(&site, cred.ClientSecret+"\n", "login", "--client-id", cred.ClientID)
	if _, ok := site["username"]; ok || site["client_id"] != cred.ClientID {
		t.Errorf("login --json for a client: %v", site)
	}

	if runtime.GOOS != "windows" {
		f := e.tokenFiles()[0]
		if err := os.Chmod(f, 0o644); err != nil {
			t.Fatal(err)
		}
		r := e.run("", "whoami")
		if r.err != nil || !strings.Contains(r.stderr, "had mode 0644") {
			t.Errorf("whoami with a readable token file: %v, stderr %q", r.err, r.stderr)
		}
		if fi, err := os.Stat(f); err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("token file mode after the warning: %v, %v", fi.Mode(), err)
		}
		if r := e.run("", "whoami"); strings.Contains(r.stderr, "warning") {
			t.Errorf("a second warning: %q", r.stderr)
		}
	}

	out = e.ok("", "users", "create", "eve")
	link := regexp.MustCompile(`https?://\S+`).FindString(out[strings.Index(out, "One-time link"):])
	if link == "" {
		t.Fatalf("no link in %q", out)
	}
	opened := e.ok(link+"\n", "share", "open")
	if !strings.Contains(opened, "password:") || !strings.Contains(opened, "eve") {
		t.Errorf("share open from stdin: %q", opened)
	}
	if r := e.run(link+"\n", "share", "open", "-"); r.err == nil || !strings.Contains(r.err.Error(), "410") {
		t.Errorf("second opening with -: %v", r.err)
	}
}
