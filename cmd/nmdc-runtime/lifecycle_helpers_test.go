package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nmdc-runtime/server/domain"
)

// testClock is the service's injected clock (token checks read it too):
// tests advance it instead of sleeping.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// lifecycleDB, when set, gives each lifecycle test server its database
// (TestLifecycleOnPostgres sets it); otherwise a SQLite file is used.
var lifecycleDB func(t *testing.T) string

// startLife starts a test server for the lifecycle tests.
func startLife(t *testing.T, mods ...func(*serveConfig)) *testServer {
	t.Helper()
	if lifecycleDB != nil {
		db := lifecycleDB(t)
		mods = append([]func(*serveConfig){func(c *serveConfig) { c.Database = db }}, mods...)
	}
	return startTest(t, mods...)
}

// startClocked starts a test server whose service reads clk.
func startClocked(t *testing.T, mods ...func(*serveConfig)) (*testServer, *testClock) {
	t.Helper()
	clk := &testClock{t: time.Now().UTC().Truncate(time.Second).Add(250 * time.Millisecond)}
	mods = append(mods, func(c *serveConfig) { c.clock = clk.Now })
	return startLife(t, mods...), clk
}

// call sends a request with an optional bearer token and JSON body.
func call(t *testing.T, ts *testServer, method, path, tok, body string) rawResponse {
	t.Helper()
	h := http.Header{}
	var rd io.Reader
	if body != "" {
		h = jsonHeader(tok)
		rd = strings.NewReader(body)
	} else if tok != "" {
		h = bearer(tok)
	}
	return send(t, method, ts.URL+path, h, rd)
}

// want fails unless r has the status and, for errors, a detail that
// mentions each of mention.
func want(t *testing.T, r rawResponse, status int, mention ...string) {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d: %s", r.Status, status, r.Body)
	}
	if status >= 400 {
		d := r.detail(t)
		for _, m := range mention {
			if !strings.Contains(d, m) {
				t.Fatalf("detail %q does not mention %q", d, m)
			}
		}
	}
}

// tokenOf logs in with a form and returns the response.
func tokenOf(t *testing.T, ts *testServer, kv ...string) rawResponse {
	t.Helper()
	form := url.Values{}
	for i := 0; i < len(kv); i += 2 {
		form.Set(kv[i], kv[i+1])
	}
	return postForm(t, ts.URL+"/token", form, nil)
}

func userToken(t *testing.T, ts *testServer, user, pw string) string {
	t.Helper()
	r := tokenOf(t, ts, "grant_type", "password", "username", user, "password", pw)
	want(t, r, 200)
	return r.json(t)["access_token"].(string)
}

func clientToken(t *testing.T, ts *testServer, id, secret string) string {
	t.Helper()
	r := tokenOf(t, ts, "grant_type", "client_credentials", "client_id", id, "client_secret", secret)
	want(t, r, 200)
	return r.json(t)["access_token"].(string)
}

func adminToken(t *testing.T, ts *testServer) string {
	t.Helper()
	return userToken(t, ts, testAdmin, testAdminPW)
}

// newUser creates a user with testPassword and returns a token of theirs.
func newUser(t *testing.T, ts *testServer, admin, name string, sites ...string) string {
	t.Helper()
	b, _ := json.Marshal(map[string]any{"username": name, "password": testPassword, "site_admin": append([]string{}, sites...)})
	want(t, call(t, ts, "POST", "/users", admin, string(b)), 201)
	return userToken(t, ts, name, testPassword)
}

func newSite(t *testing.T, ts *testServer, tok, id string) {
	t.Helper()
	want(t, call(t, ts, "POST", "/sites", tok, `{"id":"`+id+`"}`), 201)
}

// newClient generates credentials for a site and returns id and secret.
func newClient(t *testing.T, ts *testServer, tok, site string) (string, string) {
	t.Helper()
	r := call(t, ts, "POST", "/sites/"+site+":generateCredentials", tok, "")
	want(t, r, 200)
	m := r.json(t)
	return m["client_id"].(string), m["client_secret"].(string)
}

// works reports whether a token is accepted by GET /users/me.
func works(t *testing.T, ts *testServer, tok string) bool {
	t.Helper()
	r := call(t, ts, "GET", "/users/me", tok, "")
	if r.Status != 200 && r.Status != 401 {
		t.Fatalf("GET /users/me: %d %s", r.Status, r.Body)
	}
	return r.Status == 200
}

// snapshot renders every stored user (with hash and cut-off), site, client
// and allowance, to show that a refused request changed nothing.
func snapshot(t *testing.T, ts *testServer) string {
	t.Helper()
	ctx := context.Background()
	all := domain.ListFilter{Limit: 1 << 20}
	users, err := ts.store.ListUsers(ctx, all)
	if err != nil {
		t.Fatal(err)
	}
	sites, err := ts.store.ListSites(ctx, all)
	if err != nil {
		t.Fatal(err)
	}
	var clients []domain.SiteClient
	for _, s := range sites.Items {
		cs, err := ts.store.ListSiteClients(ctx, s.ID)
		if err != nil {
			t.Fatal(err)
		}
		clients = append(clients, cs...)
	}
	allow, err := ts.store.ListAllowances(ctx, domain.AllowanceFilter{ListFilter: all})
	if err != nil {
		t.Fatal(err)
	}
	caps, err := ts.store.ListCapabilities(ctx, all)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal([]any{users.Items, sites.Items, clients, allow.Items, caps.Items})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// unchanged fails when the store differs from before.
func unchanged(t *testing.T, ts *testServer, before string) {
	t.Helper()
	if after := snapshot(t, ts); after != before {
		t.Fatalf("a refused request changed the store:\nbefore %s\nafter  %s", before, after)
	}
}

// shareToken returns the token at the end of a share_url.
func shareToken(t *testing.T, shareURL string) string {
	t.Helper()
	u, err := url.Parse(shareURL)
	if err != nil || !strings.HasPrefix(u.Path, "/share/") {
		t.Fatalf("share_url %q is not a /share/ link", shareURL)
	}
	return strings.TrimPrefix(u.Path, "/share/")
}

// principals is the cast of the permission tables: everyone who may or
// may not call an endpoint.
type principals struct {
	anon, plain, siteAdmin, otherSiteAdmin, runtimeAdmin, client string
	site, clientID, clientSecret                                 string
}

// cast creates site "lab" administered by "sam" with one client, a plain
// user "pat", "oscar" who administers another site, and returns tokens.
// The bootstrap admin is the runtime admin (and holds every allowance).
func cast(t *testing.T, ts *testServer) principals {
	t.Helper()
	admin := adminToken(t, ts)
	p := principals{runtimeAdmin: admin, site: "lab"}
	p.siteAdmin = newUser(t, ts, admin, "sam")
	newSite(t, ts, p.siteAdmin, "lab")
	p.siteAdmin = userToken(t, ts, "sam", testPassword) // now with the site in site_admin
	p.plain = newUser(t, ts, admin, "pat")
	p.otherSiteAdmin = newUser(t, ts, admin, "oscar")
	newSite(t, ts, p.otherSiteAdmin, "other-lab")
	p.clientID, p.clientSecret = newClient(t, ts, p.siteAdmin, "lab")
	p.client = clientToken(t, ts, p.clientID, p.clientSecret)
	return p
}
