package httpapi

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nmdc-runtime/server/auth"
	"github.com/nmdc-runtime/server/domain"
	"github.com/nmdc-runtime/server/sqlite"
)

const (
	testAdmin         = "admin"
	testAdminPassword = "admin-password-1"
)

// startTestAPI serves the real API over real HTTP on a SQLite file in a
// temp dir, with a bootstrapped runtime admin.
func startTestAPI(t *testing.T) *httptest.Server {
	t.Helper()
	store, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "runtime.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	svc := &domain.Service{
		Store:      store,
		Signer:     auth.NewSigner([]byte("docs-test-signing-key-0123456789"), "nmdc-runtime"),
		BcryptCost: 4,
	}
	if _, err := svc.Bootstrap(t.Context(), testAdmin, testAdminPassword); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(New(Config{Service: svc, Version: "test"}))
	t.Cleanup(srv.Close)
	return srv
}

// testResponse is a response read whole.
type testResponse struct {
	Status int
	Header http.Header
	Body   []byte
}

// call sends one request; header holds pairs of name and value.
func call(t *testing.T, method, u, body string, header ...string) testResponse {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, u, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	// Ask for identity encoding unless the test asks otherwise, so that
	// bodies are readable.
	if req.Header.Get("Accept-Encoding") == "" {
		req.Header.Set("Accept-Encoding", "identity")
	}
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, u, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return testResponse{Status: resp.StatusCode, Header: resp.Header, Body: b}
}

func decode[T any](t *testing.T, r testResponse) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(r.Body, &v); err != nil {
		t.Fatalf("body %q: %v", r.Body, err)
	}
	return v
}

// login returns an access token for a password login.
func login(t *testing.T, api, username, password string) string {
	t.Helper()
	r := call(t, "POST", api+"/token", "grant_type=password&username="+username+"&password="+password,
		"Content-Type", "application/x-www-form-urlencoded")
	if r.Status != http.StatusOK {
		t.Fatalf("login %s: %d %s", username, r.Status, r.Body)
	}
	return decode[tokenResponse](t, r).AccessToken
}

// siteCredentials has the admin create a site and generate credentials for it.
func siteCredentials(t *testing.T, api, site string) credentialsOut {
	t.Helper()
	tok := login(t, api, testAdmin, testAdminPassword)
	if r := call(t, "POST", api+"/sites", `{"id":"`+site+`"}`, "Authorization", "Bearer "+tok,
		"Content-Type", "application/json"); r.Status != http.StatusCreated {
		t.Fatalf("create site %s: %d %s", site, r.Status, r.Body)
	}
	r := call(t, "POST", api+"/sites/"+site+":generateCredentials", "", "Authorization", "Bearer "+tok)
	if r.Status != http.StatusOK {
		t.Fatalf("generate credentials for %s: %d %s", site, r.Status, r.Body)
	}
	return decode[credentialsOut](t, r)
}
