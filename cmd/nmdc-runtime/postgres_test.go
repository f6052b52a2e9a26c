package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/nmdc-runtime/server/postgres/pgtest"
)

const (
	pgAdminUser = "admin"
	pgAdminPass = "admin-password-for-tests"
)

// TestPostgresServers runs whole servers on PostgreSQL: several instances
// sharing one database, and one server living through a database outage.
// Without RUNTIME_TEST_POSTGRES_DSN it skips with one line (fails under CI).
func TestPostgresServers(t *testing.T) {
	base := pgtest.BaseDSN(t)
	t.Run("MultiInstance", func(t *testing.T) { testMultiInstance(t, base) })
	t.Run("Outage", func(t *testing.T) { testOutage(t, base) })
	t.Run("DatabaseDownAtStart", func(t *testing.T) { testDatabaseDownAtStart(t, base) })
}

// testMultiInstance starts two server processes on one fresh database at
// the same moment (so they race to migrate, bootstrap and create the
// signing key) and shows that they act as one service.
func testMultiInstance(t *testing.T, base string) {
	bin := buildServer(t)
	cases := []struct {
		name string
		// jwtKey is JWT_SECRET_KEY for both instances; empty makes each
		// read the key generated once and kept in the database.
		jwtKey string
	}{
		{"signing key generated once in the database", ""},
		{"signing key configured on both", "a-signing-key-shared-by-both-instances"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dsn := pgtest.FreshSchema(t, base)
			env := []string{"API_ADMIN_USER=" + pgAdminUser, "API_ADMIN_PASS=" + pgAdminPass, "NMDC_RUNTIME_LOGIN_MAX_FAILURES=4"}
			if tc.jwtKey != "" {
				env = append(env, "JWT_SECRET_KEY="+tc.jwtKey)
			}
			var one, two *apiUnderTest
			var wg sync.WaitGroup
			wg.Go(func() { one = startServerProcess(t, bin, dsn, env) })
			wg.Go(func() { two = startServerProcess(t, bin, dsn, env) })
			wg.Wait()
			if one == nil || two == nil {
				t.FailNow() // startServerProcess reported why
			}

			// A user created through instance 1 logs in through instance 2.
			admin1 := one.login(t, pgAdminUser, pgAdminPass)
			one.mustDo(t, "POST", "/users", admin1, map[string]any{"username": "carol", "password": "carol-password-1", "site_admin": []string{}}, http.StatusCreated)
			carol2 := two.login(t, "carol", "carol-password-1")

			// Tokens issued by either instance work on the other.
			if me := two.me(t, admin1); me.Username != pgAdminUser {
				t.Errorf("instance 2 took instance 1's admin token as %q", me.Username)
			}
			if me := one.me(t, carol2); me.Username != "carol" {
				t.Errorf("instance 1 took instance 2's token as %q", me.Username)
			}

			// A site created on 2 is listed on 1, and its id is taken on 1.
			two.mustDo(t, "POST", "/sites", carol2, map[string]any{"id": "carol-lab"}, http.StatusCreated)
			one.mustDo(t, "GET", "/sites/carol-lab", "", nil, http.StatusOK)
			if ids := one.siteIDs(t); !slices.Contains(ids, "carol-lab") {
				t.Errorf("instance 1 lists %q, without carol-lab", ids)
			}
			one.mustDo(t, "POST", "/sites", admin1, map[string]any{"id": "carol-lab"}, http.StatusConflict)

			// 200 concurrent creations spread over both: all distinct, no
			// error, none lost, and every creator grant kept.
			const n = 200
			want := []string{"carol-lab"}
			statuses := make([]string, n)
			var load sync.WaitGroup
			for i := range n {
				id := fmt.Sprintf("load-%03d", i)
				want = append(want, id)
				inst := []*apiUnderTest{one, two}[i%2]
				load.Go(func() {
					status, body, err := inst.do(context.Background(), "POST", "/sites", carol2, map[string]any{"id": id})
					if err != nil || status != http.StatusCreated {
						statuses[i] = fmt.Sprintf("%s on %s: status %d, %v, %s", id, inst.url, status, err, body)
					}
				})
			}
			load.Wait()
			for _, s := range statuses {
				if s != "" {
					t.Error(s)
				}
			}
			for _, inst := range []*apiUnderTest{one, two} {
				ids := inst.siteIDs(t)
				for _, id := range want {
					if !slices.Contains(ids, id) {
						t.Errorf("%s does not list site %q", inst.url, id)
					}
				}
				if len(ids) != len(want)+1 { // and nmdc-runtime-useradmin
					t.Errorf("%s lists %d sites, want %d", inst.url, len(ids), len(want)+1)
				}
			}
			// Instance one caches carol's grants for --auth-cache-ttl (1s):
			// the sites created through instance two show within that bound.
			var admins []string
			for deadline := time.Now().Add(3 * time.Second); ; time.Sleep(50 * time.Millisecond) {
				admins = one.me(t, carol2).SiteAdmin
				slices.Sort(admins)
				if slices.Equal(admins, want) || time.Now().After(deadline) {
					break
				}
			}
			if !slices.Equal(admins, want) {
				t.Errorf("carol administers %d sites, want the %d she created", len(admins), len(want))
			}

			// A token revoked on one instance is refused by the other at
			// once; logout likewise.
			carolA, carolB := one.login(t, "carol", "carol-password-1"), one.login(t, "carol", "carol-password-1")
			two.mustDo(t, "GET", "/users/me", carolA, nil, http.StatusOK)
			one.mustDo(t, "POST", "/token/revoke", "", url.Values{"token": {carolA}}, http.StatusOK)
			two.mustDo(t, "GET", "/users/me", carolA, nil, http.StatusUnauthorized)
			two.mustDo(t, "POST", "/logout", carolB, nil, http.StatusNoContent)
			one.mustDo(t, "GET", "/users/me", carolB, nil, http.StatusUnauthorized)

			// Failed logins count across instances: four failures spread
			// over both lock carol out of both.
			for i := range 4 {
				[]*apiUnderTest{one, two}[i%2].mustDo(t, "POST", "/token", "", url.Values{"grant_type": {"password"}, "username": {"carol"}, "password": {"wrong-password"}}, http.StatusUnauthorized)
			}
			for _, inst := range []*apiUnderTest{one, two} {
				inst.mustDo(t, "POST", "/token", "", url.Values{"grant_type": {"password"}, "username": {"carol"}, "password": {"carol-password-1"}}, http.StatusTooManyRequests)
			}
			// Both instances wrote to one audit log.
			out := one.mustDo(t, "GET", "/admin/audit?action=login.failed", admin1, nil, http.StatusOK)
			var audit struct {
				Resources []struct{ Target string } `json:"resources"`
			}
			if err := json.Unmarshal(out, &audit); err != nil || len(audit.Resources) != 4 {
				t.Errorf("audit log of failed logins: %s, %v", out, err)
			}
		})
	}
}

