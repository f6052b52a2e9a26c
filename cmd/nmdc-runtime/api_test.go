package main

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/nmdc-runtime/server/client"
)

// TestCreateUserErrors: each refused POST /users gets the right status, a
// message naming the problem, and changes nothing.
func TestCreateUserErrors(t *testing.T) {
	ts := startTest(t)
	admin := mustAdmin(t, ts)
	mustCreateUser(t, admin, "erin", "erin-lab")
	erin := mustLogin(t, ts, "erin", testPassword)
	mustCreateSite(t, erin, "erin-lab2")
	cred := mustCredentials(t, erin, "erin-lab2")
	sc := ts.client()
	if _, err := sc.LoginClient(t.Context(), cred.ClientID, cred.ClientSecret, false); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name    string
		token   string
		ctype   string
		body    string
		status  int
		mention string
	}{
		{"no token", "", "", `{"username":"x1","password":"password-1"}`, 401, "Not authenticated"},
		{"plain user", erin.Token, "", `{"username":"x1","password":"password-1"}`, 403, "runtime administrators"},
		{"site client", sc.Token, "", `{"username":"x1","password":"password-1"}`, 403, "runtime administrators"},
		{"duplicate", admin.Token, "", `{"username":"erin","password":"password-1"}`, 409, "already taken"},
		{"case look-alike", admin.Token, "", `{"username":"ERIN","password":"password-1"}`, 409, "too similar"},
		{"fullwidth look-alike", admin.Token, "", `{"username":"ｅｒｉｎ","password":"password-1"}`, 422, "NFKC"},
		{"missing username", admin.Token, "", `{"password":"password-1"}`, 422, "username"},
		{"missing username, no password", admin.Token, "", `{"email":"x1@example.org"}`, 422, "username"},
		{"short password", admin.Token, "", `{"username":"x1","password":"short"}`, 422, "at least 8"},
		{"password over 1 KiB", admin.Token, "", `{"username":"x1","password":"` + strings.Repeat("p", 1025) + `"}`, 422, "at most 1024"},
		{"unknown field", admin.Token, "", `{"username":"x1","password":"password-1","site_admins":["a"]}`, 422, "site_admins"},
		{"wrong type", admin.Token, "", `{"username":"x1","password":"password-1","site_admin":"a"}`, 422, "site_admin"},
		{"wrong type bool", admin.Token, "", `{"username":"x1","password":"password-1","disabled":"yes"}`, 422, "disabled"},
		{"number username", admin.Token, "", `{"username":12,"password":"password-1"}`, 422, "username"},
		{"duplicate key", admin.Token, "", `{"username":"x1","username":"x2","password":"password-1"}`, 422, "more than once"},
		{"malformed JSON", admin.Token, "", `{"username":"x1",`, 422, "not valid JSON"},
		{"not an object", admin.Token, "", `["x1"]`, 422, "JSON object"},
		{"empty body", admin.Token, "", ``, 422, "required"},
		{"invalid UTF-8", admin.Token, "", "{\"username\":\"x\xff\",\"password\":\"password-1\"}", 422, "UTF-8"},
		{"control character", admin.Token, "", `{"username":"x\u0000y","password":"password-1"}`, 422, "control"},
		{"leading space", admin.Token, "", `{"username":" x1","password":"password-1"}`, 422, "white space"},
		{"10000-char username", admin.Token, "", `{"username":"` + strings.Repeat("u", 10000) + `","password":"password-1"}`, 422, "at most 255"},
		{"bad email", admin.Token, "", `{"username":"x1","password":"password-1","email":"not an email"}`, 422, "email"},
		{"wrong content type", admin.Token, "text/plain", `{"username":"x1","password":"password-1"}`, 415, "application/json"},
		{"latin1 charset", admin.Token, "application/json; charset=latin1", `{"username":"x1","password":"password-1"}`, 415, "UTF-8"},
		{"body over 1 MiB", admin.Token, "", `{"username":"x1","password":"password-1","full_name":"` + strings.Repeat("n", 1<<20) + `"}`, 413, "larger"},
		{"deep nesting", admin.Token, "", `{"x":` + strings.Repeat("[", 10000) + strings.Repeat("]", 10000) + `}`, 422, "nested too deeply"},
		{"every bad field at once", admin.Token, "", `{"username":123,"password":true,"site_admins":[]}`, 422, "site_admins"},
	}
	before := storeCounts(t, ts)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := jsonHeader(tc.token)
			if tc.ctype != "" {
				h.Set("Content-Type", tc.ctype)
			}
			r := send(t, http.MethodPost, ts.URL+"/users", h, strings.NewReader(tc.body))
			if r.Status != tc.status {
				t.Fatalf("status = %d, want %d: %s", r.Status, tc.status, r.Body)
			}
			if d := r.detail(t); !strings.Contains(d, tc.mention) {
				t.Fatalf("detail %q does not mention %q", d, tc.mention)
			}
			if after := storeCounts(t, ts); after != before {
				t.Fatalf("a refused request changed the store: %v -> %v", before, after)
			}
		})
	}
}

