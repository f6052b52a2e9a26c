package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/nmdc-runtime/server/client"
)

// TestTutorialWorkflow runs the users' tutorial in order: the admin logs
// in and creates a user who administers sites; the user logs in, sees its
// sites, creates a site, generates credentials; the site client logs in
// with form fields and with HTTP Basic and calls /users/me. Then it checks
// that no secret reached the log.
func TestTutorialWorkflow(t *testing.T) {
	ts := startTest(t)
	ctx := t.Context()

	admin := mustAdmin(t, ts)
	me, err := admin.Me(ctx)
	if err != nil || me.Username != testAdmin || !slices.Contains(me.SiteAdmin, "nmdc-runtime-useradmin") {
		t.Fatalf("admin /users/me = %+v, %v", me, err)
	}

	alicePW := "a long passphrase with spaces, ünïcödé and 日本語 — more than sixty-four characters in all"
	u, err := admin.CreateUser(ctx, client.NewUser{Username: "alice_the_admin", Password: alicePW, SiteAdmin: []string{"alice-laptop", "nmdc-runtime-useradmin"}})
	if err != nil {
		t.Fatalf("create user: %v", err)
	}
	if u.Username != "alice_the_admin" || !slices.Equal(u.SiteAdmin, []string{"alice-laptop", "nmdc-runtime-useradmin"}) {
		t.Fatalf("created user = %+v", u)
	}

	alice := mustLogin(t, ts, "alice_the_admin", alicePW)
	me, err = alice.Me(ctx)
	if err != nil || !slices.Equal(me.SiteAdmin, []string{"alice-laptop", "nmdc-runtime-useradmin"}) {
		t.Fatalf("alice /users/me = %+v, %v", me, err)
	}

	site, err := alice.CreateSite(ctx, client.Site{ID: "alice-lab"})
	if err != nil || site.ID != "alice-lab" || site.CapabilityIDs == nil {
		t.Fatalf("create site = %+v, %v", site, err)
	}
	me, _ = alice.Me(ctx)
	if !slices.Contains(me.SiteAdmin, "alice-lab") {
		t.Fatalf("creator is not admin of the new site: %+v", me)
	}

	cred := mustCredentials(t, alice, "alice-lab")
	if !strings.HasPrefix(cred.ClientID, "sys0") || strings.Contains(cred.ClientID, ":") || len(cred.ClientSecret) < 43 {
		t.Fatalf("credentials = %q / (%d chars)", cred.ClientID, len(cred.ClientSecret))
	}

	for _, basic := range []bool{false, true} {
		sc := ts.client()
		tok, err := sc.LoginClient(ctx, cred.ClientID, cred.ClientSecret, basic)
		if err != nil {
			t.Fatalf("client login (basic=%v): %v", basic, err)
		}
		if tok.TokenType != "bearer" || tok.Expires.Days != 1 || tok.ExpiresIn != 86400 {
			t.Fatalf("token response = %+v", tok)
		}
		me, err := sc.Me(ctx)
		if err != nil || me.Username != cred.ClientID || me.SiteID != "alice-lab" || len(me.SiteAdmin) != 0 {
			t.Fatalf("client /users/me = %+v, %v", me, err)
		}
	}

	logs := ts.logs.String() + ts.stdout.String()
	for name, secret := range map[string]string{
		"admin password": testAdminPW, "user password": alicePW, "client secret": cred.ClientSecret,
		"admin token": admin.Token, "user token": alice.Token,
	} {
		if strings.Contains(logs, secret) {
			t.Errorf("the log contains the %s", name)
		}
	}
	if !strings.Contains(logs, `"route":"POST /token"`) {
		t.Errorf("the access log has no line for POST /token; the log check would prove nothing:\n%s", logs)
	}
}

// TestRestartKeepsEverything restarts the server on the same database with
// no configured signing key: users, sites, clients and tokens stay valid.
func TestRestartKeepsEverything(t *testing.T) {
	cfg := testConfig(t)
	cfg.JWTSecretKey = "" // the key generated once and kept in the database
	ts := startWith(t, cfg)
	ctx := t.Context()
	admin := mustAdmin(t, ts)
	mustCreateUser(t, admin, "bob", "bob-laptop")
	bob := mustLogin(t, ts, "bob", testPassword)
	mustCreateSite(t, bob, "bob-laptop-2")
	cred := mustCredentials(t, bob, "bob-laptop-2")
	if err := ts.Shutdown(5e9); err != nil {
		t.Fatal(err)
	}

	cfg.AdminPass = "a-different-password" // bootstrap must not run again
	ts2 := startWith(t, cfg)
	for _, c := range []*client.Client{admin, bob} {
		c.BaseURL = ts2.URL
		if _, err := c.Me(ctx); err != nil {
			t.Fatalf("token issued before the restart: %v", err)
		}
	}
	if _, err := ts2.client().Login(ctx, testAdmin, testAdminPW); err != nil {
		t.Fatalf("admin password changed by restart: %v", err)
	}
	if _, err := ts2.client().LoginClient(ctx, cred.ClientID, cred.ClientSecret, true); err != nil {
		t.Fatalf("client after restart: %v", err)
	}
	if _, err := ts2.client().GetSite(ctx, "bob-laptop-2"); err != nil {
		t.Fatalf("site after restart: %v", err)
	}
	if strings.Contains(ts2.stdout.String(), "password") {
		t.Fatalf("restart printed a password again: %q", ts2.stdout.String())
	}
}

