package main

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"github.com/nmdc-runtime/server/postgres/pgtest"
)

// dbSnapshot hashes every row of the tables that hold accounts, sites,
// credentials, allowances, revocations and settings: a rejected request
// must leave it unchanged. (Login counters and the audit log change on a
// rejected login by design.)
func dbSnapshot(t *testing.T, ts *testServer) string {
	t.Helper()
	h := sha256.New()
	tables := []string{"users", "site_admins", "sites", "site_clients", "allowances", "revoked_tokens", "settings", "capabilities", "share_links"}
	if isPostgresURL(ts.cfg.Database) {
		conn, err := pgx.Connect(t.Context(), ts.cfg.Database)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(context.Background())
		for _, table := range tables {
			rows, err := conn.Query(t.Context(), "SELECT * FROM "+table+" ORDER BY 1")
			if err != nil {
				t.Fatalf("snapshot %s: %v", table, err)
			}
			for rows.Next() {
				vals, err := rows.Values()
				if err != nil {
					t.Fatal(err)
				}
				fmt.Fprintf(h, "%s:%v\n", table, vals)
			}
			if err := rows.Err(); err != nil {
				t.Fatal(err)
			}
		}
		return hex.EncodeToString(h.Sum(nil))
	}
	db, err := sql.Open("sqlite", "file:"+ts.cfg.Database+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, table := range tables {
		rows, err := db.QueryContext(t.Context(), "SELECT * FROM "+table+" ORDER BY 1")
		if err != nil {
			t.Fatalf("snapshot %s: %v", table, err)
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(h, "%s:%v\n", table, vals)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		rows.Close()
	}
	return hex.EncodeToString(h.Sum(nil))
}

type hostileCase struct {
	name   string
	method string
	path   string
	header http.Header
	body   string
	// ok lists documented success statuses for this input; anything else
	// must be a 4xx with a JSON detail.
	ok []int
}

// Hostile strings, shared by every kind of input.
var hostileStrings = map[string]string{
	"SQL quote":           `x' OR '1'='1`,
	"SQL statement":       `x"; DROP TABLE users; --`,
	"shell substitution":  "$(reboot)`id`",
	"shell pipe":          "a | rm -rf / ; echo",
	"slash":               "a/b",
	"encoded slash":       "a%2Fb",
	"colon":               "a:b",
	"dot-dot":             "..",
	"dot-dot path":        "../../etc/passwd",
	"NUL":                 "a\x00b",
	"control chars":       "a\x01\x1b[31mb\x7f",
	"invalid UTF-8":       "a\xff\xfeb",
	"10000 chars":         strings.Repeat("x", 10000),
	"fullwidth admin":     "ａｄｍｉｎ",
	"upper-case admin":    "ADMIN",
	"zero-width admin":    "ad\u200bmin",
	"bidi override":       "\u202eadmin",
	"Cyrillic a in admin": "\u0430dmin",
	"combining accent":    "admi\u0301n",
	"emoji":               "🙂🙃",
}

func sortedKeys(m map[string]string) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// jsonString encodes v as a JSON string, keeping invalid UTF-8 as raw
// bytes (json.Marshal would repair it) so that the server sees it.
func jsonString(v string) string {
	if !utf8.ValidString(v) {
		return `"` + strings.ReplaceAll(v, `"`, `\"`) + `"`
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// Hostile strings that every text field must refuse, and those that a
// username must refuse besides (look-alikes of "admin").
var (
	refusedText      = []string{"NUL", "control chars", "invalid UTF-8", "10000 chars"}
	refusedSecret    = []string{"invalid UTF-8", "10000 chars"}
	refusedUsernames = append([]string{"fullwidth admin", "upper-case admin", "zero-width admin", "bidi override", "Cyrillic a in admin"}, refusedText...)
)

// jsonBodies are hostile JSON request bodies: malformed ones, and for each
// field a hostile string in an otherwise valid body (base). refused says
// which hostile strings a field must refuse; any other may be accepted
// (a documented success: the field is free text) or refused.
func jsonBodies(base map[string]string, refused func(field, key string) bool, fields ...string) []hostileCase {
	deep := `{"` + fields[0] + `":` + strings.Repeat("[", 100000) + strings.Repeat("]", 100000) + `}`
	cases := []hostileCase{
		{name: "0 bytes", body: ""},
		{name: "white space only", body: " \n\t "},
		{name: "1 MiB + 1", body: `{"` + fields[0] + `":"` + strings.Repeat("a", 1<<20+1) + `"}`},
		{name: "1 MiB + 1 of garbage", body: strings.Repeat("{", 1<<20+1)},
		{name: "deeply nested", body: deep},
		{name: "deeply nested objects", body: strings.Repeat(`{"a":`, 50000) + "1" + strings.Repeat("}", 50000)},
		{name: "invalid UTF-8 body", body: "{\"" + fields[0] + "\":\"\xff\"}"},
		{name: "NUL in body", body: "{\"" + fields[0] + "\":\"a\x00\"}"},
		{name: "duplicate keys", body: `{"` + fields[0] + `":"a1","` + fields[0] + `":"a2"}`},
		{name: "duplicate keys differing in case", body: `{"` + fields[0] + `":"a1","` + strings.ToUpper(fields[0]) + `":"a2"}`},
		{name: "wrong content type", header: http.Header{"Content-Type": {"text/plain"}}, body: `{"` + fields[0] + `":"ok-value"}`},
		{name: "form content type", header: http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}, body: fields[0] + "=ok-value"},
		{name: "charset latin1", header: http.Header{"Content-Type": {"application/json; charset=latin1"}}, body: `{"` + fields[0] + `":"ok-value"}`},
		{name: "charset utf-16", header: http.Header{"Content-Type": {"application/json; charset=utf-16"}}, body: `{"` + fields[0] + `":"ok-value"}`},
		{name: "malformed content type", header: http.Header{"Content-Type": {"application/json; charset"}}, body: `{}`},
		{name: "array", body: `[]`},
		{name: "null", body: `null`},
		{name: "number", body: `1e999999`},
		{name: "trailing garbage", body: `{} {}`},
		{name: "unknown field", body: `{"__proto__":{}}`},
	}
	for _, f := range fields {
		for _, k := range sortedKeys(hostileStrings) {
			parts := []string{jsonString(f) + ":" + jsonString(hostileStrings[k])}
			for bk, bv := range base {
				if bk != f {
					parts = append(parts, jsonString(bk)+":"+jsonString(bv))
				}
			}
			c := hostileCase{name: f + " " + k, body: "{" + strings.Join(parts, ",") + "}"}
			if !refused(f, k) {
				c.ok = []int{200, 201, 204}
			}
			cases = append(cases, c)
		}
	}
	return cases
}

// formBodies are hostile form bodies for the token endpoints.
func formBodies(fields ...string) []hostileCase {
	form := func(kv ...string) string {
		v := url.Values{}
		for i := 0; i < len(kv); i += 2 {
			v.Add(kv[i], kv[i+1])
		}
		return v.Encode()
	}
	cases := []hostileCase{
		{name: "0 bytes", body: ""},
		{name: "1 MiB + 1", body: fields[0] + "=" + strings.Repeat("a", 1<<20+1)},
		{name: "JSON body", header: http.Header{"Content-Type": {"application/json"}}, body: `{"` + fields[0] + `":"x"}`},
		{name: "deeply nested JSON", header: http.Header{"Content-Type": {"application/json"}}, body: strings.Repeat("[", 100000)},
		{name: "no content type", header: http.Header{"Content-Type": nil}, body: fields[0] + "=x"},
		{name: "multipart", header: http.Header{"Content-Type": {"multipart/form-data; boundary=x"}}, body: "--x\r\nContent-Disposition: form-data; name=\"" + fields[0] + "\"\r\n\r\nx\r\n--x--\r\n"},
		{name: "charset latin1", header: http.Header{"Content-Type": {"application/x-www-form-urlencoded; charset=iso-8859-1"}}, body: fields[0] + "=x"},
		{name: "malformed escape", body: fields[0] + "=%zz"},
		{name: "semicolon separator", body: fields[0] + "=a;" + fields[0] + "=b"},
		{name: "invalid UTF-8 raw", body: fields[0] + "=\xff\xfe"},
		{name: "NUL raw", body: fields[0] + "=a\x00b"},
	}
	for _, f := range fields {
		cases = append(cases, hostileCase{name: f + " repeated", body: f + "=a&" + f + "=b&" + form(fields[0], "x")})
		cases = append(cases, hostileCase{name: f + " in query string", path: "?" + f + "=x", body: form(fields[0], "x")})
		for _, k := range sortedKeys(hostileStrings) {
			cases = append(cases, hostileCase{name: f + " " + k, body: form(f, hostileStrings[k])})
		}
	}
	return cases
}

// TestHostileInput sends hostile input to every endpoint that takes input:
// each answer is a 4xx with a JSON detail (or a documented success), never
// a 5xx, and the database is unchanged after every request.
func TestHostileInput(t *testing.T) { hostileSuite(t) }

// TestHostileInputOnPostgres runs the same suite on PostgreSQL, whose text
// holds neither NUL nor invalid UTF-8. Without RUNTIME_TEST_POSTGRES_DSN it
// skips (fails under CI=true).
func TestHostileInputOnPostgres(t *testing.T) {
	base := pgtest.BaseDSN(t)
	hostileSuite(t, func(c *serveConfig) { c.Database = pgtest.FreshSchema(t, base) })
}

func hostileSuite(t *testing.T, mods ...func(*serveConfig)) {
	ts := startTest(t, append([]func(*serveConfig){func(c *serveConfig) { c.LoginMaxFailures, c.LoginMaxFailuresPerSource = 1<<20, 1<<20 }}, mods...)...)
	admin := mustAdmin(t, ts)
	mustCreateUser(t, admin, "ivan")
	ivan := mustLogin(t, ts, "ivan", testPassword)
	mustCreateSite(t, ivan, "ivan-lab")

	type endpoint struct {
		method, path string
		token        string
		cases        []hostileCase
		ctype        string
		ok           []int
	}
	var tokenCases []hostileCase
	for _, gt := range []string{"password", "client_credentials"} {
		for _, c := range formBodies("username", "password", "client_id", "client_secret") {
			c.body = "grant_type=" + gt + "&" + c.body
			if strings.HasPrefix(c.name, "0 bytes") || strings.HasPrefix(c.name, "1 MiB") {
				c.body = strings.TrimPrefix(c.body, "grant_type="+gt+"&")
			}
			c.name = gt + " " + c.name
			tokenCases = append(tokenCases, c)
		}
	}
	for _, gt := range []string{"\x00", "password\x00", strings.Repeat("g", 10000), "PASSWORD", "password ", "refresh_token", "urn:ietf:params:oauth:grant-type:jwt-bearer", "$(id)", "' OR 1=1 --"} {
		tokenCases = append(tokenCases, hostileCase{name: "grant_type " + gt[:min(len(gt), 20)], body: url.Values{"grant_type": {gt}, "username": {"admin"}, "password": {testAdminPW}}.Encode()})
	}
	for name, h := range map[string]string{
		"basic not base64": "Basic ***", "basic NUL": "Basic " + base64.StdEncoding.EncodeToString([]byte("a\x00:b")),
		"basic 10000 chars": "Basic " + base64.StdEncoding.EncodeToString([]byte(strings.Repeat("a", 10000)+":b")),
		"basic no colon":    "Basic " + base64.StdEncoding.EncodeToString([]byte("abc")), "basic invalid UTF-8": "Basic " + base64.StdEncoding.EncodeToString([]byte("\xff:\xfe")),
		"basic bad escape": "Basic " + base64.StdEncoding.EncodeToString([]byte("%zz:%zz")), "basic empty": "Basic ", "basic two in one header": "Basic a, Basic b",
	} {
		tokenCases = append(tokenCases, hostileCase{name: name, header: http.Header{"Authorization": {h}}, body: "grant_type=client_credentials"})
	}
	tokenCases = append(tokenCases, hostileCase{name: "two Authorization headers", header: http.Header{"Authorization": {"Basic " + base64.StdEncoding.EncodeToString([]byte("a:b")), "Basic " + base64.StdEncoding.EncodeToString([]byte("c:d"))}}, body: "grant_type=client_credentials"})

	revokeCases := formBodies("token", "token_type_hint")
	for i := range revokeCases {
		c := &revokeCases[i]
		if strings.HasPrefix(c.name, "token ") && !strings.Contains(c.name, "repeated") && !strings.Contains(c.name, "query") {
			// RFC 7009 §2.2: an unknown token is a 200.
			c.ok = []int{200}
		}
		if strings.HasPrefix(c.name, "token_type_hint ") && !strings.Contains(c.name, "repeated") {
			c.body += "&token=unknown-token"
			c.ok = []int{200} // an unknown hint is ignored (§2.1), in the query string too
		}
		if strings.HasSuffix(c.name, " raw") || c.name == "multipart" {
			c.ok = []int{200} // a token of odd bytes is an unknown token
		}
	}

	var pathCases, queryCases, authCases []hostileCase
	for _, k := range sortedKeys(hostileStrings) {
		id := hostileStrings[k]
		for _, esc := range []struct {
			name string
			f    func(string) string
		}{{"escaped", url.PathEscape}, {"raw", func(s string) string { return s }}} {
			if esc.name == "raw" && strings.ContainsAny(id, "\x00\x01\x1b\x7f ") {
				continue // a client cannot send these raw in a request line
			}
			e := esc.f(id)
			pathCases = append(pathCases,
				hostileCase{name: "GET site " + esc.name + " " + k, method: "GET", path: "/sites/" + e},
				hostileCase{name: "generate " + esc.name + " " + k, method: "POST", path: "/sites/" + e + ":generateCredentials"},
				hostileCase{name: "site admins " + esc.name + " " + k, method: "GET", path: "/sites/" + e + "/admins"},
				hostileCase{name: "site clients " + esc.name + " " + k, method: "GET", path: "/sites/" + e + "/clients"},
				// The bodies above may have made a user of this name an admin
				// of ivan-lab (a documented success); removing it is one too.
				hostileCase{name: "remove admin " + esc.name + " " + k, method: "DELETE", path: "/sites/ivan-lab/admins/" + e, ok: []int{204}},
				hostileCase{name: "delete client " + esc.name + " " + k, method: "DELETE", path: "/sites/ivan-lab/clients/" + e},
				hostileCase{name: "rotate " + esc.name + " " + k, method: "POST", path: "/sites/ivan-lab/clients/" + e + ":rotateSecret"},
				hostileCase{name: "reset password " + esc.name + " " + k, method: "POST", path: "/users/" + e + ":resetPassword"},
				hostileCase{name: "capability " + esc.name + " " + k, method: "GET", path: "/capabilities/" + e},
				hostileCase{name: "share " + esc.name + " " + k, method: "GET", path: "/share/" + e},
				hostileCase{name: "docs asset " + esc.name + " " + k, method: "GET", path: "/docs/" + e},
			)
		}
		for _, param := range []string{"max_page_size", "page_token"} {
			queryCases = append(queryCases, hostileCase{name: "sites " + param + " " + k, method: "GET", path: "/sites?" + param + "=" + url.QueryEscape(id)})
		}
		for _, param := range []string{"username", "action", "max_page_size", "page_token"} {
			queryCases = append(queryCases, hostileCase{name: "allowances " + param + " " + k, method: "GET", path: "/admin/allowances?" + param + "=" + url.QueryEscape(id), ok: []int{200}})
		}
		queryCases = append(queryCases,
			// Users of the names POST /users accepted exist, and may hold
			// the allowance POST /admin/allowances granted: documented successes.
			hostileCase{name: "delete allowance username " + k, method: "DELETE", path: "/admin/allowances?action=%2Fwf_file_staging&username=" + url.QueryEscape(id), ok: []int{204}},
			hostileCase{name: "delete allowance action " + k, method: "DELETE", path: "/admin/allowances?username=ivan&action=" + url.QueryEscape(id)},
			hostileCase{name: "users max_page_size " + k, method: "GET", path: "/admin/users?max_page_size=" + url.QueryEscape(id)},
			hostileCase{name: "users page_token " + k, method: "GET", path: "/admin/users?page_token=" + url.QueryEscape(id)},
			hostileCase{name: "get user " + k, method: "GET", path: "/admin/users/" + url.PathEscape(id), ok: []int{200}},
		)
		for _, param := range []string{"actor", "action", "max_page_size", "page_token"} {
			c := hostileCase{name: "audit " + param + " " + k, method: "GET", path: "/admin/audit?" + param + "=" + url.QueryEscape(id)}
			if param == "actor" || param == "action" {
				c.ok = []int{200} // a filter that matches nothing is an empty page
			}
			queryCases = append(queryCases, c)
		}
		authCases = append(authCases, hostileCase{name: "bearer " + k, method: "GET", path: "/users/me", header: http.Header{"Authorization": {"Bearer " + strings.NewReplacer("\x00", "", "\x01", "", "\x1b", "", "\x7f", "").Replace(id)}}})
	}
	for _, p := range []string{"/sites/..", "/sites/./ivan-lab", "//sites", "/sites/ivan-lab/", "/sites/ivan-lab%2F..%2F..:generateCredentials", "/sites/%2e%2e:generateCredentials", "/sites/ivan-lab::generateCredentials", "/sites/ivan-lab:generateCredentials%00"} {
		pathCases = append(pathCases, hostileCase{name: "path " + p, method: "POST", path: p}, hostileCase{name: "GET path " + p, method: "GET", path: p})
	}
	authCases = append(authCases,
		hostileCase{name: "bearer 10000 chars", method: "POST", path: "/logout", header: http.Header{"Authorization": {"Bearer " + strings.Repeat("a", 10000)}}},
		hostileCase{name: "bearer three dots", method: "POST", path: "/logout", header: http.Header{"Authorization": {"Bearer a.b.c.d"}}},
		hostileCase{name: "bearer empty parts", method: "POST", path: "/logout", header: http.Header{"Authorization": {"Bearer .."}}},
		hostileCase{name: "two bearers", method: "POST", path: "/logout", header: http.Header{"Authorization": {"Bearer " + admin.Token, "Bearer x"}}},
	)

	// "ADMIN" is a valid site id (ids are case-sensitive A-Za-z0-9._-), so
	// it is left out here: creating it would be a success.
	siteCases := slices.DeleteFunc(jsonBodies(map[string]string{}, func(string, string) bool { return true }, "id"), func(c hostileCase) bool { return c.name == "id upper-case admin" })
	// A client of ivan-lab and a user whose fields PUT /users may change.
	target := mustCredentials(t, ivan, "ivan-lab")
	mustCreateUser(t, admin, "target")
	all := func(string, string) bool { return true }
	userFields := func(f, k string) bool {
		switch f {
		case "action":
			return true // only the existing deployment's action names
		case "username":
			return slices.Contains(refusedUsernames, k)
		case "password":
			return slices.Contains(refusedSecret, k)
		}
		return slices.Contains(refusedText, k)
	}
	endpoints := []endpoint{
		{method: "POST", path: "/users", token: admin.Token, cases: jsonBodies(map[string]string{"username": "new-user", "password": "password-1"}, userFields, "username", "password", "email", "full_name"), ctype: "application/json"},
		// POST /users above may have made users of the names it accepted.
		{method: "PUT", path: "/users", token: admin.Token, cases: jsonBodies(map[string]string{"username": "target"}, userFields, "username", "email", "full_name", "password"), ctype: "application/json"},
		{method: "POST", path: "/users/me:changePassword", token: ivan.Token, cases: jsonBodies(map[string]string{"current_password": "not-ivans-password", "new_password": "a-new-password"}, all, "current_password", "new_password"), ctype: "application/json"},
		{method: "POST", path: "/sites", token: ivan.Token, cases: siteCases, ctype: "application/json"},
		{method: "POST", path: "/sites/ivan-lab/admins", token: ivan.Token, cases: jsonBodies(map[string]string{}, userFields, "username"), ctype: "application/json"},
		{method: "POST", path: "/admin/allowances", token: admin.Token, cases: jsonBodies(map[string]string{"username": "ivan", "action": "/wf_file_staging"}, userFields, "username", "action"), ctype: "application/json"},
		{method: "PATCH", path: "/admin/site_clients/" + target.ClientID, token: admin.Token, cases: jsonBodies(map[string]string{}, func(f, k string) bool { return slices.Contains(refusedSecret, k) }, "secret"), ctype: "application/json"},
		{method: "POST", path: "/token", cases: tokenCases, ctype: "application/x-www-form-urlencoded"},
		{method: "POST", path: "/token/revoke", cases: revokeCases, ctype: "application/x-www-form-urlencoded"},
		{path: "", token: ivan.Token, cases: pathCases},
		{path: "", token: admin.Token, cases: queryCases},
		{path: "", cases: authCases},
	}
	// POST /users also gets hostile values in its list field.
	for _, k := range refusedText {
		endpoints[0].cases = append(endpoints[0].cases, hostileCase{name: "site_admin " + k, body: `{"username":"valid-name","password":"password-1","site_admin":[` + jsonString(hostileStrings[k]) + `]}`})
	}

	before := dbSnapshot(t, ts)
	total := 0
	for _, ep := range endpoints {
		for _, tc := range ep.cases {
			total++
			method, path := ep.method, ep.path+tc.path
			if tc.method != "" {
				method = tc.method
			}
			name := strings.TrimSpace(method + " " + ep.path + " " + tc.name)
			t.Run(name, func(t *testing.T) {
				h := http.Header{}
				if ep.ctype != "" {
					h.Set("Content-Type", ep.ctype)
				}
				if ep.token != "" {
					h.Set("Authorization", "Bearer "+ep.token)
				}
				for k, v := range tc.header {
					if v == nil {
						h.Del(k)
					} else {
						h[k] = v
					}
				}
				req, err := http.NewRequestWithContext(t.Context(), method, ts.URL+path, strings.NewReader(tc.body))
				if err != nil {
					t.Skipf("not a request a client can send: %v", err)
				}
				req.Header = h
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				switch {
				case resp.StatusCode >= 500:
					t.Fatalf("status %d: %s", resp.StatusCode, body)
				case slices.Contains(tc.ok, resp.StatusCode):
					// A documented success may change the database.
					before = dbSnapshot(t, ts)
				case resp.StatusCode < 400:
					t.Fatalf("status %d, want a 4xx: %.300s", resp.StatusCode, body)
				default:
					var m map[string]any
					if err := json.Unmarshal(body, &m); err != nil || m["detail"] == nil || m["detail"] == "" {
						t.Fatalf("status %d without a JSON detail: %.300q", resp.StatusCode, body)
					}
					if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
						t.Errorf("Content-Type %q", ct)
					}
				}
				if after := dbSnapshot(t, ts); after != before {
					t.Fatalf("the request (status %d) changed the database: %.300s", resp.StatusCode, body)
				}
			})
		}
	}
	t.Logf("%d hostile requests", total)
	if total < 300 {
		t.Fatalf("only %d hostile cases ran", total)
	}
	// The server still works.
	if _, err := admin.Me(t.Context()); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(ts.logs.String(), `"level":"ERROR"`) {
		t.Fatalf("hostile input caused errors in the log:\n%s", ts.logs.String())
	}
}