// TestCreateUserValues: optional fields round-trip, JSON null is accepted
// for optional fields, charset=utf-8 is fine, and long passwords in any
// script log in exactly as typed.
func TestCreateUserValues(t *testing.T) {
	ts := startTest(t)
	admin := mustAdmin(t, ts)
	h := jsonHeader(admin.Token)
	h.Set("Content-Type", "application/json; charset=UTF-8")
	r := send(t, http.MethodPost, ts.URL+"/users", h, strings.NewReader(`{"username":"0000-0002-1825-0097","password":"password-1","email":null,"full_name":"Frank Ö","site_admin":["a","b","a"]}`))
	if r.Status != 201 {
		t.Fatalf("status %d: %s", r.Status, r.Body)
	}
	want := `{"username":"0000-0002-1825-0097","email":null,"full_name":"Frank Ö","site_admin":["a","b"],"disabled":false}`
	if strings.TrimSpace(string(r.Body)) != want {
		t.Fatalf("body = %s, want %s", r.Body, want)
	}
	for i, pw := range []string{
		strings.Repeat("пароль ", 12),    // 84 characters, 156 bytes
		strings.Repeat("密码", 40),         // 80 characters, 240 bytes
		strings.Repeat("a", 72) + "tail", // differs from its 72-byte prefix
		"  spaces kept as typed  ",
	} {
		name := fmt.Sprintf("pw%d", i)
		if _, err := admin.CreateUser(t.Context(), client.NewUser{Username: name, Password: pw}); err != nil {
			t.Fatalf("create %s: %v", name, err)
		}
		if _, err := ts.client().Login(t.Context(), name, pw); err != nil {
			t.Fatalf("login %s with its password: %v", name, err)
		}
		for _, wrong := range []string{pw[:len(pw)-1], strings.TrimSpace(pw), pw + "x"} {
			if wrong == pw {
				continue
			}
			if _, err := ts.client().Login(t.Context(), name, wrong); client.StatusOf(err) != 401 {
				t.Fatalf("login %s with a variant of its password: %v", name, err)
			}
		}
	}
}

// TestUsernameRace: concurrent creations of one username: exactly one wins.
func TestUsernameRace(t *testing.T) {
	ts := startTest(t)
	admin := mustAdmin(t, ts)
	codes := race(t, 20, func(i int) error {
		name := "racer"
		if i%2 == 1 {
			name = "RACER" // look-alikes race too
		}
		_, err := admin.CreateUser(t.Context(), client.NewUser{Username: name, Password: testPassword})
		return err
	})
	if codes[201] != 1 || codes[409] != 19 {
		t.Fatalf("status counts = %v, want one 201 and nineteen 409", codes)
	}
}

// race runs n calls at once and counts their statuses (201 for success).
func race(t *testing.T, n int, call func(i int) error) map[int]int {
	t.Helper()
	var mu sync.Mutex
	codes := map[int]int{}
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			err := call(i)
			code := 201
			if err != nil {
				code = client.StatusOf(err)
			}
			mu.Lock()
			codes[code]++
			mu.Unlock()
		}()
	}
	close(start)
	wg.Wait()
	return codes
}

