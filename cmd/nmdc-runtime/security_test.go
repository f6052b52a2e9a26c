package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/nmdc-runtime/server/client"
)

func signTest(t *testing.T, claims jwt.MapClaims) string {
	t.Helper()
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString([]byte(testJWTKey))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func revokeForm(t *testing.T, ts *testServer, tok string) rawResponse {
	t.Helper()
	return postForm(t, ts.URL+"/token/revoke", url.Values{"token": {tok}}, nil)
}

// TestRevocation: POST /token/revoke and POST /logout refuse a token at
// once, leave the holder's other tokens alone, answer 200 for tokens they
// do not know (RFC 7009 §2.2), and cover tokens without a jti.
func TestRevocation(t *testing.T) {
	ts := startTest(t)
	ctx := t.Context()
	admin := mustAdmin(t, ts)
	mustCreateUser(t, admin, "dave")
	mustCreateSite(t, admin, "lab")
	cred := mustCredentials(t, admin, "lab")
	a := mustLogin(t, ts, "dave", testPassword)
	b := mustLogin(t, ts, "dave", testPassword)

	if err := ts.client().Revoke(ctx, a.Token); err != nil {
		t.Fatalf("revoke: %v", err)
	}
	r := send(t, http.MethodGet, ts.URL+"/users/me", bearer(a.Token), nil)
	if r.Status != 401 || !strings.Contains(r.detail(t), "revoked") || r.Header.Get("WWW-Authenticate") == "" {
		t.Fatalf("revoked token: %d %s", r.Status, r.Body)
	}
	if _, err := b.Me(ctx); err != nil {
		t.Fatalf("another token of the same user stopped working: %v", err)
	}
	// Revoking again, or revoking what was never a token, is still 200.
	for name, tok := range map[string]string{"again": a.Token, "garbage": "not-a-token", "foreign key": strings.Repeat("x", 40) + "." + "y.z", "huge": strings.Repeat("a", 100000)} {
		if r := revokeForm(t, ts, tok); r.Status != 200 || r.Header.Get("Cache-Control") != "no-store" {
			t.Fatalf("revoke %s: %d %s", name, r.Status, r.Body)
		}
	}

	// Logout revokes the presented token.
	if err := b.Logout(ctx); err != nil {
		t.Fatalf("logout: %v", err)
	}
	r = send(t, http.MethodGet, ts.URL+"/users/me", bearer(b.Token), nil)
	if b.Token != "" || r.Status != 401 {
		t.Fatalf("after logout the client kept its token or the server accepted it: %d", r.Status)
	}
	if _, err := b.Me(ctx); client.StatusOf(err) != 401 {
		t.Fatalf("me after logout: %v", err)
	}
	if r := send(t, http.MethodPost, ts.URL+"/logout", nil, nil); r.Status != 401 {
		t.Fatalf("anonymous logout: %d", r.Status)
	}

	// A site client's token.
	sc := ts.client()
	if _, err := sc.LoginClient(ctx, cred.ClientID, cred.ClientSecret, true); err != nil {
		t.Fatal(err)
	}
	if err := sc.Revoke(ctx, sc.Token); err != nil {
		t.Fatal(err)
	}
	if _, err := sc.Me(ctx); client.StatusOf(err) != 401 {
		t.Fatalf("revoked client token: %v", err)
	}
	if _, err := sc.LoginClient(ctx, cred.ClientID, cred.ClientSecret, false); err != nil {
		t.Fatalf("the client cannot log in again after a revocation: %v", err)
	}

	// Tokens of the existing deployment (sub and exp, no jti) can be
	// revoked one by one too.
	exp := time.Now().Add(time.Hour).Unix()
	legacy1 := signTest(t, jwt.MapClaims{"sub": "user:dave", "exp": exp})
	legacy2 := signTest(t, jwt.MapClaims{"sub": "user:dave", "exp": exp + 1})
	if r := revokeForm(t, ts, legacy1); r.Status != 200 {
		t.Fatal(r.Status)
	}
	if r := send(t, http.MethodGet, ts.URL+"/users/me", bearer(legacy1), nil); r.Status != 401 {
		t.Fatalf("revoked legacy token: %d", r.Status)
	}
	if r := send(t, http.MethodGet, ts.URL+"/users/me", bearer(legacy2), nil); r.Status != 200 {
		t.Fatalf("another legacy token: %d %s", r.Status, r.Body)
	}
}

// TestRevocationRequestErrors: a malformed revocation request is a 400
// with an OAuth2 error and a detail, and revokes nothing.
func TestRevocationRequestErrors(t *testing.T) {
	ts := startTest(t)
	admin := mustAdmin(t, ts)
	tests := []struct {
		name, query, ctype, body, mention string
		status                            int
	}{
		{name: "no token", body: "token_type_hint=access_token", status: 400, mention: "token is required"},
		{name: "empty body", body: "", status: 400, mention: "token is required"},
		{name: "token repeated", body: "token=" + admin.Token + "&token=x", status: 400, mention: "more than once"},
		{name: "token in query", query: "?token=" + admin.Token, body: "", status: 400, mention: "query string"},
		{name: "JSON body", ctype: "application/json", body: `{"token":"` + admin.Token + `"}`, status: 400, mention: "x-www-form-urlencoded"},
		{name: "malformed form", body: "token=%zz", status: 400, mention: "form"},
		{name: "over 1 MiB", body: "token=" + strings.Repeat("a", 1<<20), status: 413, mention: "larger"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}
			if tc.ctype != "" {
				h.Set("Content-Type", tc.ctype)
			}
			r := send(t, http.MethodPost, ts.URL+"/token/revoke"+tc.query, h, strings.NewReader(tc.body))
			if r.Status != tc.status || r.json(t)["error"] != "invalid_request" || !strings.Contains(r.detail(t), tc.mention) {
				t.Fatalf("%d %s, want %d mentioning %q", r.Status, r.Body, tc.status, tc.mention)
			}
			if _, err := admin.Me(t.Context()); err != nil {
				t.Fatalf("a refused revocation revoked the token: %v", err)
			}
		})
	}
}

