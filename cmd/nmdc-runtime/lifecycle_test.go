package main

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nmdc-runtime/server/domain"
	"github.com/nmdc-runtime/server/postgres/pgtest"
)

// TestUpdateUser: PUT /users by runtime admins only; partial updates; each
// refusal names the problem and changes nothing.
func TestUpdateUser(t *testing.T) {
	ts := startLife(t)
	p := cast(t, ts)
	r := call(t, ts, "PUT", "/users", p.runtimeAdmin, `{"username":"pat","email":"pat@example.org","full_name":"Pat Q","site_admin":["x","y","x"]}`)
	want(t, r, 200)
	if got := strings.TrimSpace(string(r.Body)); got != `{"username":"pat","email":"pat@example.org","full_name":"Pat Q","site_admin":["x","y"],"disabled":false}` {
		t.Fatalf("body %s", got)
	}
	// Absent and null fields stay; "" clears.
	r = call(t, ts, "PUT", "/users", p.runtimeAdmin, `{"username":"pat","email":null,"full_name":""}`)
	want(t, r, 200)
	if got := strings.TrimSpace(string(r.Body)); got != `{"username":"pat","email":"pat@example.org","full_name":null,"site_admin":["x","y"],"disabled":false}` {
		t.Fatalf("body %s", got)
	}
	if !works(t, ts, p.plain) {
		t.Fatal("a profile update revoked the user's token")
	}
	// An imported grant outside the site-id rule may stay; new ones may not.
	u, _ := ts.store.GetUser(t.Context(), "pat")
	u.SiteAdmin = []string{"imported:site"}
	if err := ts.store.UpdateUser(t.Context(), u); err != nil {
		t.Fatal(err)
	}
	want(t, call(t, ts, "PUT", "/users", p.runtimeAdmin, `{"username":"pat","site_admin":["imported:site","x","y"]}`), 200)

	tests := []struct {
		name, tok, body string
		status          int
		mention         string
	}{
		{"anonymous", p.anon, `{"username":"pat","disabled":true}`, 401, "Not authenticated"},
		{"plain user", p.plain, `{"username":"pat","disabled":true}`, 403, "runtime administrators"},
		{"site admin", p.siteAdmin, `{"username":"pat","disabled":true}`, 403, "runtime administrators"},
		{"site client", p.client, `{"username":"pat","disabled":true}`, 403, "runtime administrators"},
		{"unknown user", p.runtimeAdmin, `{"username":"nobody","disabled":true}`, 404, "nobody"},
		{"username in other case", p.runtimeAdmin, `{"username":"PAT","disabled":true}`, 404, "PAT"},
		{"missing username", p.runtimeAdmin, `{"disabled":true}`, 422, "username"},
		{"unknown field", p.runtimeAdmin, `{"username":"pat","site_admins":["a"]}`, 422, "site_admins"},
		{"bad email", p.runtimeAdmin, `{"username":"pat","email":"nope"}`, 422, "email"},
		{"short password", p.runtimeAdmin, `{"username":"pat","password":"short"}`, 422, "at least 8"},
		{"wrong type", p.runtimeAdmin, `{"username":"pat","disabled":"yes"}`, 422, "disabled"},
		{"empty site id", p.runtimeAdmin, `{"username":"pat","site_admin":[""]}`, 422, "site_admin"},
		{"invalid new site id", p.runtimeAdmin, `{"username":"pat","site_admin":["x","a/b"]}`, 422, "site_admin[1]"},
		{"not an object", p.runtimeAdmin, `[1]`, 422, "JSON object"},
		{"disable yourself", p.runtimeAdmin, `{"username":"admin","disabled":true}`, 409, "your own account"},
		{"drop your own runtime admin", p.runtimeAdmin, `{"username":"admin","site_admin":[]}`, 409, domain.AdminSiteID},
	}
	before := snapshot(t, ts)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			want(t, call(t, ts, "PUT", "/users", tc.tok, tc.body), tc.status, tc.mention)
			unchanged(t, ts, before)
		})
	}
}

// TestDisableAndEnable: disabling refuses the user's tokens and logins at
// once; enabling allows logins again but earlier tokens stay refused.
func TestDisableAndEnable(t *testing.T) {
	ts, clk := startClocked(t)
	p := cast(t, ts)
	want(t, call(t, ts, "PUT", "/users", p.runtimeAdmin, `{"username":"pat","disabled":true}`), 200)
	want(t, call(t, ts, "GET", "/users/me", p.plain, ""), 401, "disabled")
	want(t, tokenOf(t, ts, "grant_type", "password", "username", "pat", "password", testPassword), 401, "disabled")
	clk.Advance(time.Minute)
	r := call(t, ts, "PUT", "/users", p.runtimeAdmin, `{"username":"pat","disabled":false}`)
	want(t, r, 200)
	if r.json(t)["disabled"] != false {
		t.Fatalf("still disabled: %s", r.Body)
	}
	want(t, call(t, ts, "GET", "/users/me", p.plain, ""), 401, "revoked")
	if !works(t, ts, userToken(t, ts, "pat", testPassword)) {
		t.Fatal("a re-enabled user's new token is refused")
	}
	// Disabling an already disabled user keeps its cut-off.
	want(t, call(t, ts, "PUT", "/users", p.runtimeAdmin, `{"username":"pat","disabled":true}`), 200)
	u1, _ := ts.store.GetUser(t.Context(), "pat")
	clk.Advance(time.Minute)
	want(t, call(t, ts, "PUT", "/users", p.runtimeAdmin, `{"username":"pat","disabled":true}`), 200)
	u2, _ := ts.store.GetUser(t.Context(), "pat")
	if !u1.TokensValidAfter.Equal(u2.TokensValidAfter) {
		t.Fatal("disabling twice moved the cut-off")
	}
}

// TestAdminSetsPassword: PUT /users with a password refuses earlier tokens
// (even one issued in the same second) and the old password.
func TestAdminSetsPassword(t *testing.T) {
	ts, _ := startClocked(t) // the clock stands still: all in one second
	p := cast(t, ts)
	want(t, call(t, ts, "PUT", "/users", p.runtimeAdmin, `{"username":"pat","password":"a new password"}`), 200)
	want(t, call(t, ts, "GET", "/users/me", p.plain, ""), 401, "revoked")
	want(t, tokenOf(t, ts, "grant_type", "password", "username", "pat", "password", testPassword), 401)
	if !works(t, ts, userToken(t, ts, "pat", "a new password")) {
		t.Fatal("a token issued after the change, in the same second, is refused")
	}
	if !works(t, ts, p.siteAdmin) {
		t.Fatal("another user's token was revoked")
	}
}

