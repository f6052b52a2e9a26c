package httpapi

import (
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nmdc-runtime/server/auth"
	"github.com/nmdc-runtime/server/domain"
	"github.com/nmdc-runtime/server/sqlite"
)

// BenchmarkUsersMe is the handler cost of an authenticated GET /users/me
// (no network), beside a bare handler that checks a fixed bearer string:
// the ratio shows what routing, token checks and encoding add.
func BenchmarkUsersMe(b *testing.B) {
	store, err := sqlite.Open(b.Context(), filepath.Join(b.TempDir(), "db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { store.Close() })
	svc := &domain.Service{Store: store, Signer: auth.NewSigner([]byte("bench-key-0123456789abcdef"), "nmdc-runtime"), BcryptCost: 4}
	if _, err := svc.Bootstrap(b.Context(), "admin", "admin-password"); err != nil {
		b.Fatal(err)
	}
	tok, err := svc.Signer.Sign(auth.Claims{Subject: "user:admin", IssuedAt: time.Now(), ExpiresAt: time.Now().Add(time.Hour), ID: "x"})
	if err != nil {
		b.Fatal(err)
	}
	api := New(Config{Service: svc, Version: "bench"})
	bare := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+tok {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"username":"admin","email":null,"full_name":null,"site_admin":["nmdc-runtime-useradmin"],"disabled":false}` + "\n"))
	})
	for _, h := range []struct {
		name string
		h    http.Handler
	}{{"bare-baseline", bare}, {"server", api}} {
		b.Run(h.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				req := httptest.NewRequest(http.MethodGet, "/users/me", nil)
				req.Header.Set("Authorization", "Bearer "+tok)
				rec := httptest.NewRecorder()
				h.h.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK {
					b.Fatalf("status %d: %s", rec.Code, rec.Body)
				}
			}
		})
	}
}

// BenchmarkClientCredentials is the handler cost of POST /token with a
// generated client secret (no network).
func BenchmarkClientCredentials(b *testing.B) {
	store, err := sqlite.Open(b.Context(), filepath.Join(b.TempDir(), "db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { store.Close() })
	svc := &domain.Service{Store: store, Signer: auth.NewSigner([]byte("bench-key-0123456789abcdef"), "nmdc-runtime"), BcryptCost: 4}
	if _, err := svc.Bootstrap(b.Context(), "admin", "admin-password"); err != nil {
		b.Fatal(err)
	}
	secret := auth.NewSecret()
	if err := store.CreateSiteClient(b.Context(), domain.SiteClient{ID: "sys0bench", SiteID: domain.AdminSiteID, SecretHash: auth.HashSecret(secret), CreatedAt: time.Now()}); err != nil {
		b.Fatal(err)
	}
	api := New(Config{Service: svc, Version: "bench"})
	form := "grant_type=client_credentials&client_id=sys0bench&client_secret=" + secret
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest(http.MethodPost, "/token", strings.NewReader(form))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		rec := httptest.NewRecorder()
		api.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
	}
}