// TestRevocationSharedByInstances: two servers on one database; a token
// revoked on one is refused by the other at once. Several processes on one
// SQLite file must turn the auth cache off (README); PostgreSQL instances
// always read the shared deny-list (postgres_test.go).
func TestRevocationSharedByInstances(t *testing.T) {
	ts1 := startTest(t, func(c *serveConfig) { c.AuthCacheTTL = 0 })
	cfg := ts1.cfg
	ts2 := startWith(t, cfg)
	c := mustAdmin(t, ts1)
	c2 := client.New(ts2.URL)
	c2.Token = c.Token
	if _, err := c2.Me(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := c.Logout(t.Context()); err != nil {
		t.Fatal(err)
	}
	if _, err := c2.Me(t.Context()); client.StatusOf(err) != 401 {
		t.Fatalf("the other instance accepted a revoked token: %v", err)
	}
}

// TestRevocationAtOnceWithCache: with the default auth cache on SQLite, a
// token checked a moment ago and then revoked is refused at once.
func TestRevocationAtOnceWithCache(t *testing.T) {
	ts := startTest(t)
	c := mustAdmin(t, ts)
	if _, err := c.Me(t.Context()); err != nil {
		t.Fatal(err)
	}
	tok := c.Token
	if err := c.Logout(t.Context()); err != nil {
		t.Fatal(err)
	}
	c.Token = tok
	if _, err := c.Me(t.Context()); client.StatusOf(err) != 401 {
		t.Fatalf("a revoked token was accepted from the cache: %v", err)
	}
}

// TestTokenCutoff: tokens issued before a user's TokensValidAfter are
// refused, including tokens without iat or jti (issuance taken as exp−TTL).
func TestTokenCutoff(t *testing.T) {
	ts := startTest(t)
	admin := mustAdmin(t, ts)
	mustCreateUser(t, admin, "erin")
	erin := mustLogin(t, ts, "erin", testPassword)
	now := time.Now()
	legacyBefore := signTest(t, jwt.MapClaims{"sub": "user:erin", "exp": now.Add(23 * time.Hour).Unix()})
	u, err := ts.store.GetUser(t.Context(), "erin")
	if err != nil {
		t.Fatal(err)
	}
	u.TokensValidAfter = now.Truncate(time.Second).Add(time.Second) // cut-offs are whole seconds, as revocationCutoff makes them
	if err := ts.store.UpdateUser(t.Context(), u); err != nil {
		t.Fatal(err)
	}
	// Without iat nobody can tell when a token was issued: a long exp
	// must not carry it past the cut-off.
	legacyLong := signTest(t, jwt.MapClaims{"sub": "user:erin", "exp": now.Add(30 * 24 * time.Hour).Unix()})
	fresh := mustLogin(t, ts, "erin", testPassword)
	for name, tc := range map[string]struct {
		tok    string
		status int
	}{
		"token with iat before the cut-off":   {erin.Token, 401},
		"legacy token before the cut-off":     {legacyBefore, 401},
		"legacy token with a far exp":         {legacyLong, 401},
		"token issued here after the cut-off": {fresh.Token, 200},
	} {
		if r := send(t, http.MethodGet, ts.URL+"/users/me", bearer(tc.tok), nil); r.Status != tc.status {
			t.Errorf("%s: %d, want %d: %s", name, r.Status, tc.status, r.Body)
		}
	}
}

func throttled(cfg *serveConfig, clock *testClock, perUser, perAddr int) {
	cfg.LoginMaxFailures = perUser
	cfg.LoginMaxFailuresPerSource = perAddr
	cfg.LoginWindow = 10 * time.Minute
	cfg.clock = clock.Now
}

func login(t *testing.T, ts *testServer, user, pw string, header http.Header) rawResponse {
	t.Helper()
	return postForm(t, ts.URL+"/token", url.Values{"grant_type": {"password"}, "username": {user}, "password": {pw}}, header)
}

// TestLoginThrottling: past the threshold a username gets 429 with
// Retry-After and a detail, even with the right password (which is not
// checked); the lock lasts at most the window; a success resets the count.
func TestLoginThrottling(t *testing.T) {
	clock := &testClock{t: time.Now()}
	ts := startTest(t, func(c *serveConfig) { throttled(c, clock, 3, 1000) })
	admin := mustAdmin(t, ts)
	mustCreateUser(t, admin, "carol")
	mustCreateUser(t, admin, "frank")

	// A success between failures resets the username's count.
	for range 3 {
		for range 2 {
			if r := login(t, ts, "frank", "wrong-password", nil); r.Status != 401 {
				t.Fatalf("wrong password: %d", r.Status)
			}
		}
		if r := login(t, ts, "frank", testPassword, nil); r.Status != 200 {
			t.Fatalf("a success after 2 failures: %d %s", r.Status, r.Body)
		}
	}

	for i := range 3 {
		if r := login(t, ts, "carol", "wrong-password", nil); r.Status != 401 {
			t.Fatalf("failure %d: %d %s", i+1, r.Status, r.Body)
		}
	}
	clock.Advance(time.Minute)
	r := login(t, ts, "carol", testPassword, nil)
	if r.Status != 429 {
		t.Fatalf("after 3 failures the right password got %d, want 429: %s", r.Status, r.Body)
	}
	ra, err := strconv.Atoi(r.Header.Get("Retry-After"))
	if err != nil || ra < 1 || ra > 9*60 {
		t.Fatalf("Retry-After = %q, want about 9 minutes", r.Header.Get("Retry-After"))
	}
	if d := r.detail(t); !strings.Contains(d, "Too many failed logins") || r.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("429 detail %q", d)
	}
	if m := r.json(t); m["error"] != "temporarily_unavailable" || m["error_description"] != m["detail"] {
		t.Fatalf("429 body %s: want an OAuth2 error code too", r.Body)
	}
	if _, ok := r.json(t)["access_token"]; ok {
		t.Fatal("a throttled response carries a token")
	}
	// Another user is not affected; refused attempts do not extend the lock.
	if r := login(t, ts, "frank", testPassword, nil); r.Status != 200 {
		t.Fatalf("another user: %d", r.Status)
	}
	for range 5 {
		clock.Advance(time.Minute)
		if r := login(t, ts, "carol", testPassword, nil); r.Status != 429 {
			t.Fatalf("during the window: %d", r.Status)
		}
	}
	clock.Advance(4*time.Minute + time.Second) // 10 minutes after the first failure
	if r := login(t, ts, "carol", testPassword, nil); r.Status != 200 {
		t.Fatalf("after the window the real user is still locked out: %d %s", r.Status, r.Body)
	}

	// Unknown usernames are counted and throttled the same way.
	for range 3 {
		login(t, ts, "nobody", "whatever-pw", nil)
	}
	if r := login(t, ts, "nobody", "whatever-pw", nil); r.Status != 429 {
		t.Fatalf("unknown user: %d", r.Status)
	}

	// The audit log says so.
	page, err := admin.ListAudit(t.Context(), "", "login.throttled", 100, "")
	if err != nil {
		t.Fatal(err)
	}
	targets := []string{}
	for _, e := range page.Resources {
		targets = append(targets, e.Target)
	}
	if !slices.Contains(targets, "user:carol") || !slices.Contains(targets, "user:nobody") {
		t.Fatalf("throttling events: %+v", page.Resources)
	}
}

