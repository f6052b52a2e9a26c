package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/nmdc-runtime/server/auth"
	"github.com/nmdc-runtime/server/domain"
)

const defaultDuration = 3 * time.Second

type options struct {
	duration    time.Duration
	maxRequests int
	concurrency string
	bcryptCost  int
	postgres    string
	large       bool
	scenarios   string
	serverFlags string
}

const (
	benchKey      = "bench-signing-key-0123456789abcdef"
	benchPassword = "bench-password-1"
	benchSecret   = "bench-client-secret-0123456789abcdefghijklmno"
)

// row is one line of the report.
type row struct {
	backend, scenario string
	conc              int
	res               result
	base              float64 // the figure the ratio is against
	baseName          string
}

// validate reports a bad flag before anything is built or started.
func (o options) validate() error {
	if _, err := parseLevels(o.concurrency); err != nil {
		return err
	}
	for _, sc := range strings.Split(o.scenarios, ",") {
		if sc = strings.TrimSpace(sc); len(sc) != 1 || sc[0] < 'a' || sc[0] > 'e' {
			return fmt.Errorf("scenario %q: want letters a to e, comma-separated", sc)
		}
	}
	switch {
	case o.duration <= 0:
		return fmt.Errorf("duration %s: must be positive", o.duration)
	case o.maxRequests < 1:
		return fmt.Errorf("max-requests %d: must be at least 1", o.maxRequests)
	case o.bcryptCost < 4 || o.bcryptCost > 31:
		return fmt.Errorf("bcrypt-cost %d: must be from 4 to 31", o.bcryptCost)
	}
	return nil
}

func run(ctx context.Context, o options) error {
	levels, err := parseLevels(o.concurrency)
	if err != nil {
		return err
	}
	if o.postgres != "" {
		// Fail before the SQLite run rather than after it.
		store, err := openStore(ctx, o.postgres)
		if err != nil {
			return fmt.Errorf("postgres: %w", err)
		}
		store.Close()
	}
	tmp, err := os.MkdirTemp("", "nmdc-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	bin := filepath.Join(tmp, "nmdc-runtime")
	fmt.Fprintln(os.Stderr, "building the server…")
	if out, err := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/nmdc-runtime").CombinedOutput(); err != nil {
		return fmt.Errorf("build: %v: %s", err, out)
	}

	// (f) the baseline, in a process of its own.
	self, err := os.Executable()
	if err != nil {
		return err
	}
	baseAddr, err := freeAddr()
	if err != nil {
		return err
	}
	baseCmd := exec.CommandContext(ctx, self, "-baseline-serve", baseAddr)
	if err := baseCmd.Start(); err != nil {
		return err
	}
	defer stopProcess(baseCmd)
	if err := waitReady(ctx, "http://"+baseAddr+"/", baselineToken); err != nil {
		return fmt.Errorf("baseline: %w", err)
	}
	baseline := map[int]result{}
	var rows []row
	for _, c := range levels {
		baseline[c] = load(ctx, c, o.duration, o.maxRequests, getOp("http://"+baseAddr+"/users/me", baselineToken))
		rows = append(rows, row{backend: "-", scenario: "(f) bare net/http baseline", conc: c, res: baseline[c], base: baseline[c].perSec(), baseName: "f"})
	}

	backends := []string{filepath.Join(tmp, "small.db")}
	if o.postgres != "" {
		backends = append(backends, o.postgres)
	}
	var notes []string
	for _, db := range backends {
		name := "sqlite"
		if strings.Contains(db, "://") {
			name = "postgres"
		}
		srv, err := startSeeded(ctx, bin, db, o, 100, 100)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		idle := srv.rss()
		r, err := runScenarios(ctx, o, srv, name, levels, baseline)
		peak := srv.peakRSS()
		srv.stop()
		if err != nil {
			return err
		}
		rows = append(rows, r...)
		notes = append(notes, fmt.Sprintf("%s server RSS: idle %.1f MB after seeding, peak %.1f MB over the whole run (c up to %d)", name, idle, peak, levels[len(levels)-1]))

		if o.large && name == "sqlite" {
			fmt.Fprintln(os.Stderr, "seeding 100 000 users and 10 000 sites…")
			big, err := startSeeded(ctx, bin, filepath.Join(tmp, "large.db"), o, 100000, 10000)
			if err != nil {
				return fmt.Errorf("large: %w", err)
			}
			lo := o
			lo.scenarios = "a,c"
			r, err := runScenarios(ctx, lo, big, name+" 100k users", levels, baseline)
			notes = append(notes, fmt.Sprintf("%s 100k users: peak RSS %.1f MB", name, big.peakRSS()))
			big.stop()
			if err != nil {
				return err
			}
			rows = append(rows, r...)
		}
	}
	printReport(os.Stdout, o, rows, notes)
	return nil
}

