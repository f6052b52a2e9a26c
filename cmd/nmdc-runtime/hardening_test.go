package main

import (
	"bytes"
	"encoding/base64"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestLookAlikeUsernames: names that render like another, or invisibly
// differ from it, are refused when created.
func TestLookAlikeUsernames(t *testing.T) {
	ts := startTest(t)
	admin := mustAdmin(t, ts)
	mustCreateUser(t, admin, "bob")
	tests := []struct{ name, username, status, mention string }{
		{"zero-width space", "zw\u200bsp", "422", "invisible"},
		{"soft hyphen", "a\u00adb", "422", "invisible"},
		{"right-to-left override", "rtl\u202eevil", "422", "invisible"},
		{"inner space", "alice smith", "422", "spaces"},
		{"no-break space", "alice\u00a0smith", "422", "spaces"},
		{"Cyrillic o in a Latin name", "b\u043eb", "422", "mix"},
		{"Greek omicron in a Latin name", "b\u03bfb", "422", "mix"},
		{"case variant", "BOB", "409", "too similar"},
		{"fullwidth", "ｂｏｂ", "422", "NFKC"},
		{"ligature", "ﬁsh", "422", "NFKC"},
		{"Kelvin sign", "\u212aelvin", "422", "NFKC"},
		{"reserved me", "me", "422", "reserved"},
		{"reserved dot-dot", "..", "422", "reserved"},
		{"slash", "a/b", "422", "'/'"},
		{"whole Cyrillic name", "иван", "201", ""},
		{"ORCID-style", "0000-0002-1825-0097", "201", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := storeCounts(t, ts)
			r := send(t, http.MethodPost, ts.URL+"/users", jsonHeader(admin.Token), strings.NewReader(`{"username":"`+tc.username+`","password":"password-1"}`))
			if got := http.StatusText(r.Status); r.Status != atoi(tc.status) {
				t.Fatalf("status %d (%s), want %s: %s", r.Status, got, tc.status, r.Body)
			}
			if tc.mention != "" {
				if !strings.Contains(r.detail(t), tc.mention) {
					t.Fatalf("detail %q does not mention %q", r.detail(t), tc.mention)
				}
				if storeCounts(t, ts) != before {
					t.Fatal("a refused request changed the store")
				}
			}
		})
	}
}

func atoi(s string) int {
	n := 0
	for _, c := range s {
		n = n*10 + int(c-'0')
	}
	return n
}

// TestSiteAdminMustNameValidSiteIDs: a grant that can never match a site is
// a 422, not a silent no-op.
func TestSiteAdminMustNameValidSiteIDs(t *testing.T) {
	ts := startTest(t)
	admin := mustAdmin(t, ts)
	for _, bad := range []string{"../etc", "a/b", "x:generateCredentials", " sp "} {
		r := send(t, http.MethodPost, ts.URL+"/users", jsonHeader(admin.Token), strings.NewReader(`{"username":"sa","password":"password-1","site_admin":["ok-site","`+bad+`"]}`))
		if r.Status != 422 || !strings.Contains(r.detail(t), "site_admin[1]") {
			t.Fatalf("site_admin %q: %d %s", bad, r.Status, r.Body)
		}
	}
}