// TestClientLoginThrottling: client credentials are throttled per client_id,
// whether sent as form fields or HTTP Basic.
func TestClientLoginThrottling(t *testing.T) {
	clock := &testClock{t: time.Now()}
	ts := startTest(t, func(c *serveConfig) { throttled(c, clock, 2, 1000) })
	admin := mustAdmin(t, ts)
	mustCreateSite(t, admin, "lab")
	cred := mustCredentials(t, admin, "lab")
	chosen := mustCredentials(t, admin, "lab")
	// A user-chosen secret is stored with bcrypt and can be guessed.
	r := send(t, http.MethodPatch, ts.URL+"/admin/site_clients/"+chosen.ClientID, jsonHeader(admin.Token), strings.NewReader(`{"secret":"chosen-secret-1"}`))
	if r.Status != 200 {
		t.Fatalf("set a chosen secret: %d %s", r.Status, r.Body)
	}
	sc := ts.client()
	for _, id := range []string{cred.ClientID, chosen.ClientID} {
		for i, basic := range []bool{false, true} {
			if _, err := sc.LoginClient(t.Context(), id, "wrong", basic); client.StatusOf(err) != 401 {
				t.Fatalf("%s failure %d: %v", id, i+1, err)
			}
		}
		if _, err := sc.LoginClient(t.Context(), id, "wrong", false); client.StatusOf(err) != 429 {
			t.Fatalf("%s third failure: %v", id, err)
		}
	}
	// The chosen secret is locked like a password, without being checked.
	_, err := sc.LoginClient(t.Context(), chosen.ClientID, "chosen-secret-1", true)
	var ce *client.Error
	if !errorsAs(err, &ce) || ce.Status != 429 || ce.Header.Get("Retry-After") == "" {
		t.Fatalf("chosen secret while throttled: %v", err)
	}
	// A generated secret cannot be guessed, so others' failures cannot
	// lock its client out: automation keeps logging in.
	if _, err := sc.LoginClient(t.Context(), cred.ClientID, cred.ClientSecret, true); err != nil {
		t.Fatalf("generated secret after others' failures: %v", err)
	}
	clock.Advance(10 * time.Minute)
	if _, err := sc.LoginClient(t.Context(), chosen.ClientID, "chosen-secret-1", false); err != nil {
		t.Fatalf("after the window: %v", err)
	}
}