func runScenarios(ctx context.Context, o options, srv *server, backend string, levels []int, baseline map[int]result) ([]row, error) {
	userTok, err := srv.login(ctx, url.Values{"grant_type": {"password"}, "username": {"alice"}, "password": {benchPassword}})
	if err != nil {
		return nil, err
	}
	// (e) runs as bob: every site it creates joins its site_admin list,
	// which must not grow the user that (a) reads.
	bobTok, err := srv.login(ctx, url.Values{"grant_type": {"password"}, "username": {"bob"}, "password": {benchPassword}})
	if err != nil {
		return nil, err
	}
	clientTok, err := srv.login(ctx, url.Values{"grant_type": {"client_credentials"}, "client_id": {clientID(0)}, "client_secret": {benchSecret}})
	if err != nil {
		return nil, err
	}
	want := map[string]bool{}
	for _, s := range strings.Split(o.scenarios, ",") {
		want[strings.TrimSpace(s)] = true
	}
	var rows []row
	add := func(scenario string, c int, res result, base float64, baseName string) {
		rows = append(rows, row{backend: backend, scenario: scenario, conc: c, res: res, base: base, baseName: baseName})
		fmt.Fprintf(os.Stderr, "%-22s %-40s c=%-3d %9.0f/s  errors %d\n", backend, scenario, c, res.perSec(), res.errors)
		if res.firstErr != nil {
			fmt.Fprintf(os.Stderr, "    first error: %v\n", res.firstErr)
		}
	}
	for _, c := range levels {
		f := baseline[c].perSec()
		if want["a"] {
			add("(a) GET /users/me, user token", c, load(ctx, c, o.duration, o.maxRequests, getOp(srv.url+"/users/me", "Bearer "+userTok)), f, "f")
		}
		if want["b"] {
			add("(b) GET /users/me, client token", c, load(ctx, c, o.duration, o.maxRequests, getOp(srv.url+"/users/me", "Bearer "+clientTok)), f, "f")
		}
		if want["c"] {
			form := url.Values{"grant_type": {"client_credentials"}, "client_id": {clientID(1)}, "client_secret": {benchSecret}}.Encode()
			add("(c) POST /token client_credentials", c, load(ctx, c, o.duration, o.maxRequests, postFormOp(srv.url+"/token", form)), f, "f")
		}
		if want["d"] {
			raw := rawBcryptRate(ctx, c, o.duration, o.bcryptCost)
			form := url.Values{"grant_type": {"password"}, "username": {"user1"}, "password": {benchPassword}}.Encode()
			res := load(ctx, c, o.duration, o.maxRequests, postFormOp(srv.url+"/token", form))
			add(fmt.Sprintf("(d) POST /token password (raw bcrypt %.1f/s)", raw.perSec()), c, res, raw.perSec(), "raw bcrypt")
		}
		if want["e"] {
			add("(e) POST /sites + generateCredentials", c, load(ctx, c, o.duration, o.maxRequests, siteOp(srv.url, "Bearer "+bobTok, c)), f, "f")
		}
	}
	return rows, nil
}

