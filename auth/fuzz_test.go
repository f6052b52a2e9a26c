package auth

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"strings"
	"testing"
	"time"
)

// FuzzVerify: the verifier never panics, and whatever it accepts carries a
// valid HS256 signature by our key over its first two parts, a subject and
// an expiry: no input slips past the signature check.
func FuzzVerify(f *testing.F) {
	s := NewSigner(testKey, "nmdc-runtime")
	tok, _ := s.Sign(Claims{Subject: "user:alice", IssuedAt: time.Unix(1700000000, 0), ExpiresAt: time.Unix(4102444800, 0), ID: "jti"})
	f.Add(tok)
	legacy, _ := NewSigner(testKey, "").Sign(Claims{Subject: "client:sys0abc", ExpiresAt: time.Unix(4102444800, 0)})
	f.Add(legacy)
	f.Add(rawToken(`{"alg":"none"}`, `{"sub":"user:a","exp":4102444800}`))
	f.Add(rawToken(`{"alg":"HS256"}`, `{"sub":"user:a","exp":"4102444800"}`) + "sig")
	f.Add("a.b.c")
	f.Add("")
	f.Add(strings.Repeat(".", 100))
	f.Fuzz(func(t *testing.T, token string) {
		c, err := s.Verify(token)
		if err != nil {
			return
		}
		parts := strings.Split(token, ".")
		if len(parts) != 3 {
			t.Fatalf("accepted a token of %d parts", len(parts))
		}
		mac := hmac.New(sha256.New, testKey)
		mac.Write([]byte(parts[0] + "." + parts[1]))
		sig, err := base64.RawURLEncoding.DecodeString(parts[2])
		if err != nil || !hmac.Equal(sig, mac.Sum(nil)) {
			t.Fatalf("accepted a token whose signature is not ours: %q", token)
		}
		header, _ := base64.RawURLEncoding.DecodeString(parts[0])
		if !strings.Contains(string(header), `"HS256"`) {
			t.Fatalf("accepted header %s", header)
		}
		if c.Subject == "" || c.ExpiresAt.IsZero() {
			t.Fatalf("accepted claims %+v", c)
		}
	})
}