// testOutage shows a running server answering 503 with a clear detail,
// quickly, while its database is unreachable, and recovering by itself
// when the database returns.
func testOutage(t *testing.T, base string) {
	proxy, dsn := pgtest.NewProxy(t, pgtest.FreshSchema(t, base))
	api := startInProcess(t, dsn)
	admin := api.login(t, pgAdminUser, pgAdminPass)
	api.mustDo(t, "GET", "/health", "", nil, http.StatusOK)

	proxy.Stop()
	form := url.Values{"grant_type": {"password"}, "username": {pgAdminUser}, "password": {pgAdminPass}}
	cases := []struct {
		name, method, path, token string
		body                      any
		health                    bool
	}{
		{name: "health", method: "GET", path: "/health", health: true},
		{name: "list sites", method: "GET", path: "/sites"},
		{name: "get a site", method: "GET", path: "/sites/" + "nmdc-runtime-useradmin"},
		{name: "who am I (token check reads the user)", method: "GET", path: "/users/me", token: admin},
		{name: "create a site", method: "POST", path: "/sites", token: admin, body: map[string]any{"id": "during-outage"}},
		{name: "log in", method: "POST", path: "/token", body: form},
	}
	for _, tc := range cases {
		t.Run("down/"+tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
			defer cancel()
			start := time.Now()
			status, body, err := api.do(ctx, tc.method, tc.path, tc.token, tc.body)
			if err != nil {
				t.Fatalf("no answer: %v", err)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("answered after %v", d)
			}
			if status != http.StatusServiceUnavailable {
				t.Fatalf("status %d, want 503: %s", status, body)
			}
			if tc.health {
				var h struct {
					WebServer *bool `json:"web_server"`
					Database  *bool `json:"database"`
				}
				if json.Unmarshal(body, &h) != nil || h.WebServer == nil || !*h.WebServer || h.Database == nil || *h.Database {
					t.Errorf("health body %s, want web_server true and database false", body)
				}
				return
			}
			var e struct{ Detail string }
			if err := json.Unmarshal(body, &e); err != nil || e.Detail != "The database is unavailable" {
				t.Errorf("body %s, want detail \"The database is unavailable\"", body)
			}
			for _, leak := range []string{"SQLSTATE", "dial", "127.0.0.1", "pgx", "pgconn", "connect", "search_path"} {
				if strings.Contains(string(body), leak) {
					t.Errorf("body %s shows %q", body, leak)
				}
			}
		})
	}

	proxy.Start()
	t.Run("recovers", func(t *testing.T) {
		deadline := time.Now().Add(15 * time.Second)
		for {
			status, _, err := api.do(t.Context(), "GET", "/health", "", nil)
			if err == nil && status == http.StatusOK {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("health still %d (%v) 15s after the database returned", status, err)
			}
			time.Sleep(100 * time.Millisecond) // polling a real server: no clock to advance
		}
		api.mustDo(t, "GET", "/sites", "", nil, http.StatusOK)
		api.mustDo(t, "POST", "/sites", admin, map[string]any{"id": "after-outage"}, http.StatusCreated)
		if me := api.me(t, api.login(t, pgAdminUser, pgAdminPass)); !slices.Contains(me.SiteAdmin, "after-outage") {
			t.Errorf("site_admin %q lacks after-outage", me.SiteAdmin)
		}
		// Nothing was half-written while the database was away.
		api.mustDo(t, "GET", "/sites/during-outage", "", nil, http.StatusNotFound)
	})
}

