package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nmdc-runtime/server/client"
	"github.com/nmdc-runtime/server/domain"
)

const (
	testAdmin    = "admin"
	testAdminPW  = "admin-password-1"
	testJWTKey   = "test-signing-key-0123456789abcdef"
	testPassword = "user-password-1"
)

// syncBuffer collects a server's output while it runs.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type testServer struct {
	*runningServer
	cfg    serveConfig
	logs   *syncBuffer
	stdout *syncBuffer
}

func testConfig(t *testing.T) serveConfig {
	t.Helper()
	return serveConfig{
		Addr:         "127.0.0.1:0",
		Database:     filepath.Join(t.TempDir(), "runtime.db"),
		AdminUser:    testAdmin,
		AdminPass:    testAdminPW,
		JWTSecretKey: testJWTKey,
		Issuer:       "nmdc-runtime",
		BcryptCost:   4,
		TokenTTL:     24 * time.Hour,
		LogFormat:    "json",
		LogLevel:     "debug",
		ShutdownWait: 5 * time.Second,
		AuthCacheTTL: time.Second,
	}
}

// startTest starts the real server in-process on a SQLite file in a temp
// dir and stops it when the test ends.
func startTest(t *testing.T, mods ...func(*serveConfig)) *testServer {
	t.Helper()
	cfg := testConfig(t)
	for _, m := range mods {
		m(&cfg)
	}
	return startWith(t, cfg)
}

func startWith(t *testing.T, cfg serveConfig) *testServer {
	t.Helper()
	ts := &testServer{cfg: cfg, logs: &syncBuffer{}, stdout: &syncBuffer{}}
	rs, err := startServer(t.Context(), cfg, ts.stdout, ts.logs)
	if err != nil {
		t.Fatalf("start server: %v", err)
	}
	ts.runningServer = rs
	t.Cleanup(func() { _ = rs.Shutdown(5 * time.Second) })
	return ts
}

func (ts *testServer) client() *client.Client { return client.New(ts.URL) }

func mustLogin(t *testing.T, ts *testServer, user, pw string) *client.Client {
	t.Helper()
	c := ts.client()
	if _, err := c.Login(t.Context(), user, pw); err != nil {
		t.Fatalf("login %s: %v", user, err)
	}
	return c
}

func mustAdmin(t *testing.T, ts *testServer) *client.Client {
	t.Helper()
	return mustLogin(t, ts, testAdmin, testAdminPW)
}

func mustCreateUser(t *testing.T, admin *client.Client, name string, sites ...string) {
	t.Helper()
	if _, err := admin.CreateUser(t.Context(), client.NewUser{Username: name, Password: testPassword, SiteAdmin: sites}); err != nil {
		t.Fatalf("create user %s: %v", name, err)
	}
}

func mustCreateSite(t *testing.T, c *client.Client, id string) {
	t.Helper()
	if _, err := c.CreateSite(t.Context(), client.Site{ID: id}); err != nil {
		t.Fatalf("create site %s: %v", id, err)
	}
}

func mustCredentials(t *testing.T, c *client.Client, site string) client.Credentials {
	t.Helper()
	cr, err := c.GenerateCredentials(t.Context(), site)
	if err != nil {
		t.Fatalf("generate credentials for %s: %v", site, err)
	}
	return cr
}

// rawResponse is a response read whole, for tests of exact wire details.
type rawResponse struct {
	Status int
	Header http.Header
	Body   []byte
}

func (r rawResponse) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		t.Fatalf("response body is not a JSON object: %v: %q", err, r.Body)
	}
	return m
}

// detail returns the "detail" of an error body as text (a 422's field
// messages joined).
func (r rawResponse) detail(t *testing.T) string {
	t.Helper()
	switch d := r.json(t)["detail"].(type) {
	case string:
		return d
	case []any:
		var parts []string
		for _, f := range d {
			b, _ := json.Marshal(f)
			parts = append(parts, string(b))
		}
		return strings.Join(parts, "; ")
	}
	t.Fatalf("error body has no detail: %s", r.Body)
	return ""
}

func send(t *testing.T, method, u string, header http.Header, body io.Reader) rawResponse {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, u, body)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, u, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return rawResponse{Status: resp.StatusCode, Header: resp.Header, Body: b}
}

func postForm(t *testing.T, u string, form url.Values, header http.Header) rawResponse {
	t.Helper()
	h := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}
	for k, v := range header {
		h[k] = v
	}
	return send(t, http.MethodPost, u, h, strings.NewReader(form.Encode()))
}

func bearer(tok string) http.Header {
	return http.Header{"Authorization": {"Bearer " + tok}}
}

func jsonHeader(tok string) http.Header {
	h := http.Header{"Content-Type": {"application/json"}}
	if tok != "" {
		h.Set("Authorization", "Bearer "+tok)
	}
	return h
}

func basic(id, secret string) http.Header {
	return http.Header{"Authorization": {"Basic " + base64.StdEncoding.EncodeToString([]byte(id+":"+secret))}}
}

// storeCounts counts stored users and sites, to show that a rejected
// request changed nothing.
func storeCounts(t *testing.T, ts *testServer) [2]int {
	t.Helper()
	users, err := ts.store.ListUsers(context.Background(), domain.ListFilter{Limit: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	sites, err := ts.store.ListSites(context.Background(), domain.ListFilter{Limit: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	return [2]int{len(users.Items), len(sites.Items)}
}

func errorsAs(err error, target any) bool { return errors.As(err, target) }

func ioCopy(w io.Writer, r io.Reader) (int64, error) { return io.Copy(w, r) }

func contextWithCancel(t *testing.T) (context.Context, context.CancelFunc) {
	return context.WithCancel(t.Context())
}
