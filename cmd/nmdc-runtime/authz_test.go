package main

import (
	"cmp"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/nmdc-runtime/server/auth"
	"github.com/nmdc-runtime/server/client"
	"github.com/nmdc-runtime/server/httpapi"
	"github.com/nmdc-runtime/server/postgres/pgtest"
)

// Principals of the authorization matrix.
const (
	pAnonymous    = "anonymous"
	pPlainUser    = "plain user"
	pSiteAAdmin   = "admin of site A"
	pRuntimeAdmin = "runtime admin"
	pClientA      = "client of site A"
	pClientB      = "client of site B"
	pDisabled     = "disabled user"
	pExpired      = "expired token"
	pRevoked      = "revoked token"
	pTampered     = "tampered token"
	pWrongKey     = "wrong-key token"
	pAlgNone      = "alg:none token"
)

var matrixPrincipals = []string{pAnonymous, pPlainUser, pSiteAAdmin, pRuntimeAdmin, pClientA, pClientB, pDisabled, pExpired, pRevoked, pTampered, pWrongKey, pAlgNone}

// badTokens are the principals whose token must be refused wherever a
// token is required.
var badTokens = []string{pDisabled, pExpired, pRevoked, pTampered, pWrongKey, pAlgNone}

// expect builds a row: the status of every principal, starting from
// those given and filling the rest with other.
func expect(other int, given map[string]int) map[string]int {
	out := map[string]int{}
	for _, p := range matrixPrincipals {
		out[p] = other
	}
	for p, s := range given {
		out[p] = s
	}
	return out
}

// authenticated is the usual row of a route that needs a principal:
// anonymous and every bad token 401, the rest as given.
func authenticated(given map[string]int) map[string]int {
	row := expect(0, given)
	row[pAnonymous] = 401
	for _, p := range badTokens {
		row[p] = 401
	}
	for p, s := range row {
		if s == 0 {
			panic("authenticated row lacks " + p)
		}
	}
	return row
}

// matrixRequest makes the request of one cell for principal p; n numbers
// the cells so that creating routes get fresh names, and a cell that
// deletes or changes something gets its own fresh target.
type matrixRequest func(n int, p string) (method, path, ctype, body string)

// TestAuthorizationMatrix sends every route of the API as every kind of
// principal and checks the status. The routes come from the router, so a
// new route without a row fails this test.
func TestAuthorizationMatrix(t *testing.T) { authorizationMatrix(t) }

// TestAuthorizationMatrixOnPostgres runs the matrix on PostgreSQL. Without
// RUNTIME_TEST_POSTGRES_DSN it skips (fails under CI=true).
func TestAuthorizationMatrixOnPostgres(t *testing.T) {
	base := pgtest.BaseDSN(t)
	authorizationMatrix(t, func(c *serveConfig) { c.Database = pgtest.FreshSchema(t, base) })
}

