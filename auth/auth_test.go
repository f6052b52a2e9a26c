package auth

import (
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestPasswordRoundTrip(t *testing.T) {
	for _, pw := range []string{"password-1", strings.Repeat("é", 100), strings.Repeat("a", 72) + "b", "with\x00nul"} {
		h, err := HashPassword(pw, 4)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(h, PrehashPrefix+"$2a$04$") {
			t.Fatalf("hash %q lacks the versioned prefix", h)
		}
		if err := VerifyPassword(h, pw); err != nil {
			t.Fatalf("verify %q: %v", pw, err)
		}
		if err := VerifyPassword(h, pw[:len(pw)-1]); !errors.Is(err, ErrMismatch) {
			t.Fatalf("a shortened password verified: %v", err)
		}
	}
	if err := VerifyPassword("plaintext", "plaintext"); err == nil || errors.Is(err, ErrMismatch) {
		t.Fatalf("an unknown hash format must be an error of its own, got %v", err)
	}
}

func TestSecretsAndIDs(t *testing.T) {
	idRe := regexp.MustCompile(`^sys0[0-9a-hjkmnp-tv-z]{16}$`)
	secretRe := regexp.MustCompile(`^[A-Za-z0-9_-]{43}$`)
	seen := map[string]bool{}
	for range 100 {
		id, s := NewClientID(), NewSecret()
		if !idRe.MatchString(id) || !secretRe.MatchString(s) || seen[id] || seen[s] {
			t.Fatalf("id %q secret %q", id, s)
		}
		seen[id], seen[s] = true, true
		if err := VerifySecret(HashSecret(s), s); err != nil {
			t.Fatal(err)
		}
		if err := VerifySecret(HashSecret(s), s+"x"); !errors.Is(err, ErrMismatch) {
			t.Fatal("wrong secret verified")
		}
	}
}

func TestVerifyLeewayAndIssuer(t *testing.T) {
	s := NewSigner([]byte("key-0123456789abcdef"), "us")
	now := time.Now()
	tok, _ := s.Sign(Claims{Subject: "user:a", ExpiresAt: now.Add(-5 * time.Second)})
	if _, err := s.Verify(tok); err != nil {
		t.Fatalf("a token 5s past exp is within the leeway: %v", err)
	}
	tok, _ = s.Sign(Claims{Subject: "user:a", ExpiresAt: now.Add(-2 * Leeway)})
	if _, err := s.Verify(tok); !errors.Is(err, ErrTokenExpired) {
		t.Fatalf("expired: %v", err)
	}
	other := NewSigner([]byte("key-0123456789abcdef"), "them")
	tok, _ = other.Sign(Claims{Subject: "user:a", ExpiresAt: now.Add(time.Hour)})
	if _, err := s.Verify(tok); !errors.Is(err, ErrTokenIssuer) {
		t.Fatalf("foreign issuer: %v", err)
	}
	noIss := NewSigner([]byte("key-0123456789abcdef"), "")
	tok, _ = noIss.Sign(Claims{Subject: "user:a", ExpiresAt: now.Add(time.Hour)})
	if c, err := s.Verify(tok); err != nil || c.Subject != "user:a" || !c.IssuedAt.IsZero() {
		t.Fatalf("token without iss/iat: %+v %v", c, err)
	}
}

// TestVerifyMemoStillExpires: a token verified once is refused after it
// expires, even though its verification was remembered.
func TestVerifyMemoStillExpires(t *testing.T) {
	s := NewSigner([]byte("key-0123456789abcdef"), "us")
	now := time.Now()
	s.now = func() time.Time { return now }
	tok, _ := s.Sign(Claims{Subject: "user:a", ExpiresAt: time.Now().Add(time.Minute)})
	if _, err := s.Verify(tok); err != nil {
		t.Fatal(err)
	}
	now = now.Add(time.Minute + 2*Leeway)
	if _, err := s.Verify(tok); !errors.Is(err, ErrTokenExpired) {
		t.Fatalf("remembered token past its expiry: %v", err)
	}
	// A tampered copy is not the same string: verified afresh, refused.
	if _, err := s.Verify(tok[:len(tok)-2] + "AA"); err == nil {
		t.Fatal("tampered token accepted")
	}
}