// TestListUsers: GET /admin/users sorted by username and paged, for
// runtime admins only.
func TestListUsers(t *testing.T) {
	ts := startLife(t)
	p := cast(t, ts)
	r := call(t, ts, "GET", "/admin/users?max_page_size=2", p.runtimeAdmin, "")
	want(t, r, 200)
	var names []string
	for {
		m := r.json(t)
		for _, u := range m["resources"].([]any) {
			u := u.(map[string]any)
			if _, ok := u["password"]; ok {
				t.Fatal("a user in a list carries a password field")
			}
			names = append(names, u["username"].(string))
		}
		next, _ := m["next_page_token"].(string)
		if next == "" {
			break
		}
		r = call(t, ts, "GET", "/admin/users?max_page_size=2&page_token="+next, p.runtimeAdmin, "")
		want(t, r, 200)
	}
	if !slices.Equal(names, []string{"admin", "oscar", "pat", "sam"}) {
		t.Fatalf("users %v", names)
	}
	r = call(t, ts, "GET", "/admin/users/sam", p.runtimeAdmin, "")
	want(t, r, 200)
	if r.json(t)["site_admin"].([]any)[0] != "lab" {
		t.Fatalf("GET /admin/users/sam: %s", r.Body)
	}
	for _, tc := range []struct {
		name, path, tok string
		status          int
		mention         string
	}{
		{"anonymous", "/admin/users", p.anon, 401, "Not authenticated"},
		{"plain user", "/admin/users", p.plain, 403, "runtime administrators"},
		{"site admin", "/admin/users", p.siteAdmin, 403, "runtime administrators"},
		{"site client", "/admin/users", p.client, 403, "runtime administrators"},
		{"bad page size", "/admin/users?max_page_size=0", p.runtimeAdmin, 422, "max_page_size"},
		{"bad page token", "/admin/users?page_token=%25%25", p.runtimeAdmin, 422, "page_token"},
		{"one user, plain user", "/admin/users/sam", p.plain, 403, "runtime administrators"},
		{"one user, unknown", "/admin/users/nobody", p.runtimeAdmin, 404, "nobody"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want(t, call(t, ts, "GET", tc.path, tc.tok, ""), tc.status, tc.mention)
		})
	}
}

// TestChangePassword: POST /users/me:changePassword checks the current
// password, refuses earlier tokens and returns a fresh one.
func TestChangePassword(t *testing.T) {
	ts, _ := startClocked(t)
	p := cast(t, ts)
	other := userToken(t, ts, "pat", testPassword) // a second session of pat's
	tests := []struct {
		name, path, tok, body string
		status                int
		mention               string
	}{
		{"anonymous", "/users/me:changePassword", p.anon, `{"current_password":"` + testPassword + `","new_password":"another password"}`, 401, "Not authenticated"},
		{"site client", "/users/me:changePassword", p.client, `{"current_password":"x","new_password":"another password"}`, 403, "site client"},
		{"wrong current password", "/users/me:changePassword", p.plain, `{"current_password":"wrong password","new_password":"another password"}`, 403, "current_password"},
		{"missing current password", "/users/me:changePassword", p.plain, `{"new_password":"another password"}`, 422, "current_password"},
		{"short new password", "/users/me:changePassword", p.plain, `{"current_password":"` + testPassword + `","new_password":"short"}`, 422, "at least 8"},
		{"same password", "/users/me:changePassword", p.plain, `{"current_password":"` + testPassword + `","new_password":"` + testPassword + `"}`, 422, "differ"},
		{"unknown field", "/users/me:changePassword", p.plain, `{"current_password":"` + testPassword + `","password":"another password"}`, 422, "password"},
		{"empty body", "/users/me:changePassword", p.plain, ``, 422, "required"},
		{"someone else's", "/users/sam:changePassword", p.plain, `{"current_password":"` + testPassword + `","new_password":"another password"}`, 404, "/users/me:changePassword"},
	}
	before := snapshot(t, ts)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			want(t, call(t, ts, "POST", tc.path, tc.tok, tc.body), tc.status, tc.mention)
			unchanged(t, ts, before)
		})
	}
	r := call(t, ts, "POST", "/users/me:changePassword", p.plain, `{"current_password":"`+testPassword+`","new_password":"another password"}`)
	want(t, r, 200)
	fresh, _ := r.json(t)["access_token"].(string)
	if r.Header.Get("Cache-Control") != "no-store" || r.json(t)["token_type"] != "bearer" {
		t.Fatalf("response %v %s", r.Header, r.Body)
	}
	if !works(t, ts, fresh) {
		t.Fatal("the fresh token is refused")
	}
	for _, old := range []string{p.plain, other} {
		want(t, call(t, ts, "GET", "/users/me", old, ""), 401, "revoked")
	}
	want(t, tokenOf(t, ts, "grant_type", "password", "username", "pat", "password", testPassword), 401)
	userToken(t, ts, "pat", "another password")
}