func authorizationMatrix(t *testing.T, mods ...func(*serveConfig)) {
	ts := startTest(t, append([]func(*serveConfig){func(c *serveConfig) { c.LoginMaxFailures = 1 << 20 }}, mods...)...)
	admin := mustAdmin(t, ts)
	mustCreateUser(t, admin, "plain")
	mustCreateUser(t, admin, "site-a-admin", "site-a")
	mustCreateUser(t, admin, "site-b-admin")
	mustCreateUser(t, admin, "disabled")
	siteA := mustLogin(t, ts, "site-a-admin", testPassword)
	siteB := mustLogin(t, ts, "site-b-admin", testPassword)
	mustCreateSite(t, siteA, "site-a")
	mustCreateSite(t, siteB, "site-b")
	credA := mustCredentials(t, siteA, "site-a")
	credB := mustCredentials(t, siteB, "site-b")
	u, err := ts.store.GetUser(t.Context(), "disabled")
	if err != nil {
		t.Fatal(err)
	}
	u.Disabled = true
	if err := ts.store.UpdateUser(t.Context(), u); err != nil {
		t.Fatal(err)
	}

	// Each valid principal gets a fresh token per request (as a real
	// login would give), so that a logout in one cell cannot affect others.
	mint := func(sub string) func() string {
		return func() string {
			// iat 2 s ahead (within the leeway): after any cut-off that a
			// password change in an earlier cell set (the next second).
			now := time.Now()
			return signTest(t, jwt.MapClaims{"sub": sub, "iat": now.Add(2 * time.Second).Unix(), "exp": now.Add(time.Hour).Unix(), "jti": auth.RandomToken(16), "iss": "nmdc-runtime"})
		}
	}
	fixed := func(tok string) func() string { return func() string { return tok } }
	revoked := mint("user:plain")()
	if r := postForm(t, ts.URL+"/token/revoke", url.Values{"token": {revoked}}, nil); r.Status != 200 {
		t.Fatal(r.Status)
	}
	good := mint("user:runtime-admin-impostor")() // only used to derive a tampered token
	parts := strings.Split(good, ".")
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
	tampered := parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(strings.Replace(string(payload), "user:runtime-admin-impostor", "user:admin", 1))) + "." + parts[2]
	wrongKey, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"sub": "user:admin", "exp": time.Now().Add(time.Hour).Unix()}).SignedString([]byte("not-the-server-key-0123456789"))
	none := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + base64.RawURLEncoding.EncodeToString([]byte(fmt.Sprintf(`{"sub":"user:admin","exp":%d}`, time.Now().Add(time.Hour).Unix()))) + "."
	tokens := map[string]func() string{
		pAnonymous:    fixed(""),
		pPlainUser:    mint("user:plain"),
		pSiteAAdmin:   mint("user:site-a-admin"),
		pRuntimeAdmin: mint("user:admin"),
		pClientA:      mint("client:" + credA.ClientID),
		pClientB:      mint("client:" + credB.ClientID),
		pDisabled:     mint("user:disabled"),
		pExpired:      fixed(signTest(t, jwt.MapClaims{"sub": "user:admin", "exp": time.Now().Add(-time.Hour).Unix()})),
		pRevoked:      fixed(revoked),
		pTampered:     fixed(tampered),
		pWrongKey:     fixed(wrongKey),
		pAlgNone:      fixed(none),
	}

	get := func(path string) matrixRequest {
		return func(int, string) (string, string, string, string) { return "GET", path, "", "" }
	}
	const jsonType = "application/json"
	// Fresh targets, made through the API by those allowed to.
	// Acting clients with freshly minted tokens: the logins above lose
	// their tokens when the changePassword row changes their passwords.
	as := func(p string) *client.Client {
		c := ts.client()
		c.Token = tokens[p]()
		return c
	}
	freshUser := func(n int) string {
		name := fmt.Sprintf("target-%d", n)
		mustCreateUser(t, as(pRuntimeAdmin), name)
		return name
	}
	freshClient := func() string { return mustCredentials(t, as(pSiteAAdmin), "site-a").ClientID }
	passwords := map[string]string{pPlainUser: testPassword, pSiteAAdmin: testPassword, pRuntimeAdmin: testAdminPW}
	userRoutes := func(admin int) map[string]int { // runtime admins only
		return authenticated(map[string]int{pPlainUser: 403, pSiteAAdmin: 403, pRuntimeAdmin: admin, pClientA: 403, pClientB: 403})
	}
	siteAAdmins := func(ok int) map[string]int {
		return authenticated(map[string]int{pPlainUser: 403, pSiteAAdmin: ok, pRuntimeAdmin: 403, pClientA: 403, pClientB: 403})
	}
	everyone := func(status int) map[string]int { return expect(status, nil) }
	rows := map[string]struct {
		req  matrixRequest
		want map[string]int
	}{
		// The token endpoints read credentials from the form, never from
		// a bearer token, so every principal gets the same answer.
		"POST /token": {func(int, string) (string, string, string, string) {
			return "POST", "/token", "application/x-www-form-urlencoded", url.Values{"grant_type": {"client_credentials"}, "client_id": {credA.ClientID}, "client_secret": {credA.ClientSecret}}.Encode()
		}, everyone(200)},
		"POST /token/revoke": {func(int, string) (string, string, string, string) {
			return "POST", "/token/revoke", "application/x-www-form-urlencoded", "token=unknown"
		}, everyone(200)},
		"POST /logout": {func(int, string) (string, string, string, string) { return "POST", "/logout", "", "" },
			authenticated(map[string]int{pPlainUser: 204, pSiteAAdmin: 204, pRuntimeAdmin: 204, pClientA: 204, pClientB: 204})},
		"GET /users/me": {get("/users/me"),
			authenticated(map[string]int{pPlainUser: 200, pSiteAAdmin: 200, pRuntimeAdmin: 200, pClientA: 200, pClientB: 200})},
		"POST /users": {func(n int, _ string) (string, string, string, string) {
			return "POST", "/users", "application/json", fmt.Sprintf(`{"username":"new-user-%d","password":"password-%d"}`, n, n)
		}, authenticated(map[string]int{pPlainUser: 403, pSiteAAdmin: 403, pRuntimeAdmin: 201, pClientA: 403, pClientB: 403})},
		"GET /admin/audit": {get("/admin/audit"),
			authenticated(map[string]int{pPlainUser: 403, pSiteAAdmin: 403, pRuntimeAdmin: 200, pClientA: 403, pClientB: 403})},
		"POST /sites": {func(n int, _ string) (string, string, string, string) {
			return "POST", "/sites", "application/json", fmt.Sprintf(`{"id":"new-site-%d"}`, n)
		}, authenticated(map[string]int{pPlainUser: 201, pSiteAAdmin: 201, pRuntimeAdmin: 201, pClientA: 403, pClientB: 403})},
		// Sites and system routes are public; a bad token there is ignored.
		"GET /sites":           {get("/sites"), everyone(200)},
		"GET /sites/{site_id}": {get("/sites/site-a"), everyone(200)},
		"POST /sites/{site_id}:generateCredentials": {func(int, string) (string, string, string, string) {
			return "POST", "/sites/site-a:generateCredentials", "", ""
		}, authenticated(map[string]int{pPlainUser: 403, pSiteAAdmin: 200, pRuntimeAdmin: 403, pClientA: 403, pClientB: 403})},
		"PUT /users": {func(n int, _ string) (string, string, string, string) {
			return "PUT", "/users", jsonType, fmt.Sprintf(`{"username":"plain","full_name":"Plain %d"}`, n)
		}, userRoutes(200)},
		"POST /users/{username}:changePassword": {func(n int, p string) (string, string, string, string) {
			return "POST", "/users/me:changePassword", jsonType, fmt.Sprintf(`{"current_password":%q,"new_password":"changed-password-%d"}`, cmp.Or(passwords[p], "not-a-password"), n)
		}, authenticated(map[string]int{pPlainUser: 200, pSiteAAdmin: 200, pRuntimeAdmin: 200, pClientA: 403, pClientB: 403})},
		"POST /users/{username}:resetPassword": {func(n int, _ string) (string, string, string, string) {
			return "POST", "/users/" + freshUser(n) + ":resetPassword", "", ""
		}, userRoutes(200)},
		"GET /admin/users":            {get("/admin/users"), userRoutes(200)},
		"GET /admin/users/{username}": {get("/admin/users/plain"), userRoutes(200)},
		"GET /sites/{site_id}/admins": {get("/sites/site-a/admins"), siteAAdmins(200)},
		"POST /sites/{site_id}/admins": {func(n int, _ string) (string, string, string, string) {
			return "POST", "/sites/site-a/admins", jsonType, fmt.Sprintf(`{"username":%q}`, freshUser(n))
		}, siteAAdmins(201)},
		"DELETE /sites/{site_id}/admins/{username}": {func(n int, _ string) (string, string, string, string) {
			u := freshUser(n)
			if r := send(t, "POST", ts.URL+"/sites/site-a/admins", jsonHeader(as(pSiteAAdmin).Token), strings.NewReader(`{"username":"`+u+`"}`)); r.Status != 201 {
				t.Fatalf("add admin: %d %s", r.Status, r.Body)
			}
			return "DELETE", "/sites/site-a/admins/" + u, "", ""
		}, siteAAdmins(204)},
		"GET /sites/{site_id}/clients": {get("/sites/site-a/clients"), siteAAdmins(200)},
		"DELETE /sites/{site_id}/clients/{client_id}": {func(int, string) (string, string, string, string) {
			return "DELETE", "/sites/site-a/clients/" + freshClient(), "", ""
		}, siteAAdmins(204)},
		"POST /sites/{site_id}/clients/{client_id}:rotateSecret": {func(int, string) (string, string, string, string) {
			return "POST", "/sites/site-a/clients/" + freshClient() + ":rotateSecret", "", ""
		}, siteAAdmins(200)},
		// Holders of allowance /admin/site_clients (the bootstrap admin).
		"PATCH /admin/site_clients/{site_client_id}": {func(n int, _ string) (string, string, string, string) {
			return "PATCH", "/admin/site_clients/" + freshClient(), jsonType, fmt.Sprintf(`{"secret":"chosen-secret-%d"}`, n)
		}, userRoutes(200)},
		// Holders of allowance /admin/allowances (the bootstrap admin).
		"GET /admin/allowances": {get("/admin/allowances"), userRoutes(200)},
		"POST /admin/allowances": {func(n int, _ string) (string, string, string, string) {
			return "POST", "/admin/allowances", jsonType, fmt.Sprintf(`{"username":%q,"action":"/wf_file_staging"}`, freshUser(n))
		}, userRoutes(201)},
		"DELETE /admin/allowances": {func(n int, _ string) (string, string, string, string) {
			u := freshUser(n)
			body := fmt.Sprintf(`{"username":%q,"action":"/wf_file_staging"}`, u)
			if r := send(t, "POST", ts.URL+"/admin/allowances", jsonHeader(as(pRuntimeAdmin).Token), strings.NewReader(body)); r.Status != 201 {
				t.Fatalf("grant allowance: %d %s", r.Status, r.Body)
			}
			return "DELETE", "/admin/allowances?" + url.Values{"username": {u}, "action": {"/wf_file_staging"}}.Encode(), "", ""
		}, userRoutes(204)},
		"GET /admin/allowances/actions":     {get("/admin/allowances/actions"), userRoutes(200)},
		"GET /capabilities":                 {get("/capabilities"), everyone(200)},
		"GET /capabilities/{capability_id}": {get("/capabilities/none-such"), everyone(404)},
		"GET /share/{token}":                {get("/share/" + strings.Repeat("A", 43)), everyone(404)},
		// The docs page and its document are public.
		"GET /openapi.json": {get("/openapi.json"), everyone(200)},
		"GET /docs":         {get("/docs"), everyone(200)},
		"GET /docs/{$}":     {get("/docs/"), everyone(307)},
		"GET /docs/{asset}": {get("/docs/runtime-docs.js"), everyone(200)},
		"GET /health":       {get("/health"), everyone(200)},
		"GET /version":      {get("/version"), everyone(200)},
		"GET /{$}":          {get("/"), everyone(307)},
	}

	// The custom methods behind a dispatching pattern count as routes.
	api := httpapi.New(httpapi.Config{})
	custom := api.CustomMethods()
	var routes []string
	for _, r := range api.Routes() {
		if verbs, ok := custom[r]; ok {
			routes = append(routes, verbs...)
			continue
		}
		routes = append(routes, r)
	}
	for _, r := range routes {
		if _, ok := rows[r]; !ok {
			t.Errorf("route %q has no row in the authorization matrix: add the status each principal must get", r)
		}
	}
	for r := range rows {
		if !slices.Contains(routes, r) {
			t.Errorf("the matrix has a row for %q, which is not a route", r)
		}
	}

	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	var n atomic.Int64
	for _, route := range routes {
		row, ok := rows[route]
		if !ok {
			continue
		}
		for _, p := range matrixPrincipals {
			want, ok := row.want[p]
			if !ok {
				t.Errorf("%s: no expected status for %s", route, p)
				continue
			}
			t.Run(route+"/"+p, func(t *testing.T) {
				method, path, ctype, body := row.req(int(n.Add(1)), p)
				req, err := http.NewRequestWithContext(t.Context(), method, ts.URL+path, strings.NewReader(body))
				if err != nil {
					t.Fatal(err)
				}
				if ctype != "" {
					req.Header.Set("Content-Type", ctype)
				}
				if tok := tokens[p](); tok != "" {
					req.Header.Set("Authorization", "Bearer "+tok)
				}
				resp, err := noRedirect.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != want {
					t.Fatalf("status %d, want %d: %s", resp.StatusCode, want, b)
				}
				if resp.StatusCode == 401 && !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Bearer") {
					t.Error("401 without WWW-Authenticate: Bearer")
				}
				if resp.StatusCode >= 400 && !strings.Contains(string(b), `"detail"`) {
					t.Errorf("error without detail: %s", b)
				}
			})
		}
	}
}
