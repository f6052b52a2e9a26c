package auth

import (
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// Micro-benchmarks of the per-request and per-login primitives. The
// whole-server figures, as ratios to a bare net/http handler, come from
// `go run ./cmd/bench` (see BENCHMARKS.md).

func BenchmarkSign(b *testing.B) {
	s := NewSigner([]byte("benchmark-key-0123456789abcdef"), "nmdc-runtime")
	c := Claims{Subject: "user:alice", IssuedAt: time.Now(), ExpiresAt: time.Now().Add(time.Hour), ID: "abc"}
	for b.Loop() {
		if _, err := s.Sign(c); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerify is a repeated check of one token, as a polling client
// causes; BenchmarkVerifyFirst is the full check of a token seen first.
func BenchmarkVerify(b *testing.B) {
	s := NewSigner([]byte("benchmark-key-0123456789abcdef"), "nmdc-runtime")
	tok, _ := s.Sign(Claims{Subject: "user:alice", IssuedAt: time.Now(), ExpiresAt: time.Now().Add(time.Hour), ID: "abc"})
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Verify(tok); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifySecret is the client-credentials check of a generated
// secret: one SHA-256, never bcrypt.
func BenchmarkVerifySecret(b *testing.B) {
	secret := NewSecret()
	h := HashSecret(secret)
	for b.Loop() {
		if err := VerifySecret(h, secret); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifyPassword compares the pre-hash scheme with a raw bcrypt
// compare at the same cost: the pre-hash must add nothing noticeable.
func BenchmarkVerifyPassword(b *testing.B) {
	const cost = 10
	h, _ := HashPassword("correct horse battery staple", cost)
	raw, _ := bcrypt.GenerateFromPassword([]byte("correct horse battery staple"), cost)
	b.Run("prehash-bcrypt", func(b *testing.B) {
		for b.Loop() {
			if err := VerifyPassword(h, "correct horse battery staple"); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("raw-bcrypt-baseline", func(b *testing.B) {
		for b.Loop() {
			if err := bcrypt.CompareHashAndPassword(raw, []byte("correct horse battery staple")); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkVerifyFirst(b *testing.B) {
	s := NewSigner([]byte("benchmark-key-0123456789abcdef"), "nmdc-runtime")
	tok, _ := s.Sign(Claims{Subject: "user:alice", IssuedAt: time.Now(), ExpiresAt: time.Now().Add(time.Hour), ID: "abc"})
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.verify(tok); err != nil {
			b.Fatal(err)
		}
	}
}
