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
// user; the user logs in, creates a site and generates credentials; the
// site logs in as its client.
func TestCLIBinaryTutorial(t *testing.T) {
	ts := startTest(t)
	bin := buildServer(t) // the one binary: serve and the client commands
	admin := newBinEnv(t, bin, ts.URL)
	alice := newBinEnv(t, bin, ts.URL)
	robot := newBinEnv(t, bin, ts.URL)
	const alicePW = "a long passphrase of alice's"

	// 1. The runtime admin logs in; the token lands in a 0600 file.
	admin.ok(testAdminPW+"\n", "login", testAdmin)
	files, _ := filepath.Glob(filepath.Join(admin.home, ".config", "nmdc-runtime", "token-*.json"))
	if len(files) != 1 {
		t.Fatalf("token files under the admin's home: %v", files)
	}
	if fi, err := os.Stat(files[0]); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("token file: %v, %v; want mode 0600", fi.Mode(), err)
	}

	// 2. The admin creates a user who administers a site.
	out := admin.ok(alicePW+"\n", "users", "create", "alice_the_admin", "--with-password", "--site-admin", "alice-laptop")
	if !strings.Contains(out, "Created user alice_the_admin.") {
		t.Errorf("users create said:\n%s", out)
	}

	// 3. The user logs in and sees the sites she administers.
	alice.ok(alicePW+"\n", "login", "alice_the_admin")
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

	// Nothing secret reached the server's log.
	logs := ts.logs.String() + ts.stdout.String()
	for name, secret := range map[string]string{"admin password": testAdminPW, "user password": alicePW, "client secret": cr.ClientSecret, "client token": tok} {
		if strings.Contains(logs, secret) {
			t.Errorf("the server log contains the %s", name)
		}
	}

	robot.ok("", "logout")
	if _, errOut, code := robot.run("", "token"); code != 1 || !strings.Contains(errOut, "not logged in") {
		t.Errorf("token after logout: exit %d, %q", code, errOut)
	}
}