// TestShareLinks: a user created without a password gets a one-time link;
// it shows the password once, then 410; links expire; resets work alike.
func TestShareLinks(t *testing.T) {
	ts, clk := startClocked(t)
	p := cast(t, ts)
	r := call(t, ts, "POST", "/users", p.runtimeAdmin, `{"username":"nina","site_admin":["nina-lab"]}`)
	want(t, r, 201)
	m := r.json(t)
	link, _ := m["share_url"].(string)
	if !strings.HasPrefix(link, ts.URL+"/share/") || m["share_expires_at"] != clk.Now().Add(7*24*time.Hour).UTC().Format(time.RFC3339) {
		t.Fatalf("created user: %s", r.Body)
	}
	if _, ok := m["password"]; ok {
		t.Fatal("the generated password is in the create response")
	}
	// HEAD (link checkers) does not use the link up; GET shows the
	// password once, with no-store.
	if r := send(t, "HEAD", link, nil, nil); r.Status != 405 || r.Header.Get("Allow") != "GET" {
		t.Fatalf("HEAD: %d %v", r.Status, r.Header)
	}
	r = send(t, "GET", link, nil, nil)
	want(t, r, 200)
	if r.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("Cache-Control %q", r.Header.Get("Cache-Control"))
	}
	s := r.json(t)
	pw, _ := s["password"].(string)
	if s["kind"] != "password" || s["username"] != "nina" || len(pw) < 32 {
		t.Fatalf("share: %s", r.Body)
	}
	nina := userToken(t, ts, "nina", pw)
	want(t, send(t, "GET", link, nil, nil), 410, "already opened")
	want(t, send(t, "GET", ts.URL+"/share/"+strings.Repeat("A", 43), nil, nil), 404, "does not exist")
	want(t, send(t, "GET", ts.URL+"/share/"+strings.Repeat("A", 5000), nil, nil), 404, "does not exist")

	// A reset: new password by link, earlier tokens and password refused.
	before := snapshot(t, ts)
	for _, tc := range []struct {
		name, path, tok string
		status          int
		mention         string
	}{
		{"reset anonymous", "/users/nina:resetPassword", p.anon, 401, "Not authenticated"},
		{"reset plain user", "/users/nina:resetPassword", p.plain, 403, "runtime administrators"},
		{"reset site admin", "/users/nina:resetPassword", p.siteAdmin, 403, "runtime administrators"},
		{"reset site client", "/users/nina:resetPassword", p.client, 403, "runtime administrators"},
		{"reset unknown user", "/users/nobody:resetPassword", p.runtimeAdmin, 404, "nobody"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want(t, call(t, ts, "POST", tc.path, tc.tok, ""), tc.status, tc.mention)
			unchanged(t, ts, before)
		})
	}
	r = call(t, ts, "POST", "/users/nina:resetPassword", p.runtimeAdmin, "")
	want(t, r, 200)
	link2 := r.json(t)["share_url"].(string)
	want(t, call(t, ts, "GET", "/users/me", nina, ""), 401, "revoked")
	want(t, tokenOf(t, ts, "grant_type", "password", "username", "nina", "password", pw), 401)
	r = send(t, "GET", link2, nil, nil)
	want(t, r, 200)
	userToken(t, ts, "nina", r.json(t)["password"].(string))

	// Expiry: a link unopened for 7 days answers 410 and its secret is gone.
	r = call(t, ts, "POST", "/users", p.runtimeAdmin, `{"username":"late"}`)
	want(t, r, 201)
	link3 := r.json(t)["share_url"].(string)
	clk.Advance(7*24*time.Hour - time.Second)
	want(t, call(t, ts, "GET", "/users/me", p.runtimeAdmin, ""), 401, "expired") // tokens read the same clock
	r = call(t, ts, "POST", "/users", adminToken(t, ts), `{"username":"later"}`)
	want(t, r, 201)
	link4 := r.json(t)["share_url"].(string)
	clk.Advance(time.Second)
	want(t, send(t, "GET", link3, nil, nil), 410, "expired")
	want(t, send(t, "GET", link3, nil, nil), 410, "expired")
	want(t, send(t, "GET", link4, nil, nil), 200)
}

// TestShareTTLAndPublicURL: the link lifetime and base URL are settings.
func TestShareTTLAndPublicURL(t *testing.T) {
	ts, clk := startClocked(t, func(c *serveConfig) {
		c.ShareTTL = time.Hour
		c.PublicURL = "https://api.example.org/"
	})
	admin := adminToken(t, ts)
	r := call(t, ts, "POST", "/users", admin, `{"username":"hana"}`)
	want(t, r, 201)
	m := r.json(t)
	link := m["share_url"].(string)
	if !strings.HasPrefix(link, "https://api.example.org/share/") || m["share_expires_at"] != clk.Now().Add(time.Hour).UTC().Format(time.RFC3339) {
		t.Fatalf("created: %s", r.Body)
	}
	clk.Advance(time.Hour)
	want(t, send(t, "GET", ts.URL+"/share/"+shareToken(t, link), nil, nil), 410, "expired")
}

