package main

import (
	"slices"
	"strings"
	"testing"

	"github.com/nmdc-runtime/server/client"
)

// shareLink returns the one-time link a command printed.
func shareLink(t *testing.T, out string) string {
	t.Helper()
	for _, line := range strings.Split(out, "\n") {
		if l := strings.TrimSpace(line); strings.Contains(l, "/share/") && !strings.Contains(l, " ") {
			return l
		}
	}
	t.Fatalf("no one-time link in:\n%s", out)
	return ""
}

func TestCLIUsers(t *testing.T) {
	ts := startTest(t)
	ctx := t.Context()
	admin := newCLIEnv(t, ts)
	admin.ok(testAdminPW+"\n", "login", testAdmin)
	admin.ok(testPassword+"\n", "users", "create", "bob", "--with-password", "--email", "bob@example.org", "--site-admin", "bob-lab")
	var carol client.User
	admin.okJSON(&carol, "", "users", "create", "carol")
	if carol.ShareURL == "" || carol.ShareExpiresAt == nil {
		t.Errorf("users create --json without a password: %+v", carol)
	}

	want := "" +
		"USERNAME  EMAIL            FULL NAME  SITE ADMIN              DISABLED\n" +
		"admin     -                -          nmdc-runtime-useradmin  no\n" +
		"bob       bob@example.org  -          bob-lab                 no\n" +
		"carol     -                -          -                       no\n"
	if got := admin.ok("", "users", "list"); got != want {
		t.Errorf("users list:\n%s\nwant:\n%s", got, want)
	}
	var users []client.User
	admin.okJSON(&users, "", "users", "list")
	if len(users) != 3 || users[1].Username != "bob" || *users[1].Email != "bob@example.org" {
		t.Errorf("users list --json = %+v", users)
	}
	if got := admin.ok("", "users", "show", "bob"); !strings.Contains(got, "email:       bob@example.org\n") {
		t.Errorf("users show:\n%s", got)
	}
	if r := admin.run("", "users", "show", "nobody"); r.code() != 1 || !strings.Contains(r.err.Error(), "404 Not Found") {
		t.Errorf("users show nobody: %v", r.err)
	}

	update := func(args ...string) client.User {
		t.Helper()
		var u client.User
		admin.okJSON(&u, "", append([]string{"users", "update", "bob"}, args...)...)
		return u
	}
	if u := update("--full-name", "Bob B", "--add-site-admin", "x,y", "--remove-site-admin", "bob-lab"); deref(u.FullName) != "Bob B" || !slices.Equal(u.SiteAdmin, []string{"x", "y"}) || deref(u.Email) != "bob@example.org" {
		t.Errorf("update with add/remove: %+v", u)
	}
	if u := update("--site-admin", "a", "--site-admin", "b"); !slices.Equal(u.SiteAdmin, []string{"a", "b"}) {
		t.Errorf("update --site-admin: %+v", u)
	}
	if u := update("--site-admin", ""); len(u.SiteAdmin) != 0 {
		t.Errorf("update --site-admin '' keeps %v", u.SiteAdmin)
	}
	if u := update("--email", ""); u.Email != nil {
		t.Errorf("update --email '' keeps %v", *u.Email)
	}
	if r := admin.run("", "users", "update", "bob"); r.code() != 2 || !strings.Contains(r.err.Error(), "nothing to change") {
		t.Errorf("update without flags: %v", r.err)
	}
	admin.ok("new bob password\n", "users", "update", "bob", "--password")
	bob := newCLIEnv(t, ts)
	bob.ok("new bob password\n", "login", "bob")

	// Disabling refuses the user's tokens and logins; enabling restores.
	if out := admin.ok("", "users", "disable", "bob"); !strings.HasPrefix(out, "Disabled user bob.\n") || !strings.Contains(out, "disabled:    yes") {
		t.Errorf("disable said:\n%s", out)
	}
	if r := bob.run("", "whoami"); r.code() != 1 || !strings.Contains(r.err.Error(), "401") {
		t.Errorf("a disabled user's token: %v", r.err)
	}
	if r := bob.run("new bob password\n", "login", "bob"); r.code() != 1 || !strings.Contains(r.err.Error(), "disabled") {
		t.Errorf("a disabled user's login: %v", r.err)
	}
	admin.ok("", "users", "enable", "bob")
	bob.ok("new bob password\n", "login", "bob")

	// An admin reset hands out a one-time link; it opens once.
	link := shareLink(t, admin.ok("", "users", "reset-password", "bob"))
	if r := bob.run("", "whoami"); r.code() != 1 {
		t.Errorf("a token from before the reset still works")
	}
	var shared client.Shared
	bob.okJSON(&shared, "", "share", "open", link)
	if shared.Kind == "" || shared.Username != "bob" || shared.Password == "" {
		t.Fatalf("share open = %+v", shared)
	}
	if r := bob.run("", "share", "open", link); r.code() != 1 || !strings.Contains(r.err.Error(), "410 Gone") {
		t.Errorf("second share open: %v", r.err)
	}
	bob.ok(shared.Password+"\n", "login", "bob")

	// A user changes their own password; the saved token is renewed.
	if out := bob.ok(shared.Password+"\nbob's own password\n", "password"); !strings.HasPrefix(out, "Changed the password of bob;") {
		t.Errorf("password said %q", out)
	}
	bob.ok("", "whoami")
	if _, err := ts.client().Login(ctx, "bob", "bob's own password"); err != nil {
		t.Errorf("login with the changed password: %v", err)
	}
	if r := bob.run("wrong current\nanother password\n", "password"); r.code() != 1 || !strings.Contains(r.err.Error(), "40") {
		t.Errorf("password with a wrong current one: %v", r.err)
	}

	// Only runtime admins manage users.
	for _, args := range [][]string{{"users", "list"}, {"users", "show", "admin"}, {"users", "disable", "admin"}, {"users", "reset-password", "admin"}} {
		if r := bob.run("", args...); r.code() != 1 || !strings.Contains(r.err.Error(), "403 Forbidden") {
			t.Errorf("bob: %v: %v", args, r.err)
		}
	}
}

