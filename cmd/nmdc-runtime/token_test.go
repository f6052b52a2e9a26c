package main

import (
	"context"
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// TestTokenEndpointErrors covers every way POST /token can be refused:
// the OAuth2 code, the status, a detail that names the problem, and
// Cache-Control: no-store on every answer.
func TestTokenEndpointErrors(t *testing.T) {
	ts := startTest(t)
	admin := mustAdmin(t, ts)
	mustCreateUser(t, admin, "carol")
	mustCreateSite(t, admin, "lab")
	cred := mustCredentials(t, admin, "lab")
	form := func(kv ...string) url.Values {
		v := url.Values{}
		for i := 0; i < len(kv); i += 2 {
			v.Add(kv[i], kv[i+1])
		}
		return v
	}
	tests := []struct {
		name    string
		query   string
		body    string
		ctype   string
		header  http.Header
		status  int
		code    string
		mention string
	}{
		{name: "no grant_type", body: form("username", "carol", "password", testPassword).Encode(), status: 400, code: "invalid_request", mention: "grant_type"},
		{name: "unknown grant", body: form("grant_type", "authorization_code").Encode(), status: 400, code: "unsupported_grant_type", mention: "authorization_code"},
		{name: "password grant without username", body: form("grant_type", "password", "password", "x").Encode(), status: 400, code: "invalid_request", mention: "username"},
		{name: "password grant without password", body: form("grant_type", "password", "username", "carol").Encode(), status: 400, code: "invalid_request", mention: "password"},
		{name: "wrong password", body: form("grant_type", "password", "username", "carol", "password", "wrong-password").Encode(), status: 401, code: "invalid_grant", mention: "Incorrect username or password"},
		{name: "unknown user", body: form("grant_type", "password", "username", "nobody", "password", testPassword).Encode(), status: 401, code: "invalid_grant", mention: "Incorrect username or password"},
		{name: "username in other case", body: form("grant_type", "password", "username", "Carol", "password", testPassword).Encode(), status: 401, code: "invalid_grant", mention: "Incorrect"},
		{name: "password with trimmed spaces differs", body: form("grant_type", "password", "username", "carol", "password", " "+testPassword).Encode(), status: 401, code: "invalid_grant", mention: "Incorrect"},
		{name: "client without id", body: form("grant_type", "client_credentials", "client_secret", "x").Encode(), status: 400, code: "invalid_request", mention: "client_id"},
		{name: "client without secret", body: form("grant_type", "client_credentials", "client_id", cred.ClientID).Encode(), status: 400, code: "invalid_request", mention: "client_secret"},
		{name: "client wrong secret", body: form("grant_type", "client_credentials", "client_id", cred.ClientID, "client_secret", "wrong").Encode(), status: 401, code: "invalid_client", mention: "Incorrect client_id or client_secret"},
		{name: "client unknown", body: form("grant_type", "client_credentials", "client_id", "sys0nope", "client_secret", "x").Encode(), status: 401, code: "invalid_client", mention: "Incorrect"},
		{name: "basic wrong secret", body: form("grant_type", "client_credentials").Encode(), header: basic(cred.ClientID, "wrong"), status: 401, code: "invalid_client", mention: "Incorrect"},
		{name: "basic not base64", body: form("grant_type", "client_credentials").Encode(), header: http.Header{"Authorization": {"Basic %%%"}}, status: 401, code: "invalid_client", mention: "Basic"},
		{name: "basic without colon", body: form("grant_type", "client_credentials").Encode(), header: http.Header{"Authorization": {"Basic " + base64.StdEncoding.EncodeToString([]byte("justid"))}}, status: 401, code: "invalid_client", mention: "Basic"},
		{name: "basic and form secret together", body: form("grant_type", "client_credentials", "client_secret", cred.ClientSecret).Encode(), header: basic(cred.ClientID, cred.ClientSecret), status: 400, code: "invalid_request", mention: "not both"},
		{name: "password in query string", query: "?username=carol&password=" + testPassword, body: form("grant_type", "password").Encode(), status: 400, code: "invalid_request", mention: "query string"},
		{name: "client secret in query string", query: "?client_id=" + cred.ClientID + "&client_secret=" + cred.ClientSecret, body: form("grant_type", "client_credentials").Encode(), status: 400, code: "invalid_request", mention: "query string"},
		{name: "field repeated", body: "grant_type=password&username=carol&username=admin&password=" + testPassword, status: 400, code: "invalid_request", mention: "more than once"},
		{name: "JSON body", body: `{"grant_type":"password"}`, ctype: "application/json", status: 400, code: "invalid_request", mention: "x-www-form-urlencoded"},
		{name: "no content type", body: form("grant_type", "password").Encode(), ctype: "-", status: 400, code: "invalid_request", mention: "Content-Type"},
		{name: "malformed form", body: "grant_type=password&username=%zz", status: 400, code: "invalid_request", mention: "form"},
		{name: "body over 1 MiB", body: "grant_type=password&password=" + strings.Repeat("a", 1<<20), status: 413, code: "invalid_request", mention: "larger"},
		{name: "absurd password", body: form("grant_type", "password", "username", "carol", "password", strings.Repeat("p", 2000)).Encode(), status: 401, code: "invalid_grant", mention: "Incorrect"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}
			switch tc.ctype {
			case "-":
				h.Del("Content-Type")
			case "":
			default:
				h.Set("Content-Type", tc.ctype)
			}
			for k, v := range tc.header {
				h[k] = v
			}
			r := send(t, http.MethodPost, ts.URL+"/token"+tc.query, h, strings.NewReader(tc.body))
			if r.Status != tc.status {
				t.Fatalf("status = %d, want %d: %s", r.Status, tc.status, r.Body)
			}
			m := r.json(t)
			if m["error"] != tc.code || m["error_description"] != m["detail"] {
				t.Errorf("body = %s, want error %q with error_description = detail", r.Body, tc.code)
			}
			if d, _ := m["detail"].(string); !strings.Contains(d, tc.mention) {
				t.Errorf("detail %q does not mention %q", d, tc.mention)
			}
			if r.Header.Get("Cache-Control") != "no-store" {
				t.Errorf("Cache-Control = %q", r.Header.Get("Cache-Control"))
			}
			if tc.status == 401 && r.Header.Get("WWW-Authenticate") == "" {
				t.Error("401 without WWW-Authenticate")
			}
			if _, ok := m["access_token"]; ok {
				t.Error("an error response carries a token")
			}
		})
	}
}

