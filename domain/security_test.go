package domain_test

import (
	"context"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nmdc-runtime/server/auth"
	"github.com/nmdc-runtime/server/domain"
	"github.com/nmdc-runtime/server/sqlite"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// newService returns a service on a fresh SQLite store with user alice
// (password "alice-password") and a clock the test advances.
func newService(t *testing.T, throttle domain.LoginThrottle, cost int) (*domain.Service, *clock) {
	t.Helper()
	st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "t.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	c := &clock{t: time.Now()}
	signer := auth.NewSigner([]byte("domain-test-key-0123456789abcdef"), "t", auth.WithClock(c.now))
	svc := &domain.Service{Store: st, Signer: signer, Now: c.now, BcryptCost: cost, Throttle: throttle}
	hash, err := auth.HashPassword("alice-password", cost)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.CreateUser(t.Context(), domain.User{Username: "alice", PasswordHash: hash, CreatedAt: c.now()}); err != nil {
		t.Fatal(err)
	}
	return svc, c
}

func from(addr string) context.Context {
	return domain.WithSourceAddr(context.Background(), addr)
}

// TestThrottleWindow: the lock starts at the threshold, refuses the right
// password, ends when the window that began at the first failure closes,
// and refused attempts do not extend it.
func TestThrottleWindow(t *testing.T) {
	svc, c := newService(t, domain.LoginThrottle{MaxFailures: 3, MaxFailuresPerSource: 1000, Window: 10 * time.Minute}, 4)
	ctx := from("192.0.2.1")
	for range 3 {
		if _, err := svc.LoginPassword(ctx, "alice", "wrong"); !domain.IsKind(err, domain.Unauthenticated) {
			t.Fatalf("wrong password: %v", err)
		}
		c.advance(time.Minute)
	}
	_, err := svc.LoginPassword(ctx, "alice", "alice-password")
	var de *domain.Error
	if !domain.IsKind(err, domain.Throttled) || !errorsAs(err, &de) || de.RetryAfter != 7*60 {
		t.Fatalf("err = %v (%+v), want Throttled with RetryAfter 420", err, de)
	}
	c.advance(7*time.Minute - time.Second)
	if _, err := svc.LoginPassword(ctx, "alice", "alice-password"); !domain.IsKind(err, domain.Throttled) {
		t.Fatalf("one second before the window closes: %v", err)
	}
	c.advance(time.Second)
	if _, err := svc.LoginPassword(ctx, "alice", "alice-password"); err != nil {
		t.Fatalf("when the window closes: %v", err)
	}
}

// TestThrottleIsAtomic: attempts racing past the threshold are counted
// one by one, so no more than the threshold reach the password check.
func TestThrottleIsAtomic(t *testing.T) {
	svc, _ := newService(t, domain.LoginThrottle{MaxFailures: 5, MaxFailuresPerSource: 1000, Window: time.Hour}, 4)
	var mu sync.Mutex
	kinds := map[domain.Kind]int{}
	var wg sync.WaitGroup
	for range 30 {
		wg.Go(func() {
			_, err := svc.LoginPassword(from("192.0.2.1"), "alice", "wrong")
			mu.Lock()
			kinds[domain.KindOf(err)]++
			mu.Unlock()
		})
	}
	wg.Wait()
	if kinds[domain.Unauthenticated] != 5 || kinds[domain.Throttled] != 25 {
		t.Fatalf("outcomes = %v, want 5 Unauthenticated and 25 Throttled", kinds)
	}
}

// TestThrottlePerSource: an IPv6 host's /64 counts as one source; IPv4
// addresses count one by one; success refunds the source.
func TestThrottlePerSource(t *testing.T) {
	svc, _ := newService(t, domain.LoginThrottle{MaxFailures: 1000, MaxFailuresPerSource: 3, Window: time.Hour}, 4)
	for i, a := range []string{"2001:db8::1", "2001:db8::2", "2001:db8::ffff:1"} {
		if _, err := svc.LoginPassword(from(a), "user"+string(rune('a'+i)), "x"); !domain.IsKind(err, domain.Unauthenticated) {
			t.Fatal(err)
		}
	}
	if _, err := svc.LoginPassword(from("2001:db8::99"), "alice", "alice-password"); !domain.IsKind(err, domain.Throttled) {
		t.Fatalf("same /64: %v", err)
	}
	if _, err := svc.LoginPassword(from("2001:db8:0:1::1"), "alice", "alice-password"); err != nil {
		t.Fatalf("another /64: %v", err)
	}
	for range 10 { // successes cost the source nothing
		if _, err := svc.LoginPassword(from("192.0.2.7"), "alice", "alice-password"); err != nil {
			t.Fatal(err)
		}
	}
}

// TestUnknownUserCostsABcryptCompare: a login for an unknown username takes
// as long as one with a wrong password (both are one bcrypt compare). The
// medians of several runs are compared with wide bounds, so scheduling
// noise cannot fail the test, while a missing compare (100× faster) would.
func TestUnknownUserCostsABcryptCompare(t *testing.T) {
	if testing.Short() {
		t.Skip("timing test")
	}
	svc, _ := newService(t, domain.LoginThrottle{Disabled: true}, 6)
	// Interleave the two kinds of login so that a burst of load elsewhere
	// slows both alike.
	var known, unknown []time.Duration
	timeLogin := func(user string) time.Duration {
		start := time.Now()
		if _, err := svc.LoginPassword(context.Background(), user, "wrong-password"); !domain.IsKind(err, domain.Unauthenticated) {
			t.Fatal(err)
		}
		return time.Since(start)
	}
	timeLogin("nobody") // warm the dummy hash
	for range 11 {
		known = append(known, timeLogin("alice"))
		unknown = append(unknown, timeLogin("nobody"))
	}
	median := func(ds []time.Duration) time.Duration {
		sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
		return ds[len(ds)/2]
	}
	k, u := median(known), median(unknown)
	if u < k/3 || u > k*3 {
		t.Fatalf("median login time: known user %v, unknown user %v; they should be alike", k, u)
	}
}

// TestRevocationPurge: a revocation record lives until the token expires
// (plus leeway) and is purged after.
func TestRevocationPurge(t *testing.T) {
	svc, c := newService(t, domain.LoginThrottle{Disabled: true}, 4)
	tok, err := svc.LoginPassword(context.Background(), "alice", "alice-password")
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.RevokeToken(context.Background(), tok.AccessToken, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Authenticate(context.Background(), tok.AccessToken); !domain.IsKind(err, domain.Unauthenticated) || !strings.Contains(err.Error(), "revoked") {
		t.Fatalf("revoked token: %v", err)
	}
	claims, _ := svc.Signer.Verify(tok.AccessToken)
	if ok, err := svc.Store.TokenRevoked(context.Background(), claims.ID); err != nil || !ok {
		t.Fatalf("record missing: %v %v", ok, err)
	}
	if err := svc.Store.PurgeRevokedTokens(context.Background(), claims.ExpiresAt); err != nil {
		t.Fatal(err)
	}
	if ok, _ := svc.Store.TokenRevoked(context.Background(), claims.ID); !ok {
		t.Fatal("purged while the token could still verify (leeway)")
	}
	c.advance(25 * time.Hour)
	other, _ := svc.LoginPassword(context.Background(), "alice", "alice-password")
	_ = svc.RevokeToken(context.Background(), other.AccessToken, "") // purges opportunistically
	if ok, _ := svc.Store.TokenRevoked(context.Background(), claims.ID); ok {
		t.Fatal("an expired revocation was not purged")
	}
}

// TestAuditTextIsSanitized: client-supplied text in an audit event is
// stored as valid UTF-8 without control characters, and bounded.
func TestAuditTextIsSanitized(t *testing.T) {
	svc, _ := newService(t, domain.LoginThrottle{Disabled: true}, 4)
	ctx := from("192.0.2.9")
	_, _ = svc.LoginPassword(ctx, "ev\x00il\xff\n"+strings.Repeat("x", 5000), "some-password")
	admin := domain.Principal{User: &domain.User{Username: "root", SiteAdmin: []string{domain.AdminSiteID}}}
	page, err := svc.ListAuditEvents(ctx, admin, "", domain.AuditLoginFailed, 10, "")
	if err != nil || len(page.Items) != 1 {
		t.Fatalf("events %+v, %v", page.Items, err)
	}
	e := page.Items[0]
	if strings.ContainsAny(e.Target, "\x00\n") || strings.Contains(e.Target, "\xff") || len([]rune(e.Target)) > 301 || !strings.HasPrefix(e.Target, "user:ev\uFFFDil") {
		t.Fatalf("target %q", e.Target)
	}
	if e.SourceAddr != "192.0.2.9" || e.Actor != "anonymous" || e.Detail != "malformed username or password" {
		t.Fatalf("event %+v", e)
	}
	if !slices.Contains(domain.AuditActions, e.Action) {
		t.Fatalf("action %q is not listed in AuditActions", e.Action)
	}
}

func errorsAs(err error, target **domain.Error) bool {
	e, ok := err.(*domain.Error)
	if ok {
		*target = e
	}
	return ok
}