// TestSites covers creation, reading, listing with pages, and credentials.
func TestSites(t *testing.T) {
	ts := startTest(t)
	ctx := t.Context()
	admin := mustAdmin(t, ts)
	mustCreateUser(t, admin, "gina")
	mustCreateUser(t, admin, "hank")
	gina := mustLogin(t, ts, "gina", testPassword)
	hank := mustLogin(t, ts, "hank", testPassword)

	s, err := gina.CreateSite(ctx, client.Site{ID: "Gina_Lab-1.0", CapabilityIDs: []string{"metagenome-annotation-1.0.0"}})
	if err != nil || s.ID != "Gina_Lab-1.0" || !slices.Equal(s.CapabilityIDs, []string{"metagenome-annotation-1.0.0"}) {
		t.Fatalf("create = %+v, %v", s, err)
	}
	if got, err := hank.GetSite(ctx, "Gina_Lab-1.0"); err != nil || got.ID != s.ID {
		t.Fatalf("get = %+v, %v", got, err)
	}
	if _, err := hank.CreateSite(ctx, client.Site{ID: "Gina_Lab-1.0"}); client.StatusOf(err) != 409 || !strings.Contains(err.Error(), "already exists") {
		t.Fatalf("duplicate site: %v", err)
	}
	if me, _ := hank.Me(ctx); slices.Contains(me.SiteAdmin, "Gina_Lab-1.0") {
		t.Fatal("a refused duplicate made its sender an admin")
	}

	// Credentials: several per site, only for the site's admins.
	c1 := mustCredentials(t, gina, "Gina_Lab-1.0")
	c2 := mustCredentials(t, gina, "Gina_Lab-1.0")
	if c1.ClientID == c2.ClientID || c1.ClientSecret == c2.ClientSecret {
		t.Fatal("two generations returned the same credentials")
	}
	r := send(t, http.MethodPost, ts.URL+"/sites/Gina_Lab-1.0:generateCredentials", bearer(gina.Token), nil)
	if r.Status != 200 || r.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("generate: %d %v", r.Status, r.Header)
	}
	if _, err := hank.GenerateCredentials(ctx, "Gina_Lab-1.0"); client.StatusOf(err) != 403 {
		t.Fatalf("non-admin generate: %v", err)
	}
	if _, err := hank.GenerateCredentials(ctx, "no-such-site"); client.StatusOf(err) != 404 {
		t.Fatalf("generate for a missing site: %v", err)
	}
	sc := ts.client()
	if _, err := sc.LoginClient(ctx, c1.ClientID, c1.ClientSecret, false); err != nil {
		t.Fatal(err)
	}
	if _, err := sc.GenerateCredentials(ctx, "Gina_Lab-1.0"); client.StatusOf(err) != 403 {
		t.Fatalf("a site client generated credentials: %v", err)
	}
	if _, err := sc.CreateSite(ctx, client.Site{ID: "client-made"}); client.StatusOf(err) != 403 {
		t.Fatalf("a site client created a site: %v", err)
	}
	if _, err := ts.client().GetSite(ctx, "nope"); client.StatusOf(err) != 404 {
		t.Fatalf("missing site: %v", err)
	}

	// Listing: sorted by id, in pages, anonymous allowed.
	for i := range 5 {
		mustCreateSite(t, hank, fmt.Sprintf("hank-%d", i))
	}
	var ids []string
	tok := ""
	for {
		page, err := ts.client().ListSites(ctx, 2, tok)
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Resources) > 2 {
			t.Fatalf("page of %d with max_page_size 2", len(page.Resources))
		}
		for _, s := range page.Resources {
			ids = append(ids, s.ID)
		}
		if page.NextPageToken == nil {
			break
		}
		tok = *page.NextPageToken
	}
	want := []string{"Gina_Lab-1.0", "hank-0", "hank-1", "hank-2", "hank-3", "hank-4", "nmdc-runtime-useradmin"}
	if !slices.Equal(ids, want) {
		t.Fatalf("listed %v, want %v", ids, want)
	}
	page, err := ts.client().ListSites(ctx, 0, "")
	if err != nil || len(page.Resources) != 7 || page.NextPageToken != nil {
		t.Fatalf("default page = %+v, %v", page, err)
	}
	for q, mention := range map[string]string{"max_page_size=0": "between 1 and 1000", "max_page_size=abc": "integer", "max_page_size=100000": "between", "page_token=%%%": "query string", "page_token=!!": "page_token"} {
		r := send(t, http.MethodGet, ts.URL+"/sites?"+q, nil, nil)
		if r.Status != 422 && r.Status != 400 {
			t.Errorf("%s: status %d", q, r.Status)
		} else if r.Status == 422 && !strings.Contains(r.detail(t), mention) {
			t.Errorf("%s: detail %q", q, r.detail(t))
		}
	}
}