// TestGeneratedAdminPassword: with no API_ADMIN_PASS the first start prints
// a random password once, to the terminal only, and it works.
func TestGeneratedAdminPassword(t *testing.T) {
	ts := startTest(t, func(c *serveConfig) { c.AdminUser, c.AdminPass = "", "" })
	out := ts.stdout.String()
	fields := strings.Fields(out[strings.Index(out, "password:")+len("password:"):])
	if len(fields) == 0 {
		t.Fatalf("no password printed: %q", out)
	}
	pw := fields[0]
	if _, err := ts.client().Login(t.Context(), "admin", pw); err != nil {
		t.Fatalf("login with the printed password: %v", err)
	}
	if strings.Contains(ts.logs.String(), pw) {
		t.Fatal("the generated password reached the log")
	}
}

// TestSecretsStayOutOfLogs runs the whole tutorial and then the security
// paths (failed and throttled logins, revocation, logout, the audit log),
// in both log formats at debug level, and proves that no password, client
// secret, signing key or access token (nor a token's signature) appears in
// the log, on stdout, or in any list response.
func TestSecretsStayOutOfLogs(t *testing.T) {
	for _, format := range []string{"json", "text"} {
		t.Run(format, func(t *testing.T) {
			ts := startTest(t, func(c *serveConfig) {
				c.LogFormat = format
				c.LoginMaxFailures = 2
			})
			ctx := t.Context()
			secrets := map[string]string{"admin password": testAdminPW, "signing key": testJWTKey}
			admin := mustAdmin(t, ts)
			bobPW := "bob's very own passphrase, 32+ chars"
			if _, err := admin.CreateUser(ctx, client.NewUser{Username: "bob", Password: bobPW, SiteAdmin: []string{"bob-laptop"}}); err != nil {
				t.Fatal(err)
			}
			bob := mustLogin(t, ts, "bob", bobPW)
			mustCreateSite(t, bob, "bob-lab")
			cred := mustCredentials(t, bob, "bob-lab")
			sc := ts.client()
			if _, err := sc.LoginClient(ctx, cred.ClientID, cred.ClientSecret, true); err != nil {
				t.Fatal(err)
			}
			sc2 := ts.client()
			if _, err := sc2.LoginClient(ctx, cred.ClientID, cred.ClientSecret, false); err != nil {
				t.Fatal(err)
			}
			if _, err := sc.Me(ctx); err != nil {
				t.Fatal(err)
			}
			secrets["bob password"], secrets["client secret"] = bobPW, cred.ClientSecret
			for name, tok := range map[string]string{"admin token": admin.Token, "bob token": bob.Token, "client token": sc.Token, "client token 2": sc2.Token} {
				secrets[name] = tok
				secrets[name+" signature"] = tok[strings.LastIndex(tok, ".")+1:]
			}

			// Failed logins up to throttling, with passwords that must not leak.
			for i, pw := range []string{"wrong guess number one", "wrong guess number two", bobPW} {
				secrets[fmt.Sprintf("attempted password %d", i)] = pw
				_, _ = ts.client().Login(ctx, "bob", pw)
			}
			if _, err := ts.client().Login(ctx, "bob", bobPW); client.StatusOf(err) != 429 {
				t.Fatalf("throttling not reached: %v", err)
			}
			wrongSecret := "not-the-client-secret-but-close"
			secrets["attempted client secret"] = wrongSecret
			_, _ = ts.client().LoginClient(ctx, cred.ClientID, wrongSecret, true)
			// Revocation and logout; the revoke endpoint gets the token in its body.
			if err := ts.client().Revoke(ctx, sc2.Token); err != nil {
				t.Fatal(err)
			}
			if err := bob.Logout(ctx); err != nil {
				t.Fatal(err)
			}
			// Credentials in the query string are refused, and not logged.
			send(t, "POST", ts.URL+"/token?password="+url.QueryEscape(bobPW), http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}, strings.NewReader("grant_type=password&username=bob"))
			// The audit log, read by the admin, and the lists.
			audit, err := admin.ListAudit(ctx, "", "", 1000, "")
			if err != nil {
				t.Fatal(err)
			}
			for _, action := range []string{"login.succeeded", "login.failed", "login.throttled", "user.created", "site.created", "credentials.generated", "token.revoked"} {
				if !slices.ContainsFunc(audit.Resources, func(e client.AuditEvent) bool { return e.Action == action }) {
					t.Errorf("the audit log has no %s event; the check below would prove less", action)
				}
			}
			auditJSON, _ := json.Marshal(audit)
			sites := send(t, "GET", ts.URL+"/sites", nil, nil)

			out := map[string]string{"log": ts.logs.String(), "stdout": ts.stdout.String(), "audit log": string(auditJSON), "site list": string(sites.Body)}
			for where, text := range out {
				for name, secret := range secrets {
					if strings.Contains(text, secret) {
						t.Errorf("the %s contains the %s", where, name)
					}
				}
			}
			for _, route := range []string{"POST /token", "POST /token/revoke", "POST /logout", "GET /admin/audit"} {
				if !strings.Contains(out["log"], route) {
					t.Errorf("the log has no line for %s; the check would prove nothing:\n%s", route, out["log"])
				}
			}
		})
	}
}