// TestTokenResponseShape pins the fields that existing clients read
// (access_token, token_type, expires{days,hours,minutes}) and that OAuth2
// libraries read (expires_in), plus no-store.
func TestTokenResponseShape(t *testing.T) {
	ts := startTest(t)
	r := postForm(t, ts.URL+"/token", url.Values{"grant_type": {"password"}, "username": {testAdmin}, "password": {testAdminPW}}, nil)
	if r.Status != 200 {
		t.Fatalf("status %d: %s", r.Status, r.Body)
	}
	m := r.json(t)
	exp, _ := m["expires"].(map[string]any)
	if m["token_type"] != "bearer" || m["expires_in"] != float64(86400) || exp["days"] != float64(1) || exp["hours"] != float64(0) || exp["minutes"] != float64(0) {
		t.Fatalf("token response = %s", r.Body)
	}
	if tok, _ := m["access_token"].(string); strings.Count(tok, ".") != 2 {
		t.Fatalf("access_token is not a JWT: %q", tok)
	}
	if r.Header.Get("Cache-Control") != "no-store" || r.Header.Get("Pragma") != "no-cache" {
		t.Fatalf("headers = %v", r.Header)
	}
}

// TestBasicCredentialsEncodings: RFC 6749 §2.3.1 form-encoded Basic
// credentials are decoded, and raw ones (as Swagger UI sends) work too.
func TestBasicCredentialsEncodings(t *testing.T) {
	ts := startTest(t)
	admin := mustAdmin(t, ts)
	mustCreateSite(t, admin, "lab")
	cred := mustCredentials(t, admin, "lab")
	// "%73" is the form-encoding of "s": only a server that decodes the
	// parts as §2.3.1 says finds the client.
	encodedID := "%73" + strings.TrimPrefix(cred.ClientID, "s")
	for name, h := range map[string]http.Header{
		"raw":               basic(cred.ClientID, cred.ClientSecret),
		"form-encoded":      basic(encodedID, url.QueryEscape(cred.ClientSecret)),
		"lower-case scheme": {"Authorization": {"basic " + base64.StdEncoding.EncodeToString([]byte(cred.ClientID+":"+cred.ClientSecret))}},
	} {
		t.Run(name, func(t *testing.T) {
			r := postForm(t, ts.URL+"/token", url.Values{"grant_type": {"client_credentials"}}, h)
			if r.Status != 200 {
				t.Fatalf("status %d: %s", r.Status, r.Body)
			}
		})
	}
}

