package httpapi

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
)

// TestDocsPage: the page loads only its own embedded assets, with a
// Content-Security-Policy that allows nothing else, and caches them well.
func TestDocsPage(t *testing.T) {
	srv := startTestAPI(t)
	page := call(t, "GET", srv.URL+"/docs", "")
	if page.Status != http.StatusOK || page.Header.Get("Content-Type") != "text/html; charset=utf-8" {
		t.Fatalf("GET /docs: %d %q", page.Status, page.Header.Get("Content-Type"))
	}
	checkDocsHeaders(t, "/docs", page)
	if cc := page.Header.Get("Cache-Control"); cc != "no-cache" || page.Header.Get("ETag") == "" {
		t.Errorf("page: Cache-Control %q, ETag %q: want revalidation", cc, page.Header.Get("ETag"))
	}

	// No inline script, and every reference is a versioned asset of this server.
	html := string(page.Body)
	for _, m := range regexp.MustCompile(`(?s)<script([^>]*)>(.*?)</script>`).FindAllStringSubmatch(html, -1) {
		if strings.TrimSpace(m[2]) != "" || !strings.Contains(m[1], "src=") {
			t.Errorf("inline script in the page: %q", m[0])
		}
	}
	refs := regexp.MustCompile(`(?:src|href)="([^"]*)"`).FindAllStringSubmatch(html, -1)
	if len(refs) < 4 {
		t.Fatalf("the page references %d files", len(refs))
	}
	for _, m := range refs {
		ref := m[1]
		if ref == "openapi.json" {
			continue
		}
		if !strings.HasPrefix(ref, "docs/") || !strings.Contains(ref, "?v=") {
			t.Errorf("the page references %q: want a versioned asset under docs/", ref)
			continue
		}
		a := call(t, "GET", srv.URL+"/"+ref, "")
		if a.Status != http.StatusOK || len(a.Body) == 0 {
			t.Errorf("GET %s: %d", ref, a.Status)
			continue
		}
		checkDocsHeaders(t, ref, a)
		if cc := a.Header.Get("Cache-Control"); cc != immutable {
			t.Errorf("GET %s: Cache-Control %q, want %q", ref, cc, immutable)
		}
		// Revalidation by ETag.
		if r := call(t, "GET", srv.URL+"/"+ref, "", "If-None-Match", a.Header.Get("ETag")); r.Status != http.StatusNotModified {
			t.Errorf("GET %s with its ETag: %d, want 304", ref, r.Status)
		}
	}

	// The same asset without its version: cached briefly.
	if r := call(t, "GET", srv.URL+"/docs/runtime-docs.js", ""); r.Status != 200 || r.Header.Get("Cache-Control") != "public, max-age=300" ||
		!strings.HasPrefix(r.Header.Get("Content-Type"), "text/javascript") {
		t.Errorf("unversioned asset: %d %q %q", r.Status, r.Header.Get("Cache-Control"), r.Header.Get("Content-Type"))
	}
	// Swagger UI's licence travels with it.
	if r := call(t, "GET", srv.URL+"/docs/LICENSE", ""); r.Status != 200 || !bytes.Contains(r.Body, []byte("Apache License")) {
		t.Errorf("GET /docs/LICENSE: %d", r.Status)
	}
	if r := call(t, "GET", srv.URL+"/docs/", ""); r.Status != http.StatusTemporaryRedirect || r.Header.Get("Location") != "/docs" {
		t.Errorf("GET /docs/: %d to %q, want a redirect to /docs", r.Status, r.Header.Get("Location"))
	}
	for _, path := range []string{"/docs/nope.js", "/docs/index.html", "/docs/..%2Fdocs.go", "/docs/swagger-ui-bundle.js.map"} {
		if r := call(t, "GET", srv.URL+path, ""); r.Status != http.StatusNotFound || r.Header.Get("Content-Type") != "application/json" {
			t.Errorf("GET %s: %d %q, want a JSON 404", path, r.Status, r.Header.Get("Content-Type"))
		}
	}
}

func checkDocsHeaders(t *testing.T, what string, r testResponse) {
	t.Helper()
	csp := r.Header.Get("Content-Security-Policy")
	if csp != docsCSP {
		t.Errorf("%s: Content-Security-Policy %q", what, csp)
	}
	if r.Header.Get("X-Frame-Options") != "DENY" || r.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("%s: X-Frame-Options %q, X-Content-Type-Options %q", what, r.Header.Get("X-Frame-Options"), r.Header.Get("X-Content-Type-Options"))
	}
}

// TestDocsCSP: the policy allows this server's files only, nothing inline.
func TestDocsCSP(t *testing.T) {
	directives := map[string]string{}
	for d := range strings.SplitSeq(docsCSP, ";") {
		name, value, _ := strings.Cut(strings.TrimSpace(d), " ")
		directives[name] = value
	}
	want := map[string]string{
		"default-src":     "'none'",
		"script-src":      "'self'",
		"style-src":       "'self'",
		"connect-src":     "'self'",
		"frame-ancestors": "'none'",
	}
	for name, value := range want {
		if directives[name] != value {
			t.Errorf("%s is %q, want %q", name, directives[name], value)
		}
	}
	for name, value := range directives {
		if strings.Contains(value, "http") || strings.Contains(value, "*") || strings.Contains(value, "unsafe-") {
			t.Errorf("%s allows %q", name, value)
		}
	}
}