// TestSiteClientLifecycle: list, rotate (directly and by link) and delete
// a site's clients; permission checks; tokens stop working at once.
func TestSiteClientLifecycle(t *testing.T) {
	ts, clk := startClocked(t)
	p := cast(t, ts)

	// last_used_at is set by the client's login.
	r := call(t, ts, "GET", "/sites/lab/clients", p.siteAdmin, "")
	want(t, r, 200)
	if strings.Contains(string(r.Body), p.clientSecret) || strings.Contains(string(r.Body), "sha256") || strings.Contains(string(r.Body), "secret") {
		t.Fatalf("client list shows a secret: %s", r.Body)
	}
	res := r.json(t)["resources"].([]any)
	c := res[0].(map[string]any)
	if len(res) != 1 || c["id"] != p.clientID || c["site_id"] != "lab" || c["created_by"] != "sam" || c["last_used_at"] != clk.Now().UTC().Format(time.RFC3339) {
		t.Fatalf("clients: %s", r.Body)
	}
	want(t, call(t, ts, "GET", "/sites/other-lab/clients", p.otherSiteAdmin, ""), 200)

	// Paging in creation order; a client deleted between pages skips nothing.
	var made []string
	for range 4 {
		clk.Advance(time.Second)
		id, _ := newClient(t, ts, p.siteAdmin, "lab")
		made = append(made, id)
	}
	r = call(t, ts, "GET", "/sites/lab/clients?max_page_size=2", p.siteAdmin, "")
	want(t, r, 200)
	page1 := r.json(t)
	want(t, call(t, ts, "DELETE", "/sites/lab/clients/"+made[0], p.siteAdmin, ""), 204)
	var ids []string
	for pg := page1; ; {
		for _, c := range pg["resources"].([]any) {
			ids = append(ids, c.(map[string]any)["id"].(string))
		}
		next, _ := pg["next_page_token"].(string)
		if next == "" {
			break
		}
		r = call(t, ts, "GET", "/sites/lab/clients?max_page_size=2&page_token="+next, p.siteAdmin, "")
		want(t, r, 200)
		pg = r.json(t)
	}
	if want := append([]string{p.clientID}, made...); !slices.Equal(ids, want) {
		t.Fatalf("pages %v, want %v", ids, want)
	}
	for _, id := range made[1:] {
		want(t, call(t, ts, "DELETE", "/sites/lab/clients/"+id, p.siteAdmin, ""), 204)
	}
	want(t, call(t, ts, "GET", "/sites/lab/clients?page_token=eA", p.siteAdmin, ""), 422, "page_token")
	want(t, call(t, ts, "GET", "/sites/lab/clients?max_page_size=0", p.siteAdmin, ""), 422, "max_page_size")

	// Permission checks, and 404s that reveal nothing of other sites.
	otherID, _ := newClient(t, ts, p.otherSiteAdmin, "other-lab")
	before := snapshot(t, ts)
	for _, tc := range []struct {
		name, method, path, tok string
		status                  int
		mention                 string
	}{
		{"list anonymous", "GET", "/sites/lab/clients", p.anon, 401, "Not authenticated"},
		{"list plain user", "GET", "/sites/lab/clients", p.plain, 403, "Only admins of site"},
		{"list other site's admin", "GET", "/sites/lab/clients", p.otherSiteAdmin, 403, "Only admins of site"},
		{"list runtime admin", "GET", "/sites/lab/clients", p.runtimeAdmin, 403, "Only admins of site"},
		{"list site client", "GET", "/sites/lab/clients", p.client, 403, "Only admins of site"},
		{"list unknown site", "GET", "/sites/nope/clients", p.siteAdmin, 404, "nope"},
		{"delete anonymous", "DELETE", "/sites/lab/clients/" + p.clientID, p.anon, 401, "Not authenticated"},
		{"delete plain user", "DELETE", "/sites/lab/clients/" + p.clientID, p.plain, 403, "Only admins of site"},
		{"delete site client itself", "DELETE", "/sites/lab/clients/" + p.clientID, p.client, 403, "Only admins of site"},
		{"delete runtime admin", "DELETE", "/sites/lab/clients/" + p.clientID, p.runtimeAdmin, 403, "Only admins of site"},
		{"delete another site's client", "DELETE", "/sites/lab/clients/" + otherID, p.siteAdmin, 404, "has no client"},
		{"delete unknown client", "DELETE", "/sites/lab/clients/sys0nope", p.siteAdmin, 404, "has no client"},
		{"rotate anonymous", "POST", "/sites/lab/clients/" + p.clientID + ":rotateSecret", p.anon, 401, "Not authenticated"},
		{"rotate plain user", "POST", "/sites/lab/clients/" + p.clientID + ":rotateSecret", p.plain, 403, "Only admins of site"},
		{"rotate other site's admin", "POST", "/sites/lab/clients/" + p.clientID + ":rotateSecret", p.otherSiteAdmin, 403, "Only admins of site"},
		{"rotate site client", "POST", "/sites/lab/clients/" + p.clientID + ":rotateSecret", p.client, 403, "Only admins of site"},
		{"rotate another site's client", "POST", "/sites/lab/clients/" + otherID + ":rotateSecret", p.siteAdmin, 404, "has no client"},
		{"rotate bad share flag", "POST", "/sites/lab/clients/" + p.clientID + ":rotateSecret?share=maybe", p.siteAdmin, 422, "share"},
		{"rotate unknown verb", "POST", "/sites/lab/clients/" + p.clientID + ":rotate", p.siteAdmin, 404, "rotateSecret"},
		{"generate bad share flag", "POST", "/sites/lab:generateCredentials?share=yes", p.siteAdmin, 422, "share"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want(t, call(t, ts, tc.method, tc.path, tc.tok, ""), tc.status, tc.mention)
			unchanged(t, ts, before)
		})
	}

	// Rotation: the old secret and its tokens stop working; the new one works.
	r = call(t, ts, "POST", "/sites/lab/clients/"+p.clientID+":rotateSecret", p.siteAdmin, "")
	want(t, r, 200)
	m := r.json(t)
	secret2, _ := m["client_secret"].(string)
	if m["client_id"] != p.clientID || len(secret2) != 43 || secret2 == p.clientSecret {
		t.Fatalf("rotate: %s", r.Body)
	}
	want(t, call(t, ts, "GET", "/users/me", p.client, ""), 401, "revoked")
	want(t, tokenOf(t, ts, "grant_type", "client_credentials", "client_id", p.clientID, "client_secret", p.clientSecret), 401)
	tok2 := clientToken(t, ts, p.clientID, secret2)
	if !works(t, ts, tok2) {
		t.Fatal("the token of the rotated secret is refused")
	}

	// Rotation and generation by one-time link.
	r = call(t, ts, "POST", "/sites/lab/clients/"+p.clientID+":rotateSecret?share=true", p.siteAdmin, "")
	want(t, r, 200)
	m = r.json(t)
	if _, ok := m["client_secret"]; ok || m["share_url"] == nil {
		t.Fatalf("rotate by link: %s", r.Body)
	}
	want(t, call(t, ts, "GET", "/users/me", tok2, ""), 401, "revoked")
	r = send(t, "GET", m["share_url"].(string), nil, nil)
	want(t, r, 200)
	s := r.json(t)
	if s["kind"] != "client_secret" || s["client_id"] != p.clientID || s["site_id"] != "lab" {
		t.Fatalf("share: %s", r.Body)
	}
	tok3 := clientToken(t, ts, p.clientID, s["client_secret"].(string))
	r = call(t, ts, "POST", "/sites/lab:generateCredentials?share=true", p.siteAdmin, "")
	want(t, r, 200)
	m = r.json(t)
	if _, ok := m["client_secret"]; ok {
		t.Fatalf("generate by link shows the secret: %s", r.Body)
	}
	r = send(t, "GET", m["share_url"].(string), nil, nil)
	want(t, r, 200)
	clientToken(t, ts, m["client_id"].(string), r.json(t)["client_secret"].(string))
	want(t, send(t, "GET", m["share_url"].(string), nil, nil), 410)

	// Deletion: the client's token stops working at once.
	want(t, call(t, ts, "DELETE", "/sites/lab/clients/"+p.clientID, p.siteAdmin, ""), 204)
	want(t, call(t, ts, "GET", "/users/me", tok3, ""), 401, "no longer exists")
	want(t, tokenOf(t, ts, "grant_type", "client_credentials", "client_id", p.clientID, "client_secret", s["client_secret"].(string)), 401)
	want(t, call(t, ts, "DELETE", "/sites/lab/clients/"+p.clientID, p.siteAdmin, ""), 404)
	r = call(t, ts, "GET", "/sites/lab/clients", p.siteAdmin, "")
	if strings.Contains(string(r.Body), p.clientID) {
		t.Fatalf("a deleted client is listed: %s", r.Body)
	}
}

// TestLastUsedAtIsCheap: client logins write last_used_at at most once a
// minute.
func TestLastUsedAtIsCheap(t *testing.T) {
	ts, clk := startClocked(t)
	p := cast(t, ts)
	first, _ := ts.store.GetSiteClient(t.Context(), p.clientID)
	clk.Advance(30 * time.Second)
	clientToken(t, ts, p.clientID, p.clientSecret)
	c, _ := ts.store.GetSiteClient(t.Context(), p.clientID)
	if !c.LastUsedAt.Equal(first.LastUsedAt) {
		t.Fatal("a login within a minute rewrote last_used_at")
	}
	clk.Advance(31 * time.Second)
	clientToken(t, ts, p.clientID, p.clientSecret)
	c, _ = ts.store.GetSiteClient(t.Context(), p.clientID)
	if !c.LastUsedAt.Equal(clk.Now().Truncate(time.Millisecond)) {
		t.Fatalf("last_used_at %v, want %v", c.LastUsedAt, clk.Now())
	}
}

