package storetest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/nmdc-runtime/server/domain"
)

// The security state (issue 5) that every instance must share: the token
// deny-list, login attempt counters and the audit log.
func testSecurity(t *testing.T, open Opener) {
	t.Run("revoked tokens", func(t *testing.T) { testRevokedTokens(t, open) })
	t.Run("login attempts", func(t *testing.T) { testLoginAttempts(t, open) })
	t.Run("login attempts race", func(t *testing.T) { testLoginAttemptsRace(t, open) })
	t.Run("audit events", func(t *testing.T) { testAuditEvents(t, open) })
	t.Run("keys no backend can store", func(t *testing.T) {
		s := open(t)
		if ok, err := s.TokenRevoked(t.Context(), "a\x00\xff"); err != nil || ok {
			t.Fatalf("TokenRevoked of an odd key: %v %v", ok, err)
		}
		p, err := s.ListAuditEvents(t.Context(), domain.AuditFilter{Actor: "a\x00", Action: "\xff", Limit: 5})
		if err != nil || len(p.Items) != 0 {
			t.Fatalf("ListAuditEvents with odd filters: %+v %v", p, err)
		}
	})
}

// ts0 is the security tests' fixed clock, on whole milliseconds.
var ts0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func testRevokedTokens(t *testing.T, open Opener) {
	s := open(t)
	ctx := t.Context()
	if ok, err := s.TokenRevoked(ctx, "jti-1"); err != nil || ok {
		t.Fatalf("unknown key: %v %v", ok, err)
	}
	for _, k := range []string{"jti-1", "jti-1", "sha256:abc"} { // twice is fine
		if err := s.RevokeToken(ctx, k, ts0.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.RevokeToken(ctx, "jti-old", ts0); err != nil {
		t.Fatal(err)
	}
	if err := s.PurgeRevokedTokens(ctx, ts0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]bool{"jti-1": true, "sha256:abc": true, "jti-old": false} {
		if ok, err := s.TokenRevoked(ctx, k); err != nil || ok != want {
			t.Errorf("%s: revoked = %v, %v; want %v", k, ok, err, want)
		}
	}
}

func testLoginAttempts(t *testing.T, open Opener) {
	s := open(t)
	ctx := t.Context()
	w := 10 * time.Minute
	limits := []domain.LoginLimit{{Key: "user:x", Max: 2}, {Key: "addr:a", Max: 5}}
	counts, until, err := s.TakeLoginAttempt(ctx, limits, ts0, w)
	if err != nil || !until.IsZero() || fmt.Sprint(counts) != "[1 1]" {
		t.Fatalf("first: %v %v %v", counts, until, err)
	}
	counts, until, _ = s.TakeLoginAttempt(ctx, limits, ts0.Add(time.Minute), w)
	if !until.IsZero() || fmt.Sprint(counts) != "[2 2]" {
		t.Fatalf("second: %v %v", counts, until)
	}
	// Reading changes nothing and sees the full counter.
	for range 2 {
		counts, until, err = s.LoginCounts(ctx, limits, ts0.Add(2*time.Minute), w)
		if err != nil || !until.Equal(ts0.Add(w)) || fmt.Sprint(counts) != "[2 2]" {
			t.Fatalf("read: %v %v %v", counts, until, err)
		}
	}
	if counts, until, _ = s.LoginCounts(ctx, []domain.LoginLimit{{Key: "user:unknown", Max: 2}}, ts0, w); fmt.Sprint(counts) != "[0]" || !until.IsZero() {
		t.Fatalf("read of an absent counter: %v %v", counts, until)
	}
	if counts, until, _ = s.LoginCounts(ctx, limits, ts0.Add(w+time.Second), w); fmt.Sprint(counts) != "[0 0]" || !until.IsZero() {
		t.Fatalf("read after the window: %v %v", counts, until)
	}
	counts, until, _ = s.TakeLoginAttempt(ctx, limits, ts0.Add(2*time.Minute), w)
	if !until.Equal(ts0.Add(w)) || counts != nil {
		t.Fatalf("third: %v %v, want blocked until %v", counts, until, ts0.Add(w))
	}
	// A refused attempt counted nothing: the address still holds 2.
	counts, _, _ = s.TakeLoginAttempt(ctx, []domain.LoginLimit{{Key: "addr:a", Max: 5}}, ts0.Add(3*time.Minute), w)
	if fmt.Sprint(counts) != "[3]" {
		t.Fatalf("address count %v", counts)
	}
	if err := s.ReleaseLoginAttempt(ctx, []string{"user:x"}, []string{"addr:a", "addr:none"}); err != nil {
		t.Fatal(err)
	}
	counts, until, _ = s.TakeLoginAttempt(ctx, limits, ts0.Add(4*time.Minute), w)
	if !until.IsZero() || fmt.Sprint(counts) != "[1 3]" {
		t.Fatalf("after release: %v %v", counts, until)
	}
	// When the window has closed, a counter starts again.
	counts, until, _ = s.TakeLoginAttempt(ctx, limits, ts0.Add(w+time.Second), w)
	if !until.IsZero() || fmt.Sprint(counts) != "[2 1]" {
		t.Fatalf("after the address window: %v %v", counts, until)
	}
}

func testLoginAttemptsRace(t *testing.T, open Opener) {
	s := open(t)
	var mu sync.Mutex
	admitted := 0
	var wg sync.WaitGroup
	for range 40 {
		wg.Go(func() {
			_, until, err := s.TakeLoginAttempt(t.Context(), []domain.LoginLimit{{Key: "user:y", Max: 7}}, ts0, time.Hour)
			if err != nil {
				t.Error(err)
				return
			}
			if until.IsZero() {
				mu.Lock()
				admitted++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if admitted != 7 {
		t.Fatalf("%d attempts admitted, want 7", admitted)
	}
}

func testAuditEvents(t *testing.T, open Opener) {
	s := open(t)
	ctx := t.Context()
	var ids []string
	for i := range 7 {
		e := domain.AuditEvent{ID: fmt.Sprintf("%016x0000", i+1), Time: ts0.Add(time.Duration(i) * time.Second), Actor: []string{"user:a", "user:b"}[i%2],
			Action: []string{domain.AuditLoginSucceeded, domain.AuditSiteCreated, domain.AuditTokenRevoked}[i%3], Target: "t", SourceAddr: "192.0.2.1", Detail: "d"}
		if err := s.AddAuditEvent(ctx, e); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, e.ID)
	}
	if err := s.AddAuditEvent(ctx, domain.AuditEvent{ID: ids[0], Time: ts0, Actor: "x", Action: "y"}); !domain.IsKind(err, domain.Conflict) {
		t.Fatalf("duplicate id: %v", err)
	}
	var got []string
	f := domain.AuditFilter{Limit: 3}
	for {
		p, err := s.ListAuditEvents(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range p.Items {
			got = append(got, e.ID)
		}
		if p.NextPageToken == "" {
			break
		}
		f.Before, _ = domain.DecodePageToken(p.NextPageToken)
	}
	if fmt.Sprint(got) != fmt.Sprint([]string{ids[6], ids[5], ids[4], ids[3], ids[2], ids[1], ids[0]}) {
		t.Fatalf("order %v", got)
	}
	p, err := s.ListAuditEvents(ctx, domain.AuditFilter{Actor: "user:a", Action: domain.AuditLoginSucceeded, Limit: 10})
	if err != nil || len(p.Items) != 2 || p.Items[0].ID != ids[6] || p.Items[1].ID != ids[0] {
		t.Fatalf("filtered: %+v %v", p.Items, err)
	}
	e := p.Items[1]
	if !e.Time.Equal(ts0) || e.SourceAddr != "192.0.2.1" || e.Target != "t" || e.Detail != "d" {
		t.Fatalf("fields: %+v", e)
	}
}