// TestLoginThrottlingPerAddress: failures for many usernames from one
// address throttle that address; X-Forwarded-For is believed only from a
// configured trusted proxy.
func TestLoginThrottlingPerAddress(t *testing.T) {
	t.Run("direct", func(t *testing.T) {
		clock := &testClock{t: time.Now()}
		ts := startTest(t, func(c *serveConfig) { throttled(c, clock, 100, 4) })
		admin := mustAdmin(t, ts) // a success costs the address nothing
		mustCreateUser(t, admin, "gina")
		for i := range 4 {
			// A forged X-Forwarded-For does not escape the count.
			h := http.Header{"X-Forwarded-For": {"203.0.113." + strconv.Itoa(i)}}
			if r := login(t, ts, "user"+strconv.Itoa(i), "wrong-password", h); r.Status != 401 {
				t.Fatalf("failure %d: %d", i, r.Status)
			}
		}
		if r := login(t, ts, "gina", testPassword, http.Header{"X-Forwarded-For": {"198.51.100.7"}}); r.Status != 429 {
			t.Fatalf("fifth attempt from one address: %d %s", r.Status, r.Body)
		}
		clock.Advance(10 * time.Minute)
		if r := login(t, ts, "gina", testPassword, nil); r.Status != 200 {
			t.Fatalf("after the window: %d", r.Status)
		}
	})
	t.Run("behind a trusted proxy", func(t *testing.T) {
		clock := &testClock{t: time.Now()}
		ts := startTest(t, func(c *serveConfig) {
			throttled(c, clock, 100, 2)
			c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}
		})
		admin := mustAdmin(t, ts)
		mustCreateUser(t, admin, "gina")
		attacker := http.Header{"X-Forwarded-For": {"198.51.100.66"}}
		for range 2 {
			login(t, ts, "victim", "wrong-password", attacker)
		}
		if r := login(t, ts, "someone", "wrong-password", attacker); r.Status != 429 {
			t.Fatalf("attacker's third attempt: %d", r.Status)
		}
		// A client can prepend anything; the proxy appends the real peer.
		if r := login(t, ts, "gina", testPassword, http.Header{"X-Forwarded-For": {"198.51.100.66, 192.0.2.10"}}); r.Status != 200 {
			t.Fatalf("another client behind the proxy: %d %s", r.Status, r.Body)
		}
		page, err := admin.ListAudit(t.Context(), "", "login.failed", 10, "")
		if err != nil || len(page.Resources) == 0 || page.Resources[0].SourceAddr != "198.51.100.66" {
			t.Fatalf("audit source address: %+v %v", page.Resources, err)
		}
	})
}