// testDatabaseDownAtStart: a server whose database cannot be reached at
// start refuses to start, quickly, saying so.
func testDatabaseDownAtStart(t *testing.T, base string) {
	proxy, dsn := pgtest.NewProxy(t, pgtest.FreshSchema(t, base))
	proxy.Stop()
	start := time.Now()
	_, err := startServer(t.Context(), pgServeConfig(t, dsn), io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "The database is unavailable") {
		t.Errorf("got %v, want an error saying the database is unavailable", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("took %v to give up", d)
	}
}

func pgServeConfig(t *testing.T, dsn string) serveConfig {
	t.Helper()
	vars := map[string]string{"API_ADMIN_USER": pgAdminUser, "API_ADMIN_PASS": pgAdminPass}
	args := []string{"--addr", "127.0.0.1:0", "--database", dsn, "--bcrypt-cost", "4", "--db-max-conns", "4", "--db-statement-timeout", "5s"}
	cfg, err := loadServeConfig(args, func(k string) string { return vars[k] }, flag.NewFlagSet("serve", flag.ContinueOnError),
		func(fs *flag.FlagSet, a []string) error { return parseFlags(fs, a, io.Discard) })
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	return cfg
}

// startInProcess runs a server in this process on dsn.
func startInProcess(t *testing.T, dsn string) *apiUnderTest {
	t.Helper()
	logs := &lockedBuffer{}
	rs, err := startServer(t.Context(), pgServeConfig(t, dsn), io.Discard, logs)
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	t.Cleanup(func() {
		if err := rs.Shutdown(5 * time.Second); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		if t.Failed() {
			t.Logf("server log:\n%s", logs.String())
		}
	})
	return newAPIUnderTest(t, rs.URL)
}

// buildServer builds the nmdc-runtime binary into t's temporary directory.
func buildServer(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "nmdc-runtime")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

var docsURL = regexp.MustCompile(`docs=(http://[^ ]+)/docs`)

// startServerProcess runs "nmdc-runtime serve" on a free port and waits
// for it to log its address. It reports failure with t.Errorf (it may run
// in a goroutine) and then returns nil.
func startServerProcess(t *testing.T, bin, dsn string, env []string) *apiUnderTest {
	home := t.TempDir()
	cmd := exec.Command(bin, "serve", "--addr", "127.0.0.1:0", "--database", dsn, "--bcrypt-cost", "4", "--db-max-conns", "4")
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + home}, env...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Errorf("stderr pipe: %v", err)
		return nil
	}
	if err := cmd.Start(); err != nil {
		t.Errorf("start %s: %v", bin, err)
		return nil
	}
	logs := &lockedBuffer{}
	found := make(chan string, 1)
	exited := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			line := sc.Text()
			logs.WriteString(line + "\n")
			if m := docsURL.FindStringSubmatch(line); m != nil {
				select {
				case found <- m[1]:
				default:
				}
			}
		}
		_ = cmd.Wait()
		close(exited)
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
			t.Errorf("server %d did not stop on SIGTERM within 10s", cmd.Process.Pid)
		}
		if t.Failed() {
			t.Logf("server %d log:\n%s", cmd.Process.Pid, logs.String())
		}
	})
	select {
	case u := <-found:
		return newAPIUnderTest(t, u)
	case <-exited:
		t.Errorf("server exited before serving:\n%s", logs.String())
	case <-time.After(30 * time.Second):
		t.Errorf("server did not log its address within 30s:\n%s", logs.String())
	}
	return nil
}