// TestCreateSiteErrors: invalid ids and bodies are 422 naming the rule,
// and change nothing.
func TestCreateSiteErrors(t *testing.T) {
	ts := startTest(t)
	admin := mustAdmin(t, ts)
	tests := []struct {
		name, body string
		status     int
		mention    string
	}{
		{"slash", `{"id":"a/b"}`, 422, "A-Z a-z 0-9"},
		{"colon", `{"id":"a:b"}`, 422, "A-Z a-z 0-9"},
		{"dot-dot", `{"id":".."}`, 422, "must not start or end with '.'"},
		{"leading dot", `{"id":".hidden"}`, 422, "must not start"},
		{"space", `{"id":"a b"}`, 422, "A-Z"},
		{"unicode", `{"id":"labö"}`, 422, "A-Z"},
		{"101 chars", `{"id":"` + strings.Repeat("a", 101) + `"}`, 422, "1 to 100"},
		{"missing id", `{}`, 422, "field required"},
		{"SQL metacharacters", `{"id":"x'; DROP TABLE sites;--"}`, 422, "A-Z"},
		{"unknown field", `{"id":"ok","capabilities":[]}`, 422, "capabilities"},
		{"capability wrong type", `{"id":"ok","capability_ids":[1]}`, 422, "capability_ids"},
		{"capability empty", `{"id":"ok","capability_ids":[""]}`, 422, "must not be empty"},
	}
	before := storeCounts(t, ts)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := send(t, http.MethodPost, ts.URL+"/sites", jsonHeader(admin.Token), strings.NewReader(tc.body))
			if r.Status != tc.status || !strings.Contains(r.detail(t), tc.mention) {
				t.Fatalf("status %d detail %q, want %d mentioning %q", r.Status, r.detail(t), tc.status, tc.mention)
			}
			if storeCounts(t, ts) != before {
				t.Fatal("a refused request changed the store")
			}
		})
	}
}

// TestSiteRace: concurrent creations of one site id: exactly one wins and
// only the winner becomes its admin.
func TestSiteRace(t *testing.T) {
	ts := startTest(t)
	admin := mustAdmin(t, ts)
	users := make([]*client.Client, 10)
	for i := range users {
		mustCreateUser(t, admin, fmt.Sprintf("u%d", i))
		users[i] = mustLogin(t, ts, fmt.Sprintf("u%d", i), testPassword)
	}
	codes := race(t, len(users), func(i int) error {
		_, err := users[i].CreateSite(t.Context(), client.Site{ID: "contested"})
		return err
	})
	if codes[201] != 1 || codes[409] != len(users)-1 {
		t.Fatalf("status counts = %v", codes)
	}
	admins := 0
	for _, u := range users {
		me, _ := u.Me(t.Context())
		if slices.Contains(me.SiteAdmin, "contested") {
			admins++
		}
	}
	if admins != 1 {
		t.Fatalf("%d users administer the contested site, want 1", admins)
	}
}

// TestHostilePaths: the custom-verb dispatch and path tricks answer 404 or
// 405 in JSON, never 5xx.
func TestHostilePaths(t *testing.T) {
	ts := startTest(t)
	admin := mustAdmin(t, ts)
	mustCreateSite(t, admin, "lab")
	tests := []struct {
		method, path string
		status       int
	}{
		{"POST", "/sites/lab:unknownVerb", 404},
		{"POST", "/sites/lab", 404},
		{"POST", "/sites/:generateCredentials", 404},
		{"POST", "/sites/lab%2F..:generateCredentials", 404},
		{"POST", "/sites/lab%3AgenerateCredentials", 200},
		{"POST", "/sites/..%2F..%2Fetc:generateCredentials", 404},
		{"POST", "/sites/lab:generateCredentials:generateCredentials", 404},
		{"GET", "/sites/lab:generateCredentials", 404},
		{"GET", "/sites/%00", 404},
		{"GET", "/sites/" + strings.Repeat("x", 5000), 404},
		{"DELETE", "/sites/lab", 405},
		{"GET", "/token", 405},
		{"GET", "/nothing-here", 404},
	}
	for _, tc := range tests {
		t.Run(tc.method+" "+tc.path[:min(len(tc.path), 60)], func(t *testing.T) {
			r := send(t, tc.method, ts.URL+tc.path, bearer(admin.Token), nil)
			if r.Status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.Status, tc.status, r.Body)
			}
			if r.Header.Get("Content-Type") != "application/json" {
				t.Fatalf("Content-Type %q", r.Header.Get("Content-Type"))
			}
			_ = r.json(t)
		})
	}
}

// TestSystemEndpoints: health, version and the root redirect.
func TestSystemEndpoints(t *testing.T) {
	ts := startTest(t)
	h, err := ts.client().Health(t.Context())
	if err != nil || !h.WebServer || !h.Database {
		t.Fatalf("health = %+v, %v", h, err)
	}
	if v, err := ts.client().Version(t.Context()); err != nil || v == "" {
		t.Fatalf("version = %q, %v", v, err)
	}
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Get(ts.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusTemporaryRedirect || resp.Header.Get("Location") != "/docs" {
		t.Fatalf("GET / = %d -> %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	// Health answers 503 once the database is gone.
	ts.store.Close()
	r := send(t, http.MethodGet, ts.URL+"/health", nil, nil)
	if r.Status != 503 || r.json(t)["database"] != false {
		t.Fatalf("health with a closed store: %d %s", r.Status, r.Body)
	}
}