// TestStandardOAuth2Library: generic OAuth2 clients work unchanged.
func TestStandardOAuth2Library(t *testing.T) {
	ts := startTest(t)
	admin := mustAdmin(t, ts)
	mustCreateSite(t, admin, "lab")
	cred := mustCredentials(t, admin, "lab")
	ctx := t.Context()

	conf := &oauth2.Config{Endpoint: oauth2.Endpoint{TokenURL: ts.URL + "/token", AuthStyle: oauth2.AuthStyleInParams}}
	tok, err := conf.PasswordCredentialsToken(ctx, testAdmin, testAdminPW)
	if err != nil {
		t.Fatalf("password grant: %v", err)
	}
	if tok.Expiry.Before(time.Now().Add(23*time.Hour)) || tok.TokenType != "bearer" {
		t.Fatalf("token = %+v: expires_in not understood", tok)
	}
	me := meVia(t, ctx, conf.Client(ctx, tok), ts.URL)
	if !strings.Contains(me, `"username":"admin"`) {
		t.Fatalf("me = %s", me)
	}

	for _, style := range []oauth2.AuthStyle{oauth2.AuthStyleInHeader, oauth2.AuthStyleInParams} {
		cc := &clientcredentials.Config{ClientID: cred.ClientID, ClientSecret: cred.ClientSecret, TokenURL: ts.URL + "/token", AuthStyle: style}
		me := meVia(t, ctx, cc.Client(ctx), ts.URL)
		if !strings.Contains(me, `"site_id":"lab"`) {
			t.Fatalf("client me (style %d) = %s", style, me)
		}
	}
	bad := &clientcredentials.Config{ClientID: cred.ClientID, ClientSecret: "wrong", TokenURL: ts.URL + "/token"}
	_, err = bad.Token(ctx)
	var re *oauth2.RetrieveError
	if !errorsAs(err, &re) || re.ErrorCode != "invalid_client" {
		t.Fatalf("wrong secret: %v", err)
	}
}

func meVia(t *testing.T, ctx context.Context, c *http.Client, base string) string {
	t.Helper()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/users/me", nil)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	_, _ = ioCopy(&b, resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("/users/me %d: %s", resp.StatusCode, b.String())
	}
	return b.String()
}