// TestPatchSiteClient: PATCH /admin/site_clients/{id} sets a user-chosen
// secret for holders of the /admin/site_clients allowance.
func TestPatchSiteClient(t *testing.T) {
	ts := startLife(t)
	p := cast(t, ts)
	path := "/admin/site_clients/" + p.clientID
	before := snapshot(t, ts)
	for _, tc := range []struct {
		name, path, tok, body string
		status                int
		mention               string
	}{
		{"anonymous", path, p.anon, `{"secret":"a chosen secret"}`, 401, "Not authenticated"},
		{"plain user", path, p.plain, `{"secret":"a chosen secret"}`, 403, "/admin/site_clients"},
		{"the site's admin", path, p.siteAdmin, `{"secret":"a chosen secret"}`, 403, "/admin/site_clients"},
		{"site client", path, p.client, `{"secret":"a chosen secret"}`, 403, "/admin/site_clients"},
		{"plain user, empty body", path, p.plain, `{}`, 403, "/admin/site_clients"},
		{"short secret", path, p.runtimeAdmin, `{"secret":"2short"}`, 422, "at least 8"},
		{"empty secret", path, p.runtimeAdmin, `{"secret":""}`, 422, "secret"},
		{"unknown field", path, p.runtimeAdmin, `{"client_secret":"a chosen secret"}`, 422, "client_secret"},
		{"wrong type", path, p.runtimeAdmin, `{"secret":12345678}`, 422, "secret"},
		{"unknown client", "/admin/site_clients/sys0nope", p.runtimeAdmin, `{"secret":"a chosen secret"}`, 404, "sys0nope"},
		{"unknown client, empty body", "/admin/site_clients/sys0nope", p.runtimeAdmin, `{}`, 404, "sys0nope"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want(t, call(t, ts, "PATCH", tc.path, tc.tok, tc.body), tc.status, tc.mention)
			unchanged(t, ts, before)
		})
	}
	for _, body := range []string{`{}`, `{"secret":null}`} {
		want(t, call(t, ts, "PATCH", path, p.runtimeAdmin, body), 204)
		unchanged(t, ts, before)
	}
	if !works(t, ts, p.client) {
		t.Fatal("a 204 revoked the client's token")
	}
	r := call(t, ts, "PATCH", path, p.runtimeAdmin, `{"secret":"my_new_secret!"}`)
	want(t, r, 200)
	m := r.json(t)
	if m["id"] != p.clientID || m["site_id"] != "lab" || !strings.Contains(m["message"].(string), p.clientID) || strings.Contains(string(r.Body), "my_new_secret!") {
		t.Fatalf("patch: %s", r.Body)
	}
	c, _ := ts.store.GetSiteClient(t.Context(), p.clientID)
	if !strings.HasPrefix(c.SecretHash, "$nmdc-sha256-bcrypt-v1$2a$") {
		t.Fatalf("a chosen secret is stored as %q, want bcrypt", c.SecretHash[:10])
	}
	want(t, call(t, ts, "GET", "/users/me", p.client, ""), 401, "revoked")
	want(t, tokenOf(t, ts, "grant_type", "client_credentials", "client_id", p.clientID, "client_secret", p.clientSecret), 401)
	clientToken(t, ts, p.clientID, "my_new_secret!")

	// Granting the allowance lets a plain user do it.
	want(t, call(t, ts, "POST", "/admin/allowances", p.runtimeAdmin, `{"username":"pat","action":"/admin/site_clients"}`), 201)
	want(t, call(t, ts, "PATCH", path, p.plain, `{"secret":"pat's choice"}`), 200)
}

// TestSiteAdmins: a site's admins add and remove admins; the last admin
// cannot remove themself.
func TestSiteAdmins(t *testing.T) {
	ts := startLife(t)
	p := cast(t, ts)
	before := snapshot(t, ts)
	for _, tc := range []struct {
		name, method, path, tok, body string
		status                        int
		mention                       string
	}{
		{"list anonymous", "GET", "/sites/lab/admins", p.anon, "", 401, "Not authenticated"},
		{"list plain user", "GET", "/sites/lab/admins", p.plain, "", 403, "Only admins of site"},
		{"add anonymous", "POST", "/sites/lab/admins", p.anon, `{"username":"pat"}`, 401, "Not authenticated"},
		{"add plain user", "POST", "/sites/lab/admins", p.plain, `{"username":"pat"}`, 403, "Only admins of site"},
		{"add other site's admin", "POST", "/sites/lab/admins", p.otherSiteAdmin, `{"username":"oscar"}`, 403, "Only admins of site"},
		{"add runtime admin", "POST", "/sites/lab/admins", p.runtimeAdmin, `{"username":"pat"}`, 403, "Only admins of site"},
		{"add site client", "POST", "/sites/lab/admins", p.client, `{"username":"pat"}`, 403, "Only admins of site"},
		{"add unknown site", "POST", "/sites/nope/admins", p.siteAdmin, `{"username":"pat"}`, 404, "nope"},
		{"add unknown user", "POST", "/sites/lab/admins", p.siteAdmin, `{"username":"nobody"}`, 404, "nobody"},
		{"add existing admin", "POST", "/sites/lab/admins", p.siteAdmin, `{"username":"sam"}`, 409, "already an admin"},
		{"add missing username", "POST", "/sites/lab/admins", p.siteAdmin, `{}`, 422, "username"},
		{"add unknown field", "POST", "/sites/lab/admins", p.siteAdmin, `{"user":"pat"}`, 422, "user"},
		{"remove plain user", "DELETE", "/sites/lab/admins/sam", p.plain, "", 403, "Only admins of site"},
		{"remove site client", "DELETE", "/sites/lab/admins/sam", p.client, "", 403, "Only admins of site"},
		{"remove non-admin", "DELETE", "/sites/lab/admins/pat", p.siteAdmin, "", 404, "not an admin"},
		{"remove last admin", "DELETE", "/sites/lab/admins/sam", p.siteAdmin, "", 409, "last admin"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want(t, call(t, ts, tc.method, tc.path, tc.tok, tc.body), tc.status, tc.mention)
			unchanged(t, ts, before)
		})
	}
	r := call(t, ts, "POST", "/sites/lab/admins", p.siteAdmin, `{"username":"pat"}`)
	want(t, r, 201)
	if strings.TrimSpace(string(r.Body)) != `{"site_id":"lab","username":"pat"}` {
		t.Fatalf("add: %s", r.Body)
	}
	r = call(t, ts, "GET", "/sites/lab/admins", p.plain, "") // pat's old token: rights are read per request
	want(t, r, 200)
	if strings.TrimSpace(string(r.Body)) != `{"resources":[{"site_id":"lab","username":"pat"},{"site_id":"lab","username":"sam"}],"next_page_token":null}` {
		t.Fatalf("list: %s", r.Body)
	}
	// Now pat may generate credentials; sam leaves; pat cannot leave.
	newClient(t, ts, p.plain, "lab")
	want(t, call(t, ts, "DELETE", "/sites/lab/admins/sam", p.siteAdmin, ""), 204)
	want(t, call(t, ts, "GET", "/sites/lab/clients", p.siteAdmin, ""), 403)
	want(t, call(t, ts, "DELETE", "/sites/lab/admins/pat", p.plain, ""), 409, "last admin")
	u, _ := ts.store.GetUser(t.Context(), "sam")
	if u.IsSiteAdmin("lab") {
		t.Fatal("sam still administers lab")
	}
}