// TestRequestShapeHardening covers ambiguous requests: several
// Authorization headers, non-canonical paths, repeated query parameters,
// compressed bodies, and the token form variants that existing clients send.
func TestRequestShapeHardening(t *testing.T) {
	ts := startTest(t)
	admin := mustAdmin(t, ts)
	mustCreateSite(t, admin, "lab")
	cred := mustCredentials(t, admin, "lab")

	two := http.Header{"Authorization": {"Bearer " + admin.Token, "Bearer other"}}
	if r := send(t, http.MethodGet, ts.URL+"/users/me", two, nil); r.Status != 400 || !strings.Contains(r.detail(t), "one Authorization header") {
		t.Fatalf("two Authorization headers: %d %s", r.Status, r.Body)
	}
	twoBasic := http.Header{"Authorization": {basic(cred.ClientID, cred.ClientSecret).Get("Authorization"), basic("x", "y").Get("Authorization")}}
	if r := postForm(t, ts.URL+"/token", url.Values{"grant_type": {"client_credentials"}}, twoBasic); r.Status != 400 {
		t.Fatalf("two Basic headers: %d %s", r.Status, r.Body)
	}
	for _, p := range []string{"/sites//lab", "/sites/../users/me", "/sites/./lab", "/users/me/"} {
		r := send(t, http.MethodGet, ts.URL+p, bearer(admin.Token), nil)
		if r.Status != 404 || r.Header.Get("Content-Type") != "application/json" {
			t.Fatalf("%s: %d %s", p, r.Status, r.Body)
		}
	}
	if r := send(t, http.MethodGet, ts.URL+"/sites?max_page_size=1&max_page_size=2", nil, nil); r.Status != 422 || !strings.Contains(r.detail(t), "more than once") {
		t.Fatalf("repeated query parameter: %d %s", r.Status, r.Body)
	}
	gz := jsonHeader(admin.Token)
	gz.Set("Content-Encoding", "gzip")
	if r := send(t, http.MethodPost, ts.URL+"/sites", gz, strings.NewReader("\x1f\x8b")); r.Status != 415 || !strings.Contains(r.detail(t), "Content-Encoding") {
		t.Fatalf("gzip body: %d %s", r.Status, r.Body)
	}
	if r := send(t, http.MethodPost, ts.URL+"/sites", jsonHeader(admin.Token), strings.NewReader("\ufeff{\"id\":\"bom\"}")); r.Status != 422 || !strings.Contains(r.detail(t), "byte-order mark") {
		t.Fatalf("BOM: %d %s", r.Status, r.Body)
	}

	// multipart/form-data, as the existing deployment's form accepted.
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, v := range map[string]string{"grant_type": "password", "username": testAdmin, "password": testAdminPW} {
		_ = mw.WriteField(k, v)
	}
	mw.Close()
	if r := send(t, http.MethodPost, ts.URL+"/token", http.Header{"Content-Type": {mw.FormDataContentType()}}, &body); r.Status != 200 {
		t.Fatalf("multipart token request: %d %s", r.Status, r.Body)
	}
	// Basic credentials without '=' padding.
	raw := base64.RawStdEncoding.EncodeToString([]byte(cred.ClientID + ":" + cred.ClientSecret))
	if r := postForm(t, ts.URL+"/token", url.Values{"grant_type": {"client_credentials"}}, http.Header{"Authorization": {"Basic " + raw}}); r.Status != 200 {
		t.Fatalf("unpadded Basic: %d %s", r.Status, r.Body)
	}
	many := strings.Repeat("x=1&", 20000) + "grant_type=password"
	if r := send(t, http.MethodPost, ts.URL+"/token", http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}, strings.NewReader(many)); r.Status != 400 || !strings.Contains(r.detail(t), "at most") {
		t.Fatalf("form with 20000 fields: %d %s", r.Status, r.Body)
	}
}

// TestReservedSiteID: a site id granted in advance to some users cannot be
// claimed by another user; a grantee can create it.
func TestReservedSiteID(t *testing.T) {
	ts := startTest(t)
	admin := mustAdmin(t, ts)
	mustCreateUser(t, admin, "alice", "alice-laptop")
	mustCreateUser(t, admin, "mallory")
	mallory := mustLogin(t, ts, "mallory", testPassword)
	r := send(t, http.MethodPost, ts.URL+"/sites", jsonHeader(mallory.Token), strings.NewReader(`{"id":"alice-laptop"}`))
	if r.Status != 403 || !strings.Contains(r.detail(t), "reserved") {
		t.Fatalf("claiming a reserved id: %d %s", r.Status, r.Body)
	}
	if _, err := ts.client().GetSite(t.Context(), "alice-laptop"); err == nil {
		t.Fatal("the refused claim created the site")
	}
	alice := mustLogin(t, ts, "alice", testPassword)
	mustCreateSite(t, alice, "alice-laptop")
	r = send(t, http.MethodPost, ts.URL+"/sites", jsonHeader(mallory.Token), strings.NewReader(`{"id":"alice-laptop"}`))
	if r.Status != 409 {
		t.Fatalf("existing site: %d %s", r.Status, r.Body)
	}
}