// TestRejectedTokens: every bad token is a 401 with WWW-Authenticate and a
// detail saying which check failed.
func TestRejectedTokens(t *testing.T) {
	ts := startTest(t)
	admin := mustAdmin(t, ts)
	mustCreateUser(t, admin, "dave")
	dave := mustLogin(t, ts, "dave", testPassword)

	sign := func(key string, method jwt.SigningMethod, claims jwt.MapClaims) string {
		s, err := jwt.NewWithClaims(method, claims).SignedString([]byte(key))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	future := time.Now().Add(time.Hour).Unix()
	parts := strings.Split(admin.Token, ".")
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
	tampered := parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(strings.Replace(string(payload), "user:admin", "user:dave", 1))) + "." + parts[2]
	none := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`)) + "." +
		base64.RawURLEncoding.EncodeToString([]byte(`{"sub":"user:admin","exp":9999999999}`)) + "."

	// Disable dave directly in the store (the API for it is a later feature).
	u, err := ts.store.GetUser(t.Context(), "dave")
	if err != nil {
		t.Fatal(err)
	}
	u.Disabled = true
	if err := ts.store.UpdateUser(t.Context(), u); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name, header, mention string
	}{
		{"no header", "", "Not authenticated"},
		{"not bearer", "Basic abc", "Not authenticated"},
		{"garbage", "Bearer not-a-jwt", "not a well-formed"},
		{"expired", "Bearer " + sign(testJWTKey, jwt.SigningMethodHS256, jwt.MapClaims{"sub": "user:admin", "exp": time.Now().Add(-time.Hour).Unix()}), "expired"},
		{"no exp", "Bearer " + sign(testJWTKey, jwt.SigningMethodHS256, jwt.MapClaims{"sub": "user:admin"}), "exp"},
		{"tampered", "Bearer " + tampered, "signature is invalid"},
		{"other key", "Bearer " + sign("another-key-0123456789abcdef", jwt.SigningMethodHS256, jwt.MapClaims{"sub": "user:admin", "exp": future}), "signature is invalid"},
		{"HS512", "Bearer " + sign(testJWTKey, jwt.SigningMethodHS512, jwt.MapClaims{"sub": "user:admin", "exp": future}), "algorithm"},
		{"alg none", "Bearer " + none, "algorithm"},
		{"deleted user", "Bearer " + sign(testJWTKey, jwt.SigningMethodHS256, jwt.MapClaims{"sub": "user:ghost", "exp": future}), "no longer exists"},
		{"deleted client", "Bearer " + sign(testJWTKey, jwt.SigningMethodHS256, jwt.MapClaims{"sub": "client:sys0ghost", "exp": future}), "no longer exists"},
		{"odd subject", "Bearer " + sign(testJWTKey, jwt.SigningMethodHS256, jwt.MapClaims{"sub": "admin", "exp": future}), "subject"},
		{"other issuer", "Bearer " + sign(testJWTKey, jwt.SigningMethodHS256, jwt.MapClaims{"sub": "user:admin", "exp": future, "iss": "someone-else"}), "issuer"},
		{"disabled user", "Bearer " + dave.Token, "disabled"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := http.Header{}
			if tc.header != "" {
				h.Set("Authorization", tc.header)
			}
			r := send(t, http.MethodGet, ts.URL+"/users/me", h, nil)
			if r.Status != 401 || !strings.HasPrefix(r.Header.Get("WWW-Authenticate"), "Bearer") {
				t.Fatalf("status %d, WWW-Authenticate %q: %s", r.Status, r.Header.Get("WWW-Authenticate"), r.Body)
			}
			if d := r.detail(t); !strings.Contains(d, tc.mention) {
				t.Fatalf("detail %q does not mention %q", d, tc.mention)
			}
		})
	}
	// A token built exactly as the existing deployment builds it (sub and
	// exp only) is accepted.
	legacy := sign(testJWTKey, jwt.SigningMethodHS256, jwt.MapClaims{"sub": "user:admin", "exp": future})
	if r := send(t, http.MethodGet, ts.URL+"/users/me", bearer(legacy), nil); r.Status != 200 {
		t.Fatalf("legacy token: %d %s", r.Status, r.Body)
	}
	// And a disabled user cannot log in, with a reason once the password is right.
	r := postForm(t, ts.URL+"/token", url.Values{"grant_type": {"password"}, "username": {"dave"}, "password": {testPassword}}, nil)
	if r.Status != 401 || !strings.Contains(r.detail(t), "disabled") {
		t.Fatalf("disabled login: %d %s", r.Status, r.Body)
	}
}