// TestAllowances: the allowances API for holders of /admin/allowances.
func TestAllowances(t *testing.T) {
	ts := startLife(t)
	p := cast(t, ts)
	r := call(t, ts, "GET", "/admin/allowances/actions", p.runtimeAdmin, "")
	want(t, r, 200)
	wantActions := `["/admin/allowances","/admin/site_clients","/metadata/changesheets:submit","/metadata/json:submit","/queries:run(query_cmd:AggregateCommand)","/queries:run(query_cmd:DeleteCommand)","/wf_file_staging"]`
	if strings.TrimSpace(string(r.Body)) != wantActions {
		t.Fatalf("actions %s", r.Body)
	}
	r = call(t, ts, "GET", "/admin/allowances?username=admin", p.runtimeAdmin, "")
	want(t, r, 200)
	if n := len(r.json(t)["resources"].([]any)); n != 7 {
		t.Fatalf("the bootstrap admin holds %d allowances, want 7: %s", n, r.Body)
	}
	before := snapshot(t, ts)
	for _, tc := range []struct {
		name, method, path, tok, body string
		status                        int
		mention                       string
	}{
		{"list anonymous", "GET", "/admin/allowances", p.anon, "", 401, "Not authenticated"},
		{"list plain user", "GET", "/admin/allowances", p.plain, "", 403, "/admin/allowances"},
		{"list site client", "GET", "/admin/allowances", p.client, "", 403, "/admin/allowances"},
		{"list unknown action", "GET", "/admin/allowances?action=/nope", p.runtimeAdmin, "", 422, "action"},
		{"actions plain user", "GET", "/admin/allowances/actions", p.plain, "", 403, "/admin/allowances"},
		{"create plain user", "POST", "/admin/allowances", p.plain, `{"username":"pat","action":"/admin/allowances"}`, 403, "/admin/allowances"},
		{"create site admin", "POST", "/admin/allowances", p.siteAdmin, `{"username":"sam","action":"/admin/allowances"}`, 403, "/admin/allowances"},
		{"create site client", "POST", "/admin/allowances", p.client, `{"username":"pat","action":"/admin/allowances"}`, 403, "/admin/allowances"},
		{"create duplicate", "POST", "/admin/allowances", p.runtimeAdmin, `{"username":"admin","action":"/admin/allowances"}`, 409, "already exists"},
		{"create unknown action", "POST", "/admin/allowances", p.runtimeAdmin, `{"username":"pat","action":"/everything"}`, 422, "action must be one of"},
		{"create unknown user", "POST", "/admin/allowances", p.runtimeAdmin, `{"username":"nobody","action":"/wf_file_staging"}`, 404, "nobody"},
		{"create missing fields", "POST", "/admin/allowances", p.runtimeAdmin, `{}`, 422, "username"},
		{"create unknown field", "POST", "/admin/allowances", p.runtimeAdmin, `{"username":"pat","actions":"/wf_file_staging"}`, 422, "actions"},
		{"delete plain user", "DELETE", "/admin/allowances?username=admin&action=/wf_file_staging", p.plain, "", 403, "/admin/allowances"},
		{"delete absent", "DELETE", "/admin/allowances?username=pat&action=/wf_file_staging", p.runtimeAdmin, "", 404, "No allowance"},
		{"delete missing action", "DELETE", "/admin/allowances?username=pat", p.runtimeAdmin, "", 422, "action"},
		{"delete unknown action name", "DELETE", "/admin/allowances?username=admin&action=/old", p.runtimeAdmin, "", 404, "No allowance"},
		{"delete bad query", "DELETE", "/admin/allowances?username=%zz", p.runtimeAdmin, "", 422, "query"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want(t, call(t, ts, tc.method, tc.path, tc.tok, tc.body), tc.status, tc.mention)
			unchanged(t, ts, before)
		})
	}
	r = call(t, ts, "POST", "/admin/allowances", p.runtimeAdmin, `{"username":"pat","action":"/admin/allowances"}`)
	want(t, r, 201)
	if strings.TrimSpace(string(r.Body)) != `{"username":"pat","action":"/admin/allowances"}` {
		t.Fatalf("create: %s", r.Body)
	}
	// pat now manages allowances.
	want(t, call(t, ts, "POST", "/admin/allowances", p.plain, `{"username":"sam","action":"/wf_file_staging"}`), 201)
	r = call(t, ts, "GET", "/admin/allowances?action=/wf_file_staging&max_page_size=1", p.plain, "")
	want(t, r, 200)
	m := r.json(t)
	if got := m["resources"].([]any)[0].(map[string]any)["username"]; got != "admin" || m["next_page_token"] == nil {
		t.Fatalf("page 1: %s", r.Body)
	}
	r = call(t, ts, "GET", "/admin/allowances?action=/wf_file_staging&max_page_size=1&page_token="+m["next_page_token"].(string), p.plain, "")
	want(t, r, 200)
	if got := r.json(t)["resources"].([]any)[0].(map[string]any)["username"]; got != "sam" {
		t.Fatalf("page 2: %s", r.Body)
	}
	want(t, call(t, ts, "DELETE", "/admin/allowances?username=sam&action=/wf_file_staging", p.plain, ""), 204)
	want(t, call(t, ts, "DELETE", "/admin/allowances?username=pat&action=/admin/allowances", p.runtimeAdmin, ""), 204)
	want(t, call(t, ts, "GET", "/admin/allowances", p.plain, ""), 403)
	// An imported allowance with an action this server does not know can
	// still be revoked.
	if err := ts.store.CreateAllowance(t.Context(), domain.Allowance{Username: "pat", Action: "/retired:action"}); err != nil {
		t.Fatal(err)
	}
	want(t, call(t, ts, "DELETE", "/admin/allowances?username=pat&action=/retired:action", p.runtimeAdmin, ""), 204)
}