// TestAuditLog: each security-relevant act leaves an event with time,
// actor, target and source address, and never a secret; runtime admins
// read them newest first, in pages, filtered by actor and action.
func TestAuditLog(t *testing.T) {
	ts := startTest(t)
	ctx := t.Context()
	admin := mustAdmin(t, ts)
	mustCreateUser(t, admin, "hank")
	hank := mustLogin(t, ts, "hank", testPassword)
	mustCreateSite(t, hank, "hank-lab")
	cred := mustCredentials(t, hank, "hank-lab")
	sc := ts.client()
	if _, err := sc.LoginClient(ctx, cred.ClientID, cred.ClientSecret, true); err != nil {
		t.Fatal(err)
	}
	login(t, ts, "hank", "wrong-password-1", nil)
	if err := hank.Logout(ctx); err != nil {
		t.Fatal(err)
	}

	var all []client.AuditEvent
	tok := ""
	for {
		page, err := admin.ListAudit(ctx, "", "", 2, tok)
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Resources) > 2 {
			t.Fatalf("page of %d", len(page.Resources))
		}
		all = append(all, page.Resources...)
		if page.NextPageToken == nil {
			break
		}
		tok = *page.NextPageToken
	}
	type key struct{ actor, action, target string }
	want := []key{
		{"system:bootstrap", "user.created", "user:admin"},
		{"user:admin", "login.succeeded", "user:admin"},
		{"user:admin", "user.created", "user:hank"},
		{"user:hank", "login.succeeded", "user:hank"},
		{"user:hank", "site.created", "site:hank-lab"},
		{"user:hank", "credentials.generated", "client:" + cred.ClientID},
		{"client:" + cred.ClientID, "login.succeeded", "client:" + cred.ClientID},
		{"anonymous", "login.failed", "user:hank"},
		{"user:hank", "token.revoked", "user:hank"},
	}
	var got []key
	for i, e := range all {
		got = append(got, key{e.Actor, e.Action, e.Target})
		if i > 0 && e.ID >= all[i-1].ID {
			t.Errorf("events not newest first: %s after %s", e.ID, all[i-1].ID)
		}
		if e.Actor == "system:bootstrap" {
			continue // the first start: no request, no source
		}
		if e.SourceAddr != "127.0.0.1" || e.Time.IsZero() || time.Since(e.Time) > time.Minute {
			t.Errorf("event lacks source or time: %+v", e)
		}
	}
	slices.Reverse(got)
	if !slices.Equal(got, want) {
		t.Fatalf("events (oldest first):\n got %v\nwant %v", got, want)
	}
	body, _ := json.Marshal(all)
	for name, secret := range map[string]string{"password": testPassword, "admin password": testAdminPW, "wrong password": "wrong-password-1", "client secret": cred.ClientSecret, "token": admin.Token, "signature": strings.Split(admin.Token, ".")[2]} {
		if strings.Contains(string(body), secret) {
			t.Errorf("the audit log holds the %s", name)
		}
	}

	// Filters.
	page, err := admin.ListAudit(ctx, "user:hank", "", 100, "")
	if err != nil || len(page.Resources) != 4 {
		t.Fatalf("actor filter: %d events, %v", len(page.Resources), err)
	}
	page, err = admin.ListAudit(ctx, "", "login.succeeded", 100, "")
	if err != nil || len(page.Resources) != 3 {
		t.Fatalf("action filter: %d events, %v", len(page.Resources), err)
	}
	page, err = admin.ListAudit(ctx, "user:hank", "site.created", 100, "")
	if err != nil || len(page.Resources) != 1 || page.Resources[0].Target != "site:hank-lab" {
		t.Fatalf("both filters: %+v, %v", page.Resources, err)
	}

	// Only runtime admins.
	hank2 := mustLogin(t, ts, "hank", testPassword)
	for name, c := range map[string]*client.Client{"plain user": hank2, "site client": sc, "anonymous": ts.client()} {
		_, err := c.ListAudit(ctx, "", "", 0, "")
		want := 403
		if name == "anonymous" {
			want = 401
		}
		if client.StatusOf(err) != want {
			t.Errorf("%s: %v, want %d", name, err, want)
		}
	}
	for q, status := range map[string]int{"page_token=!!": 422, "max_page_size=0": 422, "actor=%ff": 422, "page_token=%zz": 422} {
		if r := send(t, http.MethodGet, ts.URL+"/admin/audit?"+q, bearer(admin.Token), nil); r.Status != status {
			t.Errorf("%s: %d %s", q, r.Status, r.Body)
		}
	}
}

