package httpapi

import (
	"errors"
	"mime"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/nmdc-runtime/server/domain"
)

// FuzzParseTokenRequest: the token-request parser never panics, refuses
// with an OAuth2 error of a client status, and accepts only form bodies
// without repeated fields.
func FuzzParseTokenRequest(f *testing.F) {
	f.Add("application/x-www-form-urlencoded", "", "grant_type=password&username=alice&password=secret-1", "")
	f.Add("application/x-www-form-urlencoded; charset=utf-8", "Basic c3lzMGFiYzpzZWNyZXQ=", "grant_type=client_credentials", "")
	f.Add("application/x-www-form-urlencoded", "Basic JTczeXMwOiUyNQ==", "grant_type=client_credentials&client_secret=x", "")
	f.Add("application/json", "", `{"grant_type":"password"}`, "")
	f.Add("application/x-www-form-urlencoded", "", "grant_type=password&username=a&username=b", "")
	f.Add("application/x-www-form-urlencoded", "", "grant_type=password", "password=x")
	f.Add("application/x-www-form-urlencoded", "Basic ***", "grant_type=%zz", "%zz")
	f.Add("multipart/form-data; boundary=x", "Bearer x", "--x--", "")
	f.Fuzz(func(t *testing.T, ctype, authz, body, query string) {
		r := httptest.NewRequest(http.MethodPost, "/token", strings.NewReader(body))
		r.URL.RawQuery = query
		r.Header.Set("Content-Type", ctype)
		if authz != "" {
			r.Header.Set("Authorization", authz)
		}
		req, err := parseTokenRequest(httptest.NewRecorder(), r)
		if err != nil {
			var te *tokenError
			if !errors.As(err, &te) || te.status < 400 || te.status > 499 || te.code == "" || te.description == "" {
				t.Fatalf("error %#v is not an OAuth2 client error", err)
			}
			return
		}
		if mt, _, err := mime.ParseMediaType(ctype); err != nil || (mt != "application/x-www-form-urlencoded" && mt != "multipart/form-data") {
			t.Fatalf("accepted Content-Type %q", ctype)
		}
		if len(req.basic) > 2 || (req.basic != nil && len(req.basic) == 0) {
			t.Fatalf("basic readings %v", req.basic)
		}
		if strings.Count(body, "grant_type=") > 1 && req.GrantType != "" && !strings.Contains(body, ";") {
			// Repeated fields are refused; a second "grant_type=" can only
			// appear inside another field's value.
			if strings.Count(body, "&grant_type=")+btoi(strings.HasPrefix(body, "grant_type=")) > 1 {
				t.Fatalf("accepted a repeated grant_type: %q", body)
			}
		}
	})
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// FuzzDecodeJSON: the strict JSON decoder never panics and every refusal
// is a client error with a kind (never an internal error).
func FuzzDecodeJSON(f *testing.F) {
	for _, s := range []string{
		`{"username":"alice","password":"password-1","site_admin":["a"]}`,
		`{"username":"a","username":"b"}`,
		`{"site_admins":[]}`,
		`{"id":"lab","capability_ids":[1]}`,
		`[[[[[[[[[[]]]]]]]]]]`,
		"{\"username\":\"\xff\"}",
		`{"disabled":"yes"}`,
		`{"email":null}`,
		``,
		`{} {}`,
	} {
		f.Add([]byte(s), "application/json")
	}
	f.Add([]byte(`{}`), "application/json; charset=latin1")
	f.Add([]byte(`{}`), "text/plain")
	f.Fuzz(func(t *testing.T, body []byte, ctype string) {
		for _, v := range []any{&userIn{}, &siteIn{}} {
			r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(string(body)))
			r.Header.Set("Content-Type", ctype)
			err := decodeJSON(httptest.NewRecorder(), r, v)
			if err == nil {
				continue
			}
			var de *domain.Error
			if !errors.As(err, &de) {
				t.Fatalf("error without a kind: %v", err)
			}
			if st := kindStatus[de.Kind]; st < 400 || st > 499 {
				t.Fatalf("kind %v maps to status %d", de.Kind, st)
			}
			if de.Kind == domain.Invalid && len(de.Fields) == 0 {
				t.Fatalf("422 without fields: %v", err)
			}
		}
	})
}