// TestCapabilities: anyone reads capabilities; none are seeded; sites keep
// naming capability ids freely.
func TestCapabilities(t *testing.T) {
	ts := startLife(t)
	r := call(t, ts, "GET", "/capabilities", "", "")
	want(t, r, 200)
	if strings.TrimSpace(string(r.Body)) != `{"resources":[],"next_page_token":null}` {
		t.Fatalf("capabilities: %s", r.Body)
	}
	created := time.Date(2021, 6, 1, 0, 0, 0, 0, time.UTC)
	for _, c := range []domain.Capability{{ID: "cp-b", Name: "B", CreatedAt: created}, {ID: "cp-a", Description: "does a", CreatedAt: created}} {
		if err := ts.store.CreateCapability(t.Context(), c); err != nil {
			t.Fatal(err)
		}
	}
	if err := ts.store.CreateCapability(t.Context(), domain.Capability{ID: "cp-a"}); !domain.IsKind(err, domain.Conflict) {
		t.Fatalf("duplicate capability: %v", err)
	}
	r = call(t, ts, "GET", "/capabilities?max_page_size=1", "", "")
	want(t, r, 200)
	if !strings.Contains(string(r.Body), `{"id":"cp-a","name":null,"description":"does a","created_at":"2021-06-01T00:00:00Z"}`) || r.json(t)["next_page_token"] == nil {
		t.Fatalf("capabilities: %s", r.Body)
	}
	r = call(t, ts, "GET", "/capabilities/cp-b", "", "")
	want(t, r, 200)
	if r.json(t)["name"] != "B" {
		t.Fatalf("capability: %s", r.Body)
	}
	want(t, call(t, ts, "GET", "/capabilities/nope", "", ""), 404, "nope")
	want(t, call(t, ts, "GET", "/capabilities?max_page_size=x", "", ""), 422, "max_page_size")
	admin := adminToken(t, ts)
	want(t, call(t, ts, "POST", "/sites", admin, `{"id":"s1","capability_ids":["cp-a","not-described"]}`), 201)
}

// TestCustomMethodPaths: hostile paths at every custom-method route answer
// a JSON 4xx that names the problem, never a 5xx.
func TestCustomMethodPaths(t *testing.T) {
	ts := startLife(t)
	p := cast(t, ts)
	for _, tc := range []struct {
		path    string
		status  int
		mention string
	}{
		{"/users/me", 404, "no custom method"},
		{"/users/:changePassword", 404, "no id"},
		{"/users/me:", 404, "unknown method"},
		{"/users/me:changePassword:changePassword", 404, "/users/me:changePassword"},
		{"/users/me:changepassword", 404, ":changePassword|:resetPassword"},
		{"/users/me%3AresetPassword", 404, `"me"`},
		{"/users/..%2Fadmin:resetPassword", 404, "segments"},
		{"/users/%00:resetPassword", 404, "not found"},
		{"/users/" + strings.Repeat("u", 5000) + ":resetPassword", 404, "not found"},
		{"/sites/lab:" + strings.Repeat("v", 500), 404, "unknown method"},
		{"/sites/lab/clients/" + p.clientID, 404, "no custom method"},
		{"/sites/lab/clients/:rotateSecret", 404, "no id"},
		{"/sites/lab/clients/" + p.clientID + ":rotateSecret:x", 404, "unknown method"},
		{"/sites/nope/clients/" + p.clientID + ":rotateSecret", 404, "nope"},
		{"/sites/lab/clients/..%2F..:rotateSecret", 404, "segments"},
		{"/sites/lab/clients/x%2Fy:rotateSecret", 404, "has no client"},
	} {
		t.Run(tc.path[:min(len(tc.path), 60)], func(t *testing.T) {
			tok := p.runtimeAdmin
			if strings.HasPrefix(tc.path, "/sites/") {
				tok = p.siteAdmin
			}
			r := send(t, "POST", ts.URL+tc.path, bearer(tok), nil)
			want(t, r, tc.status, tc.mention)
			if r.Header.Get("Content-Type") != "application/json" {
				t.Fatalf("Content-Type %q", r.Header.Get("Content-Type"))
			}
		})
	}
	// Unknown verbs are refused before authentication; known ones after.
	want(t, send(t, "POST", ts.URL+"/users/me:nope", nil, nil), 404, "unknown method")
	want(t, send(t, "POST", ts.URL+"/users/me:changePassword", nil, nil), 401)
	want(t, send(t, "GET", ts.URL+"/users/me:changePassword", nil, nil), 405)
	want(t, send(t, "PUT", ts.URL+"/admin/allowances", bearer(p.runtimeAdmin), nil), 405)
}

// TestLifecycleLogsNoSecrets: after every lifecycle flow, no password,
// secret, share token or access token appears in the log.
func TestLifecycleLogsNoSecrets(t *testing.T) {
	ts := startLife(t)
	p := cast(t, ts)
	secrets := []string{testPassword, testAdminPW, p.clientSecret, p.client, p.plain, p.runtimeAdmin}
	r := call(t, ts, "POST", "/users", p.runtimeAdmin, `{"username":"lea"}`)
	link := r.json(t)["share_url"].(string)
	r = send(t, "GET", link, nil, nil)
	pw := r.json(t)["password"].(string)
	send(t, "GET", link, nil, nil)
	secrets = append(secrets, pw, shareToken(t, link))
	lea := userToken(t, ts, "lea", pw)
	want(t, call(t, ts, "POST", "/users/me:changePassword", lea, `{"current_password":"`+pw+`","new_password":"lea's new password"}`), 200)
	want(t, call(t, ts, "POST", "/users/me:changePassword", lea, `{"current_password":"wrong guess 123","new_password":"x"}`), 401)
	r = call(t, ts, "POST", "/sites/lab/clients/"+p.clientID+":rotateSecret", p.siteAdmin, "")
	secrets = append(secrets, "lea's new password", "wrong guess 123", r.json(t)["client_secret"].(string))
	r = call(t, ts, "PATCH", "/admin/site_clients/"+p.clientID, p.runtimeAdmin, `{"secret":"patched secret 1"}`)
	want(t, r, 200)
	want(t, call(t, ts, "PATCH", "/admin/site_clients/"+p.clientID, p.runtimeAdmin, `{"secret":"short"}`), 422)
	want(t, call(t, ts, "PUT", "/users", p.runtimeAdmin, `{"username":"pat","password":"put password 1"}`), 200)
	secrets = append(secrets, "patched secret 1", "put password 1")
	logs := ts.logs.String()
	for _, s := range secrets {
		if strings.Contains(logs, s) {
			t.Fatalf("the log contains a secret %q", s[:min(len(s), 8)])
		}
	}
	if !strings.Contains(logs, "GET /share/{token}") {
		t.Fatal("the log lacks the share route pattern")
	}
	_ = http.MethodGet
}