func getOp(u, authz string) op {
	return func(ctx context.Context, c *http.Client, _, _ int) error {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		req.Header.Set("Authorization", authz)
		return expect(c.Do(req))(http.StatusOK)
	}
}

func postFormOp(u, form string) op {
	return func(ctx context.Context, c *http.Client, _, _ int) error {
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, u, strings.NewReader(form))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		return expect(c.Do(req))(http.StatusOK)
	}
}

// siteOp creates a site and generates credentials for it: one unit of (e).
func siteOp(base, authz string, conc int) op {
	return func(ctx context.Context, c *http.Client, w, i int) error {
		id := fmt.Sprintf("e-%d-%d-%d-%d", time.Now().UnixNano()%1e6, conc, w, i)
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, base+"/sites", strings.NewReader(`{"id":"`+id+`"}`))
		req.Header.Set("Authorization", authz)
		req.Header.Set("Content-Type", "application/json")
		if err := expect(c.Do(req))(http.StatusCreated); err != nil {
			return err
		}
		req, _ = http.NewRequestWithContext(ctx, http.MethodPost, base+"/sites/"+id+":generateCredentials", nil)
		req.Header.Set("Authorization", authz)
		return expect(c.Do(req))(http.StatusOK)
	}
}

func expect(resp *http.Response, err error) func(int) error {
	return func(status int) error {
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != status {
			return fmt.Errorf("status %d: %s", resp.StatusCode, bytes.TrimSpace(b))
		}
		return nil
	}
}

// rawBcryptRate measures bcrypt compares per second at cost with conc
// goroutines: the ceiling of the password grant on this machine.
func rawBcryptRate(ctx context.Context, conc int, dur time.Duration, cost int) result {
	h, _ := bcrypt.GenerateFromPassword([]byte(benchPassword), cost)
	return load(ctx, conc, dur, 1<<30, func(context.Context, *http.Client, int, int) error {
		return bcrypt.CompareHashAndPassword(h, []byte(benchPassword))
	})
}

func clientID(i int) string { return fmt.Sprintf("sys0bench%06d", i) }

// seed fills a store: the bootstrap admin, alice (admin of alice-lab),
// users user0…, sites site0… each with one client of a known secret.
func seed(ctx context.Context, store domain.Store, cost, users, sites int) error {
	svc := &domain.Service{Store: store, BcryptCost: cost}
	if _, err := svc.Bootstrap(ctx, "admin", benchPassword); err != nil {
		return err
	}
	hash, err := auth.HashPassword(benchPassword, cost)
	if err != nil {
		return err
	}
	now := time.Now()
	if err := store.CreateUser(ctx, domain.User{Username: "alice", PasswordHash: hash, CreatedAt: now}); err != nil {
		return err
	}
	if err := store.CreateSite(ctx, domain.Site{ID: "alice-lab", CreatedAt: now}, "alice"); err != nil {
		return err
	}
	if err := store.CreateUser(ctx, domain.User{Username: "bob", PasswordHash: hash, CreatedAt: now}); err != nil {
		return err
	}
	for i := range users {
		u := domain.User{Username: fmt.Sprintf("user%d", i), PasswordHash: hash, SiteAdmin: []string{fmt.Sprintf("site%d", i%max(sites, 1))}, CreatedAt: now}
		if err := store.CreateUser(ctx, u); err != nil {
			return err
		}
	}
	secretHash := auth.HashSecret(benchSecret)
	for i := range sites {
		if err := store.CreateSite(ctx, domain.Site{ID: fmt.Sprintf("site%d", i), CreatedAt: now}, fmt.Sprintf("user%d", i%max(users, 1))); err != nil {
			return err
		}
		if err := store.CreateSiteClient(ctx, domain.SiteClient{ID: clientID(i), SiteID: fmt.Sprintf("site%d", i), SecretHash: secretHash, CreatedAt: now}); err != nil {
			return err
		}
	}
	return nil
}

