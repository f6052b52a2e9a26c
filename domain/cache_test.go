package domain_test

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/nmdc-runtime/server/auth"
	"github.com/nmdc-runtime/server/domain"
	"github.com/nmdc-runtime/server/sqlite"
)

// TestAuthCacheBoundsStaleness: a change made by another instance (here:
// directly in the shared store) is seen by token checks within the cache
// TTL; until then the cached read is reused.
func TestAuthCacheBoundsStaleness(t *testing.T) {
	ctx := t.Context()
	store, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	svc := &domain.Service{Store: store, Signer: auth.NewSigner([]byte("k-0123456789abcdef"), "t"), Now: clock, BcryptCost: 4}
	if _, err := svc.Bootstrap(ctx, "admin", "admin-password"); err != nil {
		t.Fatal(err)
	}
	if err := store.CreateSite(ctx, domain.Site{ID: "lab", CreatedAt: now}, "admin"); err != nil {
		t.Fatal(err)
	}
	if err := store.CreateSiteClient(ctx, domain.SiteClient{ID: "sys0c", SiteID: "lab", SecretHash: auth.HashSecret("s"), CreatedAt: now}); err != nil {
		t.Fatal(err)
	}
	// Tokens issued by this service are verified against the real clock,
	// so issue them for "now" in real time.
	userTok, _ := svc.Signer.Sign(auth.Claims{Subject: "user:admin", IssuedAt: now, ExpiresAt: time.Now().Add(time.Hour)})
	clientTok, _ := svc.Signer.Sign(auth.Claims{Subject: "client:sys0c", IssuedAt: now, ExpiresAt: time.Now().Add(time.Hour)})
	for _, tok := range []string{userTok, clientTok} {
		if _, err := svc.Authenticate(ctx, tok); err != nil {
			t.Fatal(err)
		}
	}

	// Another instance disables the user; this one deletes nothing itself.
	u, _ := store.GetUser(ctx, "admin")
	u.Disabled = true
	if err := store.UpdateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	now = now.Add(500 * time.Millisecond)
	if _, err := svc.Authenticate(ctx, userTok); err != nil {
		t.Fatalf("within the TTL the cached read is reused: %v", err)
	}
	now = now.Add(500 * time.Millisecond)
	if _, err := svc.Authenticate(ctx, userTok); !domain.IsKind(err, domain.Unauthenticated) {
		t.Fatalf("1s after the disable the token must be refused, got %v", err)
	}

	// With the cache off every check reads the store.
	off := &domain.Service{Store: store, Signer: svc.Signer, Now: clock, AuthCacheTTL: -1}
	if _, err := off.Authenticate(ctx, userTok); !domain.IsKind(err, domain.Unauthenticated) {
		t.Fatalf("uncached check of a disabled user: %v", err)
	}
}