// TestLifecycleHostileBodies: every new JSON endpoint answers hostile
// bodies with a 4xx that names the problem, and changes nothing.
func TestLifecycleHostileBodies(t *testing.T) {
	ts := startLife(t)
	p := cast(t, ts)
	endpoints := []struct{ method, path, tok string }{
		{"PUT", "/users", p.runtimeAdmin},
		{"POST", "/users/me:changePassword", p.plain},
		{"POST", "/sites/lab/admins", p.siteAdmin},
		{"POST", "/admin/allowances", p.runtimeAdmin},
		{"PATCH", "/admin/site_clients/" + p.clientID, p.runtimeAdmin},
	}
	bodies := []struct {
		name, ctype, body string
		status            int
		mention           string
	}{
		{"malformed", "", `{"username":`, 422, "not valid JSON"},
		{"array", "", `["x"]`, 422, "JSON object"},
		{"string", "", `"x"`, 422, "JSON object"},
		{"null", "", `null`, 422, ""},
		{"duplicate key", "", `{"username":"a","username":"b"}`, 422, "more than once"},
		{"invalid UTF-8", "", "{\"username\":\"\xff\"}", 422, "UTF-8"},
		{"unknown field", "", `{"usernme":"a"}`, 422, "usernme"},
		{"text/plain", "text/plain", `{}`, 415, "application/json"},
		{"over 1 MiB", "", `{"username":"` + strings.Repeat("a", 1<<20) + `"}`, 413, "larger"},
		{"empty", "", ``, 422, "required"},
	}
	before := snapshot(t, ts)
	for _, e := range endpoints {
		for _, b := range bodies {
			t.Run(e.method+" "+e.path[:min(len(e.path), 30)]+" "+b.name, func(t *testing.T) {
				h := jsonHeader(e.tok)
				if b.ctype != "" {
					h.Set("Content-Type", b.ctype)
				}
				r := send(t, e.method, ts.URL+e.path, h, strings.NewReader(b.body))
				if b.name == "null" {
					// null decodes to "nothing given": a 4xx from the rules,
					// or 204 from PATCH, never a 5xx.
					if r.Status >= 500 {
						t.Fatalf("status %d: %s", r.Status, r.Body)
					}
					unchanged(t, ts, before)
					return
				}
				want(t, r, b.status, b.mention)
				unchanged(t, ts, before)
			})
		}
	}
}

// TestLifecycleOddKeys: NUL, invalid UTF-8 and huge keys in paths, queries
// and bodies of the new endpoints are 4xx on every backend, never 5xx.
func TestLifecycleOddKeys(t *testing.T) {
	ts := startLife(t)
	p := cast(t, ts)
	long := strings.Repeat("k", 3000)
	for _, tc := range []struct {
		method, path, tok, body string
		status                  int
	}{
		{"GET", "/admin/users/%00", p.runtimeAdmin, "", 404},
		{"GET", "/admin/users/%FF", p.runtimeAdmin, "", 404},
		{"GET", "/admin/users/" + long, p.runtimeAdmin, "", 404},
		{"PUT", "/users", p.runtimeAdmin, `{"username":"a\u0000b","disabled":true}`, 404},
		{"POST", "/sites/lab/admins", p.siteAdmin, `{"username":"a\u0000b"}`, 404},
		{"POST", "/sites/lab/admins", p.siteAdmin, `{"username":"` + long + `"}`, 404},
		{"DELETE", "/sites/lab/admins/%00", p.siteAdmin, "", 404},
		{"DELETE", "/sites/lab/clients/%FF", p.siteAdmin, "", 404},
		{"POST", "/sites/lab/clients/%00:rotateSecret", p.siteAdmin, "", 404},
		{"PATCH", "/admin/site_clients/%00", p.runtimeAdmin, `{"secret":"a long secret"}`, 404},
		{"GET", "/admin/allowances?username=%00&action=%2Fwf_file_staging", p.runtimeAdmin, "", 200},
		{"DELETE", "/admin/allowances?username=%00&action=%FF", p.runtimeAdmin, "", 404},
		{"POST", "/admin/allowances", p.runtimeAdmin, `{"username":"a\u0000b","action":"/wf_file_staging"}`, 404},
		{"GET", "/capabilities/%00", "", "", 404},
		{"GET", "/capabilities/" + long, "", "", 404},
		{"GET", "/share/%00", "", "", 404},
		{"GET", "/share/%FF", "", "", 404},
	} {
		t.Run(tc.method+" "+tc.path[:min(len(tc.path), 50)], func(t *testing.T) {
			r := call(t, ts, tc.method, tc.path, tc.tok, tc.body)
			if r.Status >= 500 || (r.Status != tc.status && !(r.Status == 400 || r.Status == 404 || r.Status == 422)) {
				t.Fatalf("status %d, want %d: %s", r.Status, tc.status, r.Body)
			}
			if r.Status >= 400 {
				_ = r.detail(t)
			}
		})
	}
}

// TestLifecycleOnPostgres runs the lifecycle tests on PostgreSQL, one fresh
// schema per server. Without RUNTIME_TEST_POSTGRES_DSN it skips (fails
// under CI=true).
func TestLifecycleOnPostgres(t *testing.T) {
	base := pgtest.BaseDSN(t)
	lifecycleDB = func(t *testing.T) string { return pgtest.FreshSchema(t, base) }
	t.Cleanup(func() { lifecycleDB = nil })
	for _, tc := range []struct {
		name string
		fn   func(*testing.T)
	}{
		{"UpdateUser", TestUpdateUser},
		{"DisableAndEnable", TestDisableAndEnable},
		{"AdminSetsPassword", TestAdminSetsPassword},
		{"ListUsers", TestListUsers},
		{"ChangePassword", TestChangePassword},
		{"ShareLinks", TestShareLinks},
		{"SiteClientLifecycle", TestSiteClientLifecycle},
		{"LastUsedAtIsCheap", TestLastUsedAtIsCheap},
		{"PatchSiteClient", TestPatchSiteClient},
		{"SiteAdmins", TestSiteAdmins},
		{"Allowances", TestAllowances},
		{"Capabilities", TestCapabilities},
		{"LifecycleHostileBodies", TestLifecycleHostileBodies},
		{"LifecycleOddKeys", TestLifecycleOddKeys},
	} {
		t.Run(tc.name, tc.fn)
	}
}
