package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nmdc-runtime/server/client"
)

// binEnv runs the built binary as a person would, with a home directory
// of its own.
type binEnv struct {
	t    *testing.T
	bin  string
	home string
	env  []string
}

func newBinEnv(t *testing.T, bin, serverURL string) *binEnv {
	home := t.TempDir()
	return &binEnv{t: t, bin: bin, home: home, env: []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + home,
		"XDG_CONFIG_HOME=" + filepath.Join(home, ".config"),
		"NMDC_RUNTIME_URL=" + serverURL,
	}}
}

// run runs the binary; it returns stdout, stderr and the exit code.
func (b *binEnv) run(stdin string, args ...string) (string, string, int) {
	b.t.Helper()
	cmd := exec.CommandContext(b.t.Context(), b.bin, args...)
	cmd.Env = b.env
	cmd.Stdin = strings.NewReader(stdin)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return out.String(), errOut.String(), 0
	case errors.As(err, &ee):
		return out.String(), errOut.String(), ee.ExitCode()
	}
	b.t.Fatalf("run %s: %v", strings.Join(args, " "), err)
	return "", "", -1
}

func (b *binEnv) ok(stdin string, args ...string) string {
	b.t.Helper()
	out, errOut, code := b.run(stdin, args...)
	if code != 0 {
		b.t.Fatalf("nmdc-runtime %s: exit %d\n%s", strings.Join(args, " "), code, errOut)
	}
	return out
}

// TestCLIBinaryTutorial runs the users' tutorial through the built binary,
// each person with a home of their own: the admin logs in and creates a
// user, who gets a one-time link to her password; she opens it, logs in,
// creates a site and generates credentials; automation logs in as the
// site client; then she deletes the client and its token stops working.
func TestCLIBinaryTutorial(t *testing.T) {
	ts := startTest(t)
	bin := buildServer(t) // the one binary: serve and the client commands
	admin := newBinEnv(t, bin, ts.URL)
	alice := newBinEnv(t, bin, ts.URL)
	robot := newBinEnv(t, bin, ts.URL)

	// 1. The runtime admin logs in; the token lands in a 0600 file.
	admin.ok(testAdminPW+"\n", "login", testAdmin)
	files, _ := filepath.Glob(filepath.Join(admin.home, ".config", "nmdc-runtime", "token-*.json"))
	if len(files) != 1 {
		t.Fatalf("token files under the admin's home: %v", files)
	}
	if fi, err := os.Stat(files[0]); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("token file: %v, %v; want mode 0600", fi.Mode(), err)
	}

	// 2. The admin creates a user without a password: the server makes one
	// and answers with a one-time link to it.
	out := admin.ok("", "users", "create", "alice_the_admin", "--site-admin", "alice-laptop")
	link := ""
	for _, line := range strings.Split(out, "\n") {
		if l := strings.TrimSpace(line); strings.HasPrefix(l, ts.URL+"/share/") {
			link = l
		}
	}
	if !strings.Contains(out, "Created user alice_the_admin.") || link == "" {
		t.Fatalf("users create said:\n%s", out)
	}

	// 3. She opens the link (once only) and logs in with the password.
	var shared client.Shared
	if err := json.Unmarshal([]byte(alice.ok("", "share", "open", link, "--json")), &shared); err != nil || shared.Username != "alice_the_admin" || len(shared.Password) < 16 {
		t.Fatalf("share open: %+v, %v", shared, err)
	}
	if _, errOut, code := alice.run("", "share", "open", link); code != 1 || !strings.Contains(errOut, "410 Gone") {
		t.Errorf("second share open: exit %d, stderr %q", code, errOut)
	}
	alice.ok(shared.Password+"\n", "login", "alice_the_admin")
	var me client.User
	if err := json.Unmarshal([]byte(alice.ok("", "whoami", "--json")), &me); err != nil || me.Username != "alice_the_admin" || len(me.SiteAdmin) != 1 || me.SiteAdmin[0] != "alice-laptop" {
		t.Fatalf("alice whoami = %+v, %v", me, err)
	}

	// 4. She creates a site and generates credentials for a client.
	alice.ok("", "sites", "create", "alice-lab")
	var cr client.Credentials
	if err := json.Unmarshal([]byte(alice.ok("", "sites", "clients", "generate", "alice-lab", "--json")), &cr); err != nil || cr.ClientSecret == "" {
		t.Fatalf("generate: %+v, %v", cr, err)
	}

	// 5. Automation logs in as the site client.
	robot.ok(cr.ClientSecret+"\n", "login", "--client-id", cr.ClientID)
	out = robot.ok("", "whoami")
	if !strings.Contains(out, "site client:    "+cr.ClientID) || !strings.Contains(out, "acts for site:  alice-lab") {
		t.Errorf("client whoami:\n%s", out)
	}
	tok := strings.TrimSpace(robot.ok("", "token"))
	c := ts.client()
	c.Token = tok
	if me, err := c.Me(t.Context()); err != nil || me.SiteID != "alice-lab" {
		t.Errorf("the client's printed token: %+v, %v", me, err)
	}

	// Errors print the server's detail and exit non-zero.
	_, errOut, code := alice.run("", "sites", "create", "alice-lab")
	if code != 1 || errOut != "nmdc-runtime: 409 Conflict: site \"alice-lab\" already exists\n" {
		t.Errorf("duplicate site: exit %d, stderr %q", code, errOut)
	}
	_, errOut, code = robot.run("", "sites", "clients", "generate", "alice-lab")
	if code != 1 || !strings.Contains(errOut, "403 Forbidden") {
		t.Errorf("a client generating credentials: exit %d, stderr %q", code, errOut)
	}
	_, errOut, code = alice.run("", "sites", "show")
	if code != 2 || !strings.Contains(errOut, "missing SITE_ID") {
		t.Errorf("missing argument: exit %d, stderr %q", code, errOut)
	}

	// 6. She lists the site's clients and deletes this one; its token
	// stops working at once.
	if out := alice.ok("", "sites", "clients", "list", "alice-lab"); !strings.Contains(out, cr.ClientID) || !strings.Contains(out, "alice_the_admin") {
		t.Errorf("clients list:\n%s", out)
	}
	alice.ok("", "sites", "clients", "delete", "alice-lab", cr.ClientID)
	_, errOut, code = robot.run("", "whoami")
	if code != 1 || !strings.Contains(errOut, "401 Unauthorized") || !strings.Contains(errOut, "no longer exists") {
		t.Errorf("whoami with a deleted client's token: exit %d, stderr %q", code, errOut)
	}
	if _, err := c.Me(t.Context()); client.StatusOf(err) != 401 {
		t.Errorf("the deleted client's token over HTTP: %v, want 401", err)
	}

	// Nothing secret reached the server's log.
	logs := ts.logs.String() + ts.stdout.String()
	for name, secret := range map[string]string{"admin password": testAdminPW, "user password": shared.Password, "client secret": cr.ClientSecret, "client token": tok, "share link": strings.TrimPrefix(link, ts.URL+"/share/")} {
		if strings.Contains(logs, secret) {
			t.Errorf("the server log contains the %s", name)
		}
	}

	robot.ok("", "logout")
	if _, errOut, code := robot.run("", "token"); code != 1 || !strings.Contains(errOut, "not logged in") {
		t.Errorf("token after logout: exit %d, %q", code, errOut)
	}
}