// TestCORS: no origin is allowed by default; configured origins get
// preflights answered and their origin echoed; credentials are never
// allowed, so "*" never meets them.
func TestCORS(t *testing.T) {
	preflight := func(t *testing.T, ts *testServer, origin string) rawResponse {
		return send(t, http.MethodOptions, ts.URL+"/users/me", http.Header{"Origin": {origin}, "Access-Control-Request-Method": {"GET"}, "Access-Control-Request-Headers": {"authorization"}}, nil)
	}
	t.Run("none by default", func(t *testing.T) {
		ts := startTest(t)
		r := send(t, http.MethodGet, ts.URL+"/health", http.Header{"Origin": {"https://evil.example"}}, nil)
		if r.Status != 200 || r.Header.Get("Access-Control-Allow-Origin") != "" {
			t.Fatalf("%d %v", r.Status, r.Header)
		}
		if r := preflight(t, ts, "https://evil.example"); r.Status != 403 || r.Header.Get("Access-Control-Allow-Origin") != "" || r.detail(t) == "" {
			t.Fatalf("preflight: %d %v", r.Status, r.Header)
		}
	})
	t.Run("allow-list", func(t *testing.T) {
		ts := startTest(t, func(c *serveConfig) { c.CORSOrigins = []string{"https://app.example.org"} })
		r := preflight(t, ts, "https://app.example.org")
		if r.Status != 204 || r.Header.Get("Access-Control-Allow-Origin") != "https://app.example.org" ||
			!strings.Contains(r.Header.Get("Access-Control-Allow-Headers"), "Authorization") || r.Header.Get("Access-Control-Allow-Credentials") != "" {
			t.Fatalf("preflight: %d %v", r.Status, r.Header)
		}
		admin := mustAdmin(t, ts)
		h := bearer(admin.Token)
		h.Set("Origin", "https://app.example.org")
		r = send(t, http.MethodGet, ts.URL+"/users/me", h, nil)
		if r.Status != 200 || r.Header.Get("Access-Control-Allow-Origin") != "https://app.example.org" || !slices.Contains(r.Header.Values("Vary"), "Origin") {
			t.Fatalf("%d %v", r.Status, r.Header)
		}
		for _, o := range []string{"https://app.example.org.evil.example", "http://app.example.org", "null"} {
			if r := preflight(t, ts, o); r.Status != 403 || r.Header.Get("Access-Control-Allow-Origin") != "" {
				t.Fatalf("origin %s: %d %v", o, r.Status, r.Header)
			}
		}
	})
	t.Run("any origin, never with credentials", func(t *testing.T) {
		ts := startTest(t, func(c *serveConfig) { c.CORSOrigins = []string{"*"} })
		r := preflight(t, ts, "https://any.example")
		if r.Status != 204 || r.Header.Get("Access-Control-Allow-Origin") != "*" || r.Header.Get("Access-Control-Allow-Credentials") != "" {
			t.Fatalf("%d %v", r.Status, r.Header)
		}
	})
}

// TestSecurityConfig: the new settings have flags with env twins, flags
// win, and bad values are reported together.
func TestSecurityConfig(t *testing.T) {
	c, err := loadForTest(nil, map[string]string{"HOME": "/h"})
	if err != nil || c.LoginMaxFailures != 10 || c.LoginMaxFailuresPerSource != 100 || c.LoginWindow != 15*time.Minute || c.CORSOrigins != nil || c.TrustedProxies != nil {
		t.Fatalf("defaults = %+v, %v", c, err)
	}
	env := map[string]string{
		"NMDC_RUNTIME_LOGIN_MAX_FAILURES": "5", "NMDC_RUNTIME_LOGIN_MAX_FAILURES_PER_ADDRESS": "50", "NMDC_RUNTIME_LOGIN_WINDOW": "5m",
		"NMDC_RUNTIME_CORS_ORIGINS": "https://a.example, http://localhost:3000/", "NMDC_RUNTIME_TRUSTED_PROXIES": "10.0.0.0/8, 192.0.2.1",
	}
	c, err = loadForTest([]string{"--login-max-failures", "7", "--login-window", "1h"}, env)
	if err != nil {
		t.Fatal(err)
	}
	if c.LoginMaxFailures != 7 || c.LoginMaxFailuresPerSource != 50 || c.LoginWindow != time.Hour ||
		!slices.Equal(c.CORSOrigins, []string{"https://a.example", "http://localhost:3000"}) ||
		!slices.Equal(c.TrustedProxies, []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("192.0.2.1/32")}) {
		t.Fatalf("config = %+v", c)
	}
	_, err = loadForTest([]string{"--login-max-failures", "0", "--login-window", "forever", "--cors-origins", "app.example.org", "--trusted-proxies", "proxy.local", "--login-max-failures-per-address", "-1"}, nil)
	for _, want := range []string{"login max failures", "login window", "CORS origin", "trusted proxy", "per address"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v does not mention %q", err, want)
		}
	}
}

