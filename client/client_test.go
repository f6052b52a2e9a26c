package client

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestOpenShareSendsNoToken(t *testing.T) {
	var gotAuth, gotPath string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotAuth, gotPath = r.Header.Get("Authorization"), r.URL.Path
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"kind":"user_password","username":"bob","password":"pw"}`))
	}))
	defer srv.Close()

	tests := []struct {
		name, base, link, wantPath string
	}{
		{name: "full link to this server", base: srv.URL, link: srv.URL + "/share/abc", wantPath: "/share/abc"},
		{name: "full link to another server", base: "http://127.0.0.1:1", link: srv.URL + "/share/abc", wantPath: "/share/abc"},
		{name: "token alone", base: srv.URL, link: "abc-_9", wantPath: "/share/abc-_9"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := New(tc.base)
			c.Token = "secret-bearer-token"
			s, err := c.OpenShare(t.Context(), tc.link)
			if err != nil || s.Username != "bob" || s.Password != "pw" {
				t.Fatalf("OpenShare = %+v, %v", s, err)
			}
			if gotAuth != "" {
				t.Errorf("the link was opened with Authorization %q", gotAuth)
			}
			if gotPath != tc.wantPath {
				t.Errorf("path %q, want %q", gotPath, tc.wantPath)
			}
			if c.Token != "secret-bearer-token" {
				t.Errorf("OpenShare changed the client's token")
			}
		})
	}
}

func TestOpenShareRefusesOddLinks(t *testing.T) {
	c := New("http://127.0.0.1:1")
	for _, link := range []string{"", "a/b", "../admin/users", "ftp://example.org/share/x", "http:///share/x", "tok?x=1", "%zz"} {
		if _, err := c.OpenShare(t.Context(), link); err == nil || StatusOf(err) != 0 || strings.Contains(err.Error(), "connection refused") {
			t.Errorf("OpenShare(%q) = %v, want a refusal before any request", link, err)
		}
	}
}

func TestDecodeError(t *testing.T) {
	tests := []struct {
		name, body string
		status     int
		wantDetail string
		wantCode   string
	}{
		{name: "detail", status: 403, body: `{"detail":"Only admins may"}`, wantDetail: "Only admins may"},
		{name: "token error", status: 401, body: `{"detail":"Incorrect username or password","error":"invalid_grant","error_description":"x"}`, wantDetail: "Incorrect username or password", wantCode: "invalid_grant"},
		{name: "fields", status: 422, body: `{"detail":[{"loc":["body","password"],"msg":"field required","type":"value_error.missing"},{"loc":["body","site_admin",0],"msg":"site_admin: bad id","type":"value_error"},{"loc":["query","max_page_size"],"msg":"too big","type":"value_error"}]}`,
			wantDetail: "password: field required; site_admin: bad id; query.max_page_size: too big"},
		{name: "not JSON", status: 502, body: "<html>bad gateway</html>\n", wantDetail: "the reply is not JSON (Content-Type: text/html; charset=utf-8): is this the Runtime API server?"},
		{name: "short plain text", status: 503, body: "upstream down\n", wantDetail: "upstream down"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(tc.status)
				w.Write([]byte(tc.body))
			}))
			defer srv.Close()
			_, err := New(srv.URL).Me(t.Context())
			e, ok := err.(*Error)
			if !ok {
				t.Fatalf("error %T %v, want *Error", err, err)
			}
			if e.Status != tc.status || e.Detail != tc.wantDetail || e.Code != tc.wantCode {
				t.Errorf("got %d %q %q, want %d %q %q", e.Status, e.Detail, e.Code, tc.status, tc.wantDetail, tc.wantCode)
			}
		})
	}
}

func TestAllFollowsPages(t *testing.T) {
	var calls int
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls++
		switch r.URL.Query().Get("page_token") {
		case "":
			w.Write([]byte(`{"resources":[{"id":"a"},{"id":"b"}],"next_page_token":"p2"}`))
		case "p2":
			w.Write([]byte(`{"resources":[{"id":"c"}],"next_page_token":null}`))
		default:
			t.Errorf("unexpected page token %q", r.URL.Query().Get("page_token"))
		}
	}))
	defer srv.Close()
	sites, err := New(srv.URL).AllSites(t.Context())
	if err != nil || len(sites) != 3 || sites[2].ID != "c" || calls != 2 {
		t.Errorf("AllSites = %+v, %v after %d calls", sites, err, calls)
	}
}