// TestDocsCompression: text assets are gzipped for clients that accept it.
func TestDocsCompression(t *testing.T) {
	srv := startTestAPI(t)
	for _, path := range []string{"/docs/swagger-ui-bundle.js", "/openapi.json", "/docs"} {
		plain := call(t, "GET", srv.URL+path, "")
		zipped := call(t, "GET", srv.URL+path, "", "Accept-Encoding", "br, gzip;q=0.8")
		if zipped.Header.Get("Content-Encoding") != "gzip" || !strings.Contains(zipped.Header.Get("Vary"), "Accept-Encoding") {
			t.Errorf("%s: Content-Encoding %q, Vary %q", path, zipped.Header.Get("Content-Encoding"), zipped.Header.Get("Vary"))
			continue
		}
		if zipped.Header.Get("ETag") == plain.Header.Get("ETag") {
			t.Errorf("%s: the gzipped and plain bodies share an ETag", path)
		}
		zr, err := gzip.NewReader(bytes.NewReader(zipped.Body))
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(zr)
		if err != nil || !bytes.Equal(body, plain.Body) {
			t.Errorf("%s: gunzipped body differs (%v)", path, err)
		}
		if len(zipped.Body) >= len(plain.Body) {
			t.Errorf("%s: gzip made %d bytes of %d", path, len(zipped.Body), len(plain.Body))
		}
	}
	if r := call(t, "GET", srv.URL+"/docs/favicon-32x32.png", "", "Accept-Encoding", "gzip"); r.Header.Get("Content-Encoding") != "" {
		t.Errorf("a PNG was gzipped")
	}
}

func TestAcceptsGzip(t *testing.T) {
	tests := []struct {
		name, header string
		want         bool
	}{
		{"none", "", false},
		{"gzip", "gzip", true},
		{"among others", "deflate, gzip, br", true},
		{"upper case", "GZIP", true},
		{"with weight", "gzip;q=0.5", true},
		{"refused", "gzip;q=0", false},
		{"refused with spaces", "gzip ; q=0.000", false},
		{"identity only", "identity", false},
		{"bad weight", "gzip;q=x", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, _ := http.NewRequest("GET", "/", nil)
			if tc.header != "" {
				r.Header.Set("Accept-Encoding", tc.header)
			}
			if got := acceptsGzip(r); got != tc.want {
				t.Errorf("acceptsGzip(%q) = %v", tc.header, got)
			}
		})
	}
}

// TestOpenAPICaching: the document is revalidated by ETag.
func TestOpenAPICaching(t *testing.T) {
	srv := startTestAPI(t)
	r := call(t, "GET", srv.URL+"/openapi.json", "")
	if r.Header.Get("Cache-Control") != "no-cache" || r.Header.Get("ETag") == "" {
		t.Fatalf("Cache-Control %q, ETag %q", r.Header.Get("Cache-Control"), r.Header.Get("ETag"))
	}
	if r2 := call(t, "GET", srv.URL+"/openapi.json", "", "If-None-Match", r.Header.Get("ETag")); r2.Status != http.StatusNotModified {
		t.Errorf("with its ETag: %d, want 304", r2.Status)
	}
}

// TestTokenRequestsOfSwaggerUI: the docs page's Authorize dialog sends the
// token requests exactly as here (Swagger UI 5: HTTP Basic built with
// btoa, raw; an empty Basic pair and an empty scope on a password login).
func TestTokenRequestsOfSwaggerUI(t *testing.T) {
	srv := startTestAPI(t)
	cred := siteCredentials(t, srv.URL, "ui-site")
	basic := func(id, secret string) string {
		return "Basic " + base64.StdEncoding.EncodeToString([]byte(id+":"+secret))
	}
	tests := []struct {
		name, body, authorization string
		status                    int
	}{
		{"User login", "grant_type=password&scope=&username=" + testAdmin + "&password=" + testAdminPassword, basic("", ""), 200},
		{"User login, wrong password", "grant_type=password&scope=&username=" + testAdmin + "&password=wrong-password", basic("", ""), 401},
		{"Site client login", "grant_type=client_credentials&scope=", basic(cred.ClientID, cred.ClientSecret), 200},
		{"Site client login, wrong secret", "grant_type=client_credentials&scope=", basic(cred.ClientID, "wrong"), 401},
		{"Site client login, empty fields", "grant_type=client_credentials&scope=", basic("", ""), 401},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := call(t, "POST", srv.URL+"/token", tc.body,
				"Content-Type", "application/x-www-form-urlencoded",
				"Accept", "application/json, text/plain, */*",
				"X-Requested-With", "XMLHttpRequest",
				"Authorization", tc.authorization)
			if r.Status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.Status, tc.status, r.Body)
			}
			if r.Status == 200 && decode[tokenResponse](t, r).AccessToken == "" {
				t.Fatalf("no access token: %s", r.Body)
			}
		})
	}
}