// TestAuditLifecycle: the account and credential lifecycle leaves audit
// events (updates, disabling and enabling, password changes and resets,
// site admins, client rotation, secret setting and deletion, allowances,
// opened share links), none holding a secret.
func TestAuditLifecycle(t *testing.T) {
	ts := startTest(t)
	admin := mustAdmin(t, ts)
	mustCreateUser(t, admin, "kim")
	mustCreateUser(t, admin, "lee")
	kim := mustLogin(t, ts, "kim", testPassword)
	mustCreateSite(t, kim, "kim-lab")
	c1, c2 := mustCredentials(t, kim, "kim-lab"), mustCredentials(t, kim, "kim-lab")
	do := func(c *client.Client, method, path, body string, want int) rawResponse {
		t.Helper()
		h := bearer(c.Token)
		var rd *strings.Reader
		if body != "" {
			h = jsonHeader(c.Token)
			rd = strings.NewReader(body)
		} else {
			rd = strings.NewReader("")
		}
		r := send(t, method, ts.URL+path, h, rd)
		if r.Status != want {
			t.Fatalf("%s %s: %d %s, want %d", method, path, r.Status, r.Body, want)
		}
		return r
	}
	secrets := map[string]string{"set password": "a-password-set-by-admin", "chosen secret": "a-secret-chosen-by-admin", "new password": "kims-brand-new-password"}
	do(admin, "PUT", "/users", `{"username":"lee","full_name":"Lee","disabled":true}`, 200)
	do(admin, "PUT", "/users", `{"username":"lee","disabled":false,"password":"`+secrets["set password"]+`"}`, 200)
	reset := do(admin, "POST", "/users/lee:resetPassword", "", 200)
	shareURL, _ := reset.json(t)["share_url"].(string)
	if shareURL == "" {
		t.Fatalf("reset: %s", reset.Body)
	}
	secrets["share link"] = shareURL[strings.LastIndex(shareURL, "/")+1:]
	opened := send(t, "GET", shareURL, nil, nil)
	secrets["shared password"], _ = opened.json(t)["password"].(string)
	changed := do(kim, "POST", "/users/me:changePassword", `{"current_password":"`+testPassword+`","new_password":"`+secrets["new password"]+`"}`, 200)
	kim.Token, _ = changed.json(t)["access_token"].(string)
	do(kim, "POST", "/sites/kim-lab/admins", `{"username":"lee"}`, 201)
	do(kim, "DELETE", "/sites/kim-lab/admins/lee", "", 204)
	rotated := do(kim, "POST", "/sites/kim-lab/clients/"+c1.ClientID+":rotateSecret", "", 200)
	secrets["rotated secret"], _ = rotated.json(t)["client_secret"].(string)
	do(admin, "PATCH", "/admin/site_clients/"+c2.ClientID, `{"secret":"`+secrets["chosen secret"]+`"}`, 200)
	do(kim, "DELETE", "/sites/kim-lab/clients/"+c2.ClientID, "", 204)
	do(admin, "POST", "/admin/allowances", `{"username":"lee","action":"/wf_file_staging"}`, 201)
	do(admin, "DELETE", "/admin/allowances?username=lee&action=%2Fwf_file_staging", "", 204)

	page, err := admin.ListAudit(t.Context(), "", "", 1000, "")
	if err != nil {
		t.Fatal(err)
	}
	type key struct{ actor, action, target string }
	var got []key
	for _, e := range page.Resources {
		got = append(got, key{e.Actor, e.Action, e.Target})
	}
	for _, want := range []key{
		{"user:admin", "user.updated", "user:lee"},
		{"user:admin", "user.disabled", "user:lee"},
		{"user:admin", "user.enabled", "user:lee"},
		{"user:admin", "user.password_changed", "user:lee"},
		{"anonymous", "share.opened", "user:lee"},
		{"user:kim", "user.password_changed", "user:kim"},
		{"user:kim", "site.admin_added", "user:lee"},
		{"user:kim", "site.admin_removed", "user:lee"},
		{"user:kim", "credentials.rotated", "client:" + c1.ClientID},
		{"user:admin", "credentials.rotated", "client:" + c2.ClientID},
		{"user:kim", "credentials.revoked", "client:" + c2.ClientID},
		{"user:admin", "allowance.granted", "user:lee"},
		{"user:admin", "allowance.revoked", "user:lee"},
	} {
		if !slices.Contains(got, want) {
			t.Errorf("no audit event %+v", want)
		}
	}
	body, _ := json.Marshal(page)
	logs := ts.logs.String()
	for name, secret := range secrets {
		if secret == "" {
			t.Errorf("the test did not capture the %s", name)
			continue
		}
		if strings.Contains(string(body), secret) || strings.Contains(logs, secret) {
			t.Errorf("the audit log or the log holds the %s", name)
		}
	}
}