// server is a running server process.
type server struct {
	cmd *exec.Cmd
	url string
}

func startSeeded(ctx context.Context, bin, db string, o options, users, sites int) (*server, error) {
	cost := o.bcryptCost
	store, err := openStore(ctx, db)
	if err != nil {
		return nil, err
	}
	err = seed(ctx, store, cost, users, sites)
	store.Close()
	if err != nil {
		return nil, fmt.Errorf("seed: %w", err)
	}
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	args := append([]string{"serve", "--addr", addr, "--database", db, "--bcrypt-cost", strconv.Itoa(cost), "--log-format", "json"}, strings.Fields(o.serverFlags)...)
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = append(os.Environ(), "JWT_SECRET_KEY="+benchKey)
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &server{cmd: cmd, url: "http://" + addr}
	if err := waitReady(ctx, s.url+"/health", ""); err != nil {
		s.stop()
		return nil, err
	}
	return s, nil
}

func (s *server) stop() { stopProcess(s.cmd) }

func (s *server) login(ctx context.Context, form url.Values) (string, error) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, s.url+"/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		return "", fmt.Errorf("login: %d %s", resp.StatusCode, b)
	}
	var out struct {
		AccessToken string `json:"access_token"`
	}
	if err := jsonUnmarshal(b, &out); err != nil {
		return "", err
	}
	return out.AccessToken, nil
}

// rss and peakRSS read the server's resident memory (VmRSS, VmHWM) in MB.
func (s *server) rss() float64     { return procStatus(s.cmd.Process.Pid, "VmRSS:") }
func (s *server) peakRSS() float64 { return procStatus(s.cmd.Process.Pid, "VmHWM:") }

func procStatus(pid int, field string) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, field) {
			f := strings.Fields(line)
			kb, _ := strconv.ParseFloat(f[1], 64)
			return kb / 1024
		}
	}
	return -1
}

func stopProcess(cmd *exec.Cmd) {
	if cmd.Process == nil {
		return
	}
	_ = cmd.Process.Signal(os.Interrupt)
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		_ = cmd.Process.Kill()
	}
}

func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

func waitReady(ctx context.Context, u, authz string) error {
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if authz != "" {
			req.Header.Set("Authorization", authz)
		}
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return errors.New("server did not start within 30s")
}

func parseLevels(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 || n > 1024 {
			return nil, fmt.Errorf("concurrency %q: want numbers from 1 to 1024", f)
		}
		out = append(out, n)
	}
	return out, nil
}

func printReport(w io.Writer, o options, rows []row, notes []string) {
	fmt.Fprintf(w, "\n%d cores, %s per scenario and concurrency, bcrypt cost %d, loopback, load generator in this process.\n\n", numCPU(), o.duration, o.bcryptCost)
	tw := tabwriter.NewWriter(w, 0, 0, 1, ' ', tabwriter.Debug)
	fmt.Fprintln(tw, "backend\tscenario\tconc\treq/s\tratio\tp50\tp99\terrors\t")
	for _, r := range rows {
		ratio := "-"
		if r.base > 0 && !strings.HasPrefix(r.scenario, "(f)") {
			ratio = fmt.Sprintf("%.2f × %s", r.res.perSec()/r.base, r.baseName)
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%.0f\t%s\t%s\t%s\t%d\t\n", r.backend, r.scenario, r.conc, r.res.perSec(), ratio, fmtDur(r.res.p50), fmtDur(r.res.p99), r.res.errors)
	}
	tw.Flush()
	fmt.Fprintln(w)
	for _, n := range notes {
		fmt.Fprintln(w, n)
	}
}

func fmtDur(d time.Duration) string {
	switch {
	case d >= time.Second:
		return fmt.Sprintf("%.2fs", d.Seconds())
	case d >= time.Millisecond:
		return fmt.Sprintf("%.2fms", float64(d)/1e6)
	}
	return fmt.Sprintf("%dµs", d.Microseconds())
}