func TestCLISiteAdminsAndClients(t *testing.T) {
	ts := startTest(t)
	ctx := t.Context()
	adminC := mustAdmin(t, ts)
	mustCreateUser(t, adminC, "alice")
	mustCreateUser(t, adminC, "bob")
	alice := newCLIEnv(t, ts)
	alice.ok(testPassword+"\n", "login", "alice")
	bob := newCLIEnv(t, ts)
	bob.ok(testPassword+"\n", "login", "bob")
	alice.ok("", "sites", "create", "lab")

	if got := alice.ok("", "sites", "admins", "list", "lab"); got != "USERNAME\nalice\n" {
		t.Errorf("admins list:\n%s", got)
	}
	if out := alice.ok("", "sites", "admins", "add", "lab", "bob"); out != "bob is now an admin of site lab.\n" {
		t.Errorf("admins add said %q", out)
	}
	var admins []client.SiteAdmin
	bob.okJSON(&admins, "", "sites", "admins", "list", "lab")
	if len(admins) != 2 {
		t.Errorf("admins list --json = %+v", admins)
	}
	bob.ok("", "sites", "admins", "remove", "lab", "alice")
	if r := bob.run("", "sites", "admins", "remove", "lab", "bob"); r.code() != 1 || !strings.Contains(r.err.Error(), "409 Conflict") || !strings.Contains(r.err.Error(), "last admin") {
		t.Errorf("the last admin removing itself: %v", r.err)
	}
	if r := alice.run("", "sites", "clients", "list", "lab"); r.code() != 1 || !strings.Contains(r.err.Error(), "403 Forbidden") {
		t.Errorf("a former admin listing clients: %v", r.err)
	}

	// Credentials by link: the secret is not printed, the link shows it.
	out := bob.ok("", "sites", "clients", "generate", "lab", "--link")
	link := shareLink(t, out)
	var shared client.Shared
	bob.okJSON(&shared, "", "share", "open", link)
	if shared.ClientID == "" || shared.ClientSecret == "" || shared.SiteID != "lab" || strings.Contains(out, shared.ClientSecret) {
		t.Fatalf("generate --link printed:\n%s\nthe link showed %+v", out, shared)
	}
	robot := newCLIEnv(t, ts)
	robot.ok(shared.ClientSecret+"\n", "login", "--client-id", shared.ClientID)

	want := "CLIENT ID  CREATED  CREATED BY  LAST USED"
	got := bob.ok("", "sites", "clients", "list", "lab")
	if !strings.HasPrefix(strings.Join(strings.Fields(strings.SplitN(got, "\n", 2)[0]), " "), strings.Join(strings.Fields(want), " ")) || !strings.Contains(got, shared.ClientID) {
		t.Errorf("clients list:\n%s", got)
	}
	var clients []client.SiteClient
	bob.okJSON(&clients, "", "sites", "clients", "list", "lab")
	if len(clients) != 1 || clients[0].ID != shared.ClientID || clients[0].CreatedBy != "bob" || clients[0].LastUsedAt == nil {
		t.Errorf("clients list --json = %+v", clients)
	}

	// Rotation refuses the old secret and the old tokens.
	var cr client.Credentials
	bob.okJSON(&cr, "", "sites", "clients", "rotate", "lab", shared.ClientID)
	if cr.ClientID != shared.ClientID || cr.ClientSecret == "" || cr.ClientSecret == shared.ClientSecret {
		t.Fatalf("rotate = %+v", cr)
	}
	if r := robot.run("", "whoami"); r.code() != 1 {
		t.Errorf("a token from before the rotation still works")
	}
	if _, err := ts.client().LoginClient(ctx, shared.ClientID, shared.ClientSecret, false); client.StatusOf(err) != 401 {
		t.Errorf("login with the old secret: %v", err)
	}
	robot.ok(cr.ClientSecret+"\n", "login", "--client-id", cr.ClientID)
	link = shareLink(t, bob.ok("", "sites", "clients", "rotate", "lab", cr.ClientID, "--link"))
	bob.okJSON(&shared, "", "share", "open", link)
	robot.ok(shared.ClientSecret+"\n", "login", "--client-id", cr.ClientID)

	if out := bob.ok("", "sites", "clients", "delete", "lab", cr.ClientID); out != "Deleted client "+cr.ClientID+" of site lab.\n" {
		t.Errorf("delete said %q", out)
	}
	if r := robot.run("", "whoami"); r.code() != 1 || !strings.Contains(r.err.Error(), "no longer exists") {
		t.Errorf("a deleted client's token: %v", r.err)
	}
	if got := bob.ok("", "sites", "clients", "list", "lab"); strings.Contains(got, cr.ClientID) {
		t.Errorf("the deleted client is still listed:\n%s", got)
	}
	if r := bob.run("", "sites", "clients", "delete", "lab", cr.ClientID); r.code() != 1 || !strings.Contains(r.err.Error(), "404 Not Found") {
		t.Errorf("deleting twice: %v", r.err)
	}
}