// TestCLILogoutRevokes: "nmdc-runtime logout" revokes the saved token on
// the server, so a copy of it stops working, then forgets it.
func TestCLILogoutRevokes(t *testing.T) {
	ts := startTest(t)
	e := newCLIEnv(t, ts)
	e.ok(testAdminPW+"\n", "login", testAdmin)
	files := e.tokenFiles()
	if len(files) != 1 {
		t.Fatalf("token files: %v", files)
	}
	b, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	var saved savedToken
	if err := json.Unmarshal(b, &saved); err != nil {
		t.Fatal(err)
	}
	if r := send(t, "GET", ts.URL+"/users/me", bearer(saved.AccessToken), nil); r.Status != 200 {
		t.Fatalf("saved token before logout: %d", r.Status)
	}
	var out struct {
		LoggedOut bool `json:"logged_out"`
		Revoked   bool `json:"revoked"`
	}
	e.okJSON(&out, "", "logout", "--json")
	if !out.LoggedOut || !out.Revoked {
		t.Fatalf("logout --json = %+v", out)
	}
	if r := send(t, "GET", ts.URL+"/users/me", bearer(saved.AccessToken), nil); r.Status != 401 || !strings.Contains(r.detail(t), "revoked") {
		t.Fatalf("a copy of the token after logout: %d %s", r.Status, r.Body)
	}
}

// TestClientLoginAuditCoalesced: successful site-client logins are recorded
// at most once a minute per client, the next record counting the logins
// in between; failures are recorded one by one.
func TestClientLoginAuditCoalesced(t *testing.T) {
	clock := &testClock{t: time.Now()}
	ts := startTest(t, func(c *serveConfig) { throttled(c, clock, 100, 1000) })
	admin := mustAdmin(t, ts)
	mustCreateSite(t, admin, "lab")
	cred := mustCredentials(t, admin, "lab")
	sc := ts.client()
	records := func() []string {
		t.Helper()
		l, err := admin.ListAudit(t.Context(), "client:"+cred.ClientID, "login.succeeded", 100, "")
		if err != nil {
			t.Fatal(err)
		}
		var d []string
		for _, e := range l.Resources {
			d = append(d, e.Detail)
		}
		return d
	}
	for range 3 {
		if _, err := sc.LoginClient(t.Context(), cred.ClientID, cred.ClientSecret, false); err != nil {
			t.Fatal(err)
		}
	}
	if got := records(); len(got) != 1 {
		t.Fatalf("after 3 logins in a minute: %q, want one record", got)
	}
	clock.Advance(time.Minute)
	if _, err := sc.LoginClient(t.Context(), cred.ClientID, cred.ClientSecret, true); err != nil {
		t.Fatal(err)
	}
	got := records()
	if len(got) != 2 || !strings.Contains(got[0], "2 more logins") {
		t.Fatalf("after a minute: %q, want a second record counting 2 more logins", got)
	}
	if _, err := sc.LoginClient(t.Context(), cred.ClientID, "wrong", false); client.StatusOf(err) != 401 {
		t.Fatal(err)
	}
	l, err := admin.ListAudit(t.Context(), "", "login.failed", 100, "")
	if err != nil || len(l.Resources) != 1 {
		t.Fatalf("failed login records: %+v %v", l, err)
	}
}

// TestChangePasswordThrottled: wrong current passwords on change password
// count as failed logins, so a stolen token cannot guess the password.
func TestChangePasswordThrottled(t *testing.T) {
	clock := &testClock{t: time.Now()}
	ts := startTest(t, func(c *serveConfig) { throttled(c, clock, 3, 1000) })
	admin := mustAdmin(t, ts)
	mustCreateUser(t, admin, "gus")
	gus := mustLogin(t, ts, "gus", testPassword)
	try := func(current string) int {
		return send(t, http.MethodPost, ts.URL+"/users/me:changePassword", jsonHeader(gus.Token), strings.NewReader(`{"current_password":"`+current+`","new_password":"new-password-9"}`)).Status
	}
	for i := range 3 {
		if got := try(fmt.Sprintf("guess-%d-xx", i)); got != 403 {
			t.Fatalf("guess %d: %d", i, got)
		}
	}
	if got := try(testPassword); got != 429 {
		t.Fatalf("the right password after 3 wrong ones: %d, want 429", got)
	}
	l, err := admin.ListAudit(t.Context(), "", "login.failed", 100, "")
	if err != nil || len(l.Resources) != 3 {
		t.Fatalf("failed guesses in the audit log: %d %v", len(l.Resources), err)
	}
	clock.Advance(11 * time.Minute)
	if got := try(testPassword); got != 200 {
		t.Fatalf("after the window: %d", got)
	}
}

// TestConcurrentCorrectLoginsNotThrottled: only failures count, so many
// parallel logins of one account (a workflow starting its workers) all
// succeed even past the failure limit.
func TestConcurrentCorrectLoginsNotThrottled(t *testing.T) {
	clock := &testClock{t: time.Now()}
	ts := startTest(t, func(c *serveConfig) { throttled(c, clock, 3, 3) })
	admin := mustAdmin(t, ts)
	mustCreateUser(t, admin, "hal")
	codes := race(t, 20, func(int) error {
		_, err := ts.client().Login(t.Context(), "hal", testPassword)
		return err
	})
	if codes[201] != 20 {
		t.Fatalf("statuses %v, want every login to succeed", codes)
	}
}