// apiUnderTest talks to a running server with plain net/http.
type apiUnderTest struct {
	url    string
	client *http.Client
}

// newAPIUnderTest returns a client of the server at u. Its connections
// close when t ends, before the server stops: a graceful shutdown waits up
// to 5s for a connection that was opened but never sent a request.
func newAPIUnderTest(t *testing.T, u string) *apiUnderTest {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 100
	t.Cleanup(tr.CloseIdleConnections)
	return &apiUnderTest{url: u, client: &http.Client{Transport: tr, Timeout: 30 * time.Second}}
}

// do sends body as a form when it is url.Values, else as JSON.
func (a *apiUnderTest) do(ctx context.Context, method, path, token string, body any) (int, []byte, error) {
	var rd io.Reader
	ctype := ""
	switch b := body.(type) {
	case nil:
	case url.Values:
		rd, ctype = strings.NewReader(b.Encode()), "application/x-www-form-urlencoded"
	default:
		j, err := json.Marshal(b)
		if err != nil {
			return 0, nil, err
		}
		rd, ctype = bytes.NewReader(j), "application/json"
	}
	req, err := http.NewRequestWithContext(ctx, method, a.url+path, rd)
	if err != nil {
		return 0, nil, err
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := a.client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	return resp.StatusCode, out, err
}

func (a *apiUnderTest) mustDo(t *testing.T, method, path, token string, body any, want int) []byte {
	t.Helper()
	status, out, err := a.do(t.Context(), method, path, token, body)
	if err != nil {
		t.Fatalf("%s %s on %s: %v", method, path, a.url, err)
	}
	if status != want {
		t.Fatalf("%s %s on %s: status %d, want %d: %s", method, path, a.url, status, want, out)
	}
	return out
}

func (a *apiUnderTest) login(t *testing.T, user, pass string) string {
	t.Helper()
	out := a.mustDo(t, "POST", "/token", "", url.Values{"grant_type": {"password"}, "username": {user}, "password": {pass}}, http.StatusOK)
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal(out, &tok); err != nil || tok.AccessToken == "" {
		t.Fatalf("token response %s: %v", out, err)
	}
	return tok.AccessToken
}

type meOut struct {
	Username  string   `json:"username"`
	SiteAdmin []string `json:"site_admin"`
}

func (a *apiUnderTest) me(t *testing.T, token string) meOut {
	t.Helper()
	var me meOut
	if err := json.Unmarshal(a.mustDo(t, "GET", "/users/me", token, nil, http.StatusOK), &me); err != nil {
		t.Fatal(err)
	}
	return me
}

func (a *apiUnderTest) siteIDs(t *testing.T) []string {
	t.Helper()
	var page struct {
		Resources []struct {
			ID string `json:"id"`
		} `json:"resources"`
		NextPageToken *string `json:"next_page_token"`
	}
	if err := json.Unmarshal(a.mustDo(t, "GET", "/sites?max_page_size=1000", "", nil, http.StatusOK), &page); err != nil {
		t.Fatal(err)
	}
	if page.NextPageToken != nil {
		t.Fatalf("more than 1000 sites on %s", a.url)
	}
	var ids []string
	for _, r := range page.Resources {
		ids = append(ids, r.ID)
	}
	return ids
}

// lockedBuffer collects a server's log from its goroutines.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) WriteString(s string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf.WriteString(s)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
