package main

import (
	"context"
	"encoding/json"
	"net/url"
	"testing"
	"time"

	"github.com/nmdc-runtime/server/auth"
	"github.com/nmdc-runtime/server/postgres/pgtest"
)

// TestLastAdminOnUserUpdate: PUT /users cannot drop a site of which the
// user is the only admin (409 naming the site), as DELETE
// /sites/{id}/admins/{u} cannot; sites not created yet do not count.
func TestLastAdminOnUserUpdate(t *testing.T) {
	ts := startLife(t)
	admin := adminToken(t, ts)
	bob := newUser(t, ts, admin, "bob")
	newSite(t, ts, bob, "alice-lab")
	newSite(t, ts, bob, "bob-lab")
	newUser(t, ts, admin, "carol")

	before := snapshot(t, ts)
	for _, tc := range []struct{ name, body string }{
		{"drops alice-lab", `{"username":"bob","site_admin":["bob-lab"]}`},
		{"drops both", `{"username":"bob","site_admin":[]}`},
		{"drops both, adds an uncreated one", `{"username":"bob","site_admin":["future-lab"]}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want(t, call(t, ts, "PUT", "/users", admin, tc.body), 409, "bob", "alice-lab", "last admin")
			unchanged(t, ts, before)
		})
	}

	// A site not created yet may be dropped; kept sites may be reordered.
	want(t, call(t, ts, "PUT", "/users", admin, `{"username":"bob","site_admin":["bob-lab","alice-lab","future-lab"]}`), 200)
	want(t, call(t, ts, "PUT", "/users", admin, `{"username":"bob","site_admin":["alice-lab","bob-lab"]}`), 200)
	// With another admin, bob may leave.
	bob = userToken(t, ts, "bob", testPassword)
	want(t, call(t, ts, "POST", "/sites/alice-lab/admins", bob, `{"username":"carol"}`), 201)
	r := call(t, ts, "PUT", "/users", admin, `{"username":"bob","site_admin":["bob-lab"]}`)
	want(t, r, 200)
	if got := r.json(t)["site_admin"]; len(got.([]any)) != 1 {
		t.Fatalf("site_admin after leaving: %v", got)
	}
	// carol is now alone, and the same rule holds through DELETE.
	carol := userToken(t, ts, "carol", testPassword)
	want(t, call(t, ts, "DELETE", "/sites/alice-lab/admins/carol", carol, ""), 409, "alice-lab")
	want(t, call(t, ts, "PUT", "/users", admin, `{"username":"carol","site_admin":[]}`), 409, "alice-lab")
}

// openLink opens a share link.
func openLink(t *testing.T, link string) rawResponse {
	t.Helper()
	return send(t, "GET", link, nil, nil)
}

// wantRevoked checks that a link's sealed secret is erased in the store
// and that opening it is a 410 saying the secret was replaced.
func wantRevoked(t *testing.T, ts *testServer, link string) {
	t.Helper()
	l, err := ts.store.OpenShareLink(context.Background(), auth.HashSecret(shareToken(t, link)), time.Now())
	if err != nil {
		t.Fatalf("OpenShareLink: %v", err)
	}
	if !l.Revoked || len(l.Sealed) != 0 {
		t.Fatalf("link stored as revoked=%v with %d sealed bytes; want revoked and erased", l.Revoked, len(l.Sealed))
	}
	want(t, openLink(t, link), 410, "secret was replaced or deleted", "ask for a new link")
}

// TestShareLinksRevoked: once the password or client secret behind an
// unopened link is replaced, or its client deleted, the link is a 410 and
// its sealed secret is erased; the newest link still works.
func TestShareLinksRevoked(t *testing.T) {
	shareOf := func(t *testing.T, r rawResponse) string {
		t.Helper()
		want(t, r, 200)
		link, _ := r.json(t)["share_url"].(string)
		if link == "" {
			t.Fatalf("no share_url: %s", r.Body)
		}
		return link
	}
	t.Run("second reset", func(t *testing.T) {
		ts := startLife(t)
		p := cast(t, ts)
		first := shareOf(t, call(t, ts, "POST", "/users/pat:resetPassword", p.runtimeAdmin, ""))
		second := shareOf(t, call(t, ts, "POST", "/users/pat:resetPassword", p.runtimeAdmin, ""))
		wantRevoked(t, ts, first)
		r := openLink(t, second)
		want(t, r, 200)
		userToken(t, ts, "pat", r.json(t)["password"].(string))
	})
	t.Run("PUT /users with a password", func(t *testing.T) {
		ts := startLife(t)
		p := cast(t, ts)
		r := call(t, ts, "POST", "/users", p.runtimeAdmin, `{"username":"nina"}`)
		want(t, r, 201)
		link := r.json(t)["share_url"].(string)
		want(t, call(t, ts, "PUT", "/users", p.runtimeAdmin, `{"username":"nina","password":"a-chosen-password"}`), 200)
		wantRevoked(t, ts, link)
		userToken(t, ts, "nina", "a-chosen-password")
	})
	t.Run("PUT /users without a password keeps the link", func(t *testing.T) {
		ts := startLife(t)
		p := cast(t, ts)
		link := shareOf(t, call(t, ts, "POST", "/users/pat:resetPassword", p.runtimeAdmin, ""))
		want(t, call(t, ts, "PUT", "/users", p.runtimeAdmin, `{"username":"pat","full_name":"Pat"}`), 200)
		want(t, openLink(t, link), 200)
	})
	t.Run("client deleted", func(t *testing.T) {
		ts := startLife(t)
		p := cast(t, ts)
		r := call(t, ts, "POST", "/sites/lab:generateCredentials?share=true", p.siteAdmin, "")
		link := shareOf(t, r)
		id := r.json(t)["client_id"].(string)
		want(t, call(t, ts, "DELETE", "/sites/lab/clients/"+id, p.siteAdmin, ""), 204)
		wantRevoked(t, ts, link)
	})
	t.Run("rotateSecret", func(t *testing.T) {
		ts := startLife(t)
		p := cast(t, ts)
		r := call(t, ts, "POST", "/sites/lab:generateCredentials?share=true", p.siteAdmin, "")
		link := shareOf(t, r)
		id := r.json(t)["client_id"].(string)
		r = call(t, ts, "POST", "/sites/lab/clients/"+id+":rotateSecret", p.siteAdmin, "")
		want(t, r, 200)
		wantRevoked(t, ts, link)
		clientToken(t, ts, id, r.json(t)["client_secret"].(string))
	})
	t.Run("rotateSecret twice by link", func(t *testing.T) {
		ts := startLife(t)
		p := cast(t, ts)
		first := shareOf(t, call(t, ts, "POST", "/sites/lab/clients/"+p.clientID+":rotateSecret?share=true", p.siteAdmin, ""))
		second := shareOf(t, call(t, ts, "POST", "/sites/lab/clients/"+p.clientID+":rotateSecret?share=true", p.siteAdmin, ""))
		wantRevoked(t, ts, first)
		r := openLink(t, second)
		want(t, r, 200)
		clientToken(t, ts, p.clientID, r.json(t)["client_secret"].(string))
	})
	t.Run("PATCH /admin/site_clients", func(t *testing.T) {
		ts := startLife(t)
		p := cast(t, ts)
		link := shareOf(t, call(t, ts, "POST", "/sites/lab/clients/"+p.clientID+":rotateSecret?share=true", p.siteAdmin, ""))
		want(t, call(t, ts, "PATCH", "/admin/site_clients/"+p.clientID, p.runtimeAdmin, `{"secret":"a-chosen-secret"}`), 200)
		wantRevoked(t, ts, link)
		clientToken(t, ts, p.clientID, "a-chosen-secret")
	})
	t.Run("links of other clients and users stay", func(t *testing.T) {
		ts := startLife(t)
		p := cast(t, ts)
		userLink := shareOf(t, call(t, ts, "POST", "/users/oscar:resetPassword", p.runtimeAdmin, ""))
		r := call(t, ts, "POST", "/sites/lab:generateCredentials?share=true", p.siteAdmin, "")
		clientLink := shareOf(t, r)
		want(t, call(t, ts, "POST", "/users/pat:resetPassword", p.runtimeAdmin, ""), 200)
		want(t, call(t, ts, "DELETE", "/sites/lab/clients/"+p.clientID, p.siteAdmin, ""), 204)
		want(t, openLink(t, userLink), 200)
		want(t, openLink(t, clientLink), 200)
	})
}

// TestSiteIDsFoldCase: a new site id equal to an existing one after ASCII
// case folding is a 409; one ending in '.' is a 422; ids reserved through
// site_admin are reserved whatever their letter case.
func TestSiteIDsFoldCase(t *testing.T) {
	ts := startLife(t)
	p := cast(t, ts)
	newSite(t, ts, p.plain, "alice-lab")
	want(t, call(t, ts, "POST", "/users", p.runtimeAdmin, `{"username":"fiona","password":"`+testPassword+`","site_admin":["bob-future"]}`), 201)
	before := snapshot(t, ts)
	for _, tc := range []struct {
		name, tok, id string
		status        int
		mention       []string
	}{
		{"upper case of a site", p.plain, "ALICE-LAB", 409, []string{`"alice-lab"`, "letter case"}},
		{"mixed case of a site, by another user", p.otherSiteAdmin, "Alice-Lab", 409, []string{`"alice-lab"`, "letter case"}},
		{"admin site in upper case, by a runtime admin", p.runtimeAdmin, "NMDC-RUNTIME-USERADMIN", 409, []string{`"nmdc-runtime-useradmin"`, "letter case"}},
		{"exact duplicate", p.plain, "alice-lab", 409, []string{"already exists"}},
		{"trailing dot", p.runtimeAdmin, "nmdc-runtime-useradmin.", 422, []string{"end with '.'"}},
		{"trailing dot of a new id", p.plain, "new-lab.", 422, []string{"end with '.'"}},
		{"reserved id in another case", p.plain, "Bob-Future", 403, []string{"reserved"}},
		{"reserved id in upper case", p.plain, "BOB-FUTURE", 403, []string{"reserved"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, _ := json.Marshal(map[string]string{"id": tc.id})
			want(t, call(t, ts, "POST", "/sites", tc.tok, string(b)), tc.status, tc.mention...)
			unchanged(t, ts, before)
		})
	}
	// The grantee may create it; a dot inside an id is fine.
	newSite(t, ts, userToken(t, ts, "fiona", testPassword), "bob-future")
	newSite(t, ts, p.plain, "lab.v2")
}

// TestStrictQueryAndBody: repeated query parameters, a share value other
// than true/false/1/0, a body on a call that takes none, and a page_token
// this server did not issue are 422s naming the problem.
func TestStrictQueryAndBody(t *testing.T) {
	ts := startLife(t)
	p := cast(t, ts)
	before := snapshot(t, ts)
	garbage := url.QueryEscape("garbage")
	for _, tc := range []struct {
		name, method, path, tok, body string
		mention                       []string
	}{
		{"share twice", "POST", "/sites/lab:generateCredentials?share=true&share=false", p.siteAdmin, "", []string{"share", "more than once"}},
		{"share twice on rotate", "POST", "/sites/lab/clients/" + p.clientID + ":rotateSecret?share=false&share=false", p.siteAdmin, "", []string{"share", "more than once"}},
		{"share empty", "POST", "/sites/lab:generateCredentials?share=", p.siteAdmin, "", []string{"share must be true or false"}},
		{"share yes", "POST", "/sites/lab:generateCredentials?share=yes", p.siteAdmin, "", []string{"share must be true or false"}},
		{"username twice", "GET", "/admin/allowances?username=a&username=b", p.runtimeAdmin, "", []string{"username", "more than once"}},
		{"action twice", "GET", "/admin/allowances?action=/a&action=/b", p.runtimeAdmin, "", []string{"action", "more than once"}},
		{"username twice on delete", "DELETE", "/admin/allowances?username=admin&username=pat&action=/wf_file_staging", p.runtimeAdmin, "", []string{"username", "more than once"}},
		{"max_page_size twice", "GET", "/sites?max_page_size=1&max_page_size=2", "", "", []string{"max_page_size", "more than once"}},
		{"garbage page_token on sites", "GET", "/sites?page_token=" + garbage, "", "", []string{"page_token"}},
		{"garbage page_token on users", "GET", "/admin/users?page_token=" + garbage, p.runtimeAdmin, "", []string{"page_token"}},
		{"garbage page_token on clients", "GET", "/sites/lab/clients?page_token=" + garbage, p.siteAdmin, "", []string{"page_token"}},
		{"garbage page_token on capabilities", "GET", "/capabilities?page_token=" + garbage, "", "", []string{"page_token"}},
		{"garbage page_token on allowances", "GET", "/admin/allowances?page_token=" + garbage, p.runtimeAdmin, "", []string{"page_token"}},
		{"body on resetPassword", "POST", "/users/pat:resetPassword", p.runtimeAdmin, `{"password":"x"}`, []string{"takes no body"}},
		{"body on generateCredentials", "POST", "/sites/lab:generateCredentials", p.siteAdmin, `{}`, []string{"takes no body"}},
		{"body on rotateSecret", "POST", "/sites/lab/clients/" + p.clientID + ":rotateSecret", p.siteAdmin, `{"share":true}`, []string{"takes no body"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want(t, call(t, ts, tc.method, tc.path, tc.tok, tc.body), 422, tc.mention...)
			unchanged(t, ts, before)
		})
	}

	// Tokens this server issued still page through every list.
	for _, id := range []string{"lab-a", "lab-b", "lab-c"} {
		newSite(t, ts, p.plain, id)
	}
	seen := 0
	path := "/sites?max_page_size=2"
	for range 10 {
		r := call(t, ts, "GET", path, "", "")
		want(t, r, 200)
		m := r.json(t)
		seen += len(m["resources"].([]any))
		next, _ := m["next_page_token"].(string)
		if next == "" {
			break
		}
		path = "/sites?max_page_size=2&page_token=" + url.QueryEscape(next)
	}
	if seen != 6 { // nmdc-runtime-useradmin, lab, other-lab and three more
		t.Fatalf("paging saw %d sites, want 6", seen)
	}
	// share=1 and share=0 still work; so does a body-less call with an
	// empty body.
	want(t, call(t, ts, "POST", "/sites/lab:generateCredentials?share=0", p.siteAdmin, ""), 200)
	r := call(t, ts, "POST", "/sites/lab:generateCredentials?share=1", p.siteAdmin, "")
	want(t, r, 200)
	if _, ok := r.json(t)["share_url"]; !ok {
		t.Fatalf("share=1 gave no share_url: %s", r.Body)
	}
}

// TestLastAllowanceAdmin: the only holder of /admin/allowances cannot be
// revoked, by themself or anyone; with a second holder it can.
func TestLastAllowanceAdmin(t *testing.T) {
	ts := startLife(t)
	p := cast(t, ts)
	before := snapshot(t, ts)
	path := "/admin/allowances?username=" + testAdmin + "&action=" + url.QueryEscape("/admin/allowances")
	want(t, call(t, ts, "DELETE", path, p.runtimeAdmin, ""), 409, testAdmin, "/admin/allowances", "only holder")
	unchanged(t, ts, before)
	want(t, call(t, ts, "GET", "/admin/allowances", p.runtimeAdmin, ""), 200)

	want(t, call(t, ts, "POST", "/admin/allowances", p.runtimeAdmin, `{"username":"pat","action":"/admin/allowances"}`), 201)
	want(t, call(t, ts, "DELETE", path, p.runtimeAdmin, ""), 204)
	// Now pat is the only holder.
	pat := p.plain
	want(t, call(t, ts, "DELETE", "/admin/allowances?username=pat&action="+url.QueryEscape("/admin/allowances"), pat, ""), 409, "pat", "only holder")
	// Other actions may lose their last holder.
	want(t, call(t, ts, "DELETE", "/admin/allowances?username="+testAdmin+"&action="+url.QueryEscape("/wf_file_staging"), pat, ""), 204)
}

// TestGuardsOnPostgres runs the tests above on PostgreSQL, one fresh schema
// per server. Without RUNTIME_TEST_POSTGRES_DSN it skips (fails under
// CI=true).
func TestGuardsOnPostgres(t *testing.T) {
	base := pgtest.BaseDSN(t)
	lifecycleDB = func(t *testing.T) string { return pgtest.FreshSchema(t, base) }
	t.Cleanup(func() { lifecycleDB = nil })
	for _, tc := range []struct {
		name string
		fn   func(*testing.T)
	}{
		{"LastAdminOnUserUpdate", TestLastAdminOnUserUpdate},
		{"ShareLinksRevoked", TestShareLinksRevoked},
		{"SiteIDsFoldCase", TestSiteIDsFoldCase},
		{"StrictQueryAndBody", TestStrictQueryAndBody},
		{"LastAllowanceAdmin", TestLastAllowanceAdmin},
	} {
		t.Run(tc.name, tc.fn)
	}
}
