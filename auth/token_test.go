package auth

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

var testKey = []byte("unit-test-signing-key-0123456789")

func signWith(t *testing.T, m jwt.SigningMethod, key any, claims jwt.MapClaims) string {
	t.Helper()
	s, err := jwt.NewWithClaims(m, claims).SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func rawToken(header, payload string) string {
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(header)) + "." + enc([]byte(payload)) + "."
}

// TestSignVerifyRoundTrip: our tokens carry sub, exp, iat, jti and iss.
func TestSignVerifyRoundTrip(t *testing.T) {
	s := NewSigner(testKey, "nmdc-runtime")
	now := time.Now().Truncate(time.Second)
	tok, err := s.Sign(Claims{Subject: "user:alice", IssuedAt: now, ExpiresAt: now.Add(time.Hour), ID: "abc"})
	if err != nil {
		t.Fatal(err)
	}
	c, err := s.Verify(tok)
	if err != nil {
		t.Fatal(err)
	}
	if c.Subject != "user:alice" || !c.IssuedAt.Equal(now) || !c.ExpiresAt.Equal(now.Add(time.Hour)) || c.ID != "abc" {
		t.Fatalf("claims = %+v", c)
	}
	parts := strings.Split(tok, ".")
	header, _ := base64.RawURLEncoding.DecodeString(parts[0])
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
	if !strings.Contains(string(header), `"alg":"HS256"`) || !strings.Contains(string(payload), `"iss":"nmdc-runtime"`) {
		t.Fatalf("header %s payload %s", header, payload)
	}
}

// TestVerifyRFC8725 pins the verifier's hardening: only HS256 (RFC 8725
// §3.1), exp required, a 10 s leeway (§3.10 leaves it to us), iss checked
// when present, sub required.
func TestVerifyRFC8725(t *testing.T) {
	s := NewSigner(testKey, "nmdc-runtime")
	now := time.Now()
	future := now.Add(time.Hour).Unix()
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ok := jwt.MapClaims{"sub": "user:a", "exp": future}
	tests := []struct {
		name  string
		token string
		want  error // nil: accepted
	}{
		{"HS256", signWith(t, jwt.SigningMethodHS256, testKey, ok), nil},
		{"HS384", signWith(t, jwt.SigningMethodHS384, testKey, ok), ErrTokenAlgorithm},
		{"HS512", signWith(t, jwt.SigningMethodHS512, testKey, ok), ErrTokenAlgorithm},
		{"RS256", signWith(t, jwt.SigningMethodRS256, rsaKey, ok), ErrTokenAlgorithm},
		{"PS256", signWith(t, jwt.SigningMethodPS256, rsaKey, ok), ErrTokenAlgorithm},
		{"ES256", signWith(t, jwt.SigningMethodES256, ecKey, ok), ErrTokenAlgorithm},
		{"alg none", rawToken(`{"alg":"none","typ":"JWT"}`, `{"sub":"user:a","exp":9999999999}`), ErrTokenAlgorithm},
		{"alg None", rawToken(`{"alg":"None","typ":"JWT"}`, `{"sub":"user:a","exp":9999999999}`), ErrTokenAlgorithm},
		{"alg hs256 lower case", strings.TrimSuffix(rawToken(`{"alg":"hs256"}`, `{"sub":"user:a","exp":9999999999}`), ".") + ".c2ln", ErrTokenAlgorithm},
		{"no alg", strings.TrimSuffix(rawToken(`{"typ":"JWT"}`, `{"sub":"user:a","exp":9999999999}`), ".") + ".c2ln", ErrTokenAlgorithm},
		{"other key", signWith(t, jwt.SigningMethodHS256, []byte("another-key-0123456789abcdef0123"), ok), ErrTokenSignature},
		{"empty key", signWith(t, jwt.SigningMethodHS256, []byte{}, ok), ErrTokenSignature},
		{"no exp", signWith(t, jwt.SigningMethodHS256, testKey, jwt.MapClaims{"sub": "user:a"}), ErrTokenClaims},
		{"exp as string", signWith(t, jwt.SigningMethodHS256, testKey, jwt.MapClaims{"sub": "user:a", "exp": "9999999999"}), ErrTokenMalformed},
		{"no sub", signWith(t, jwt.SigningMethodHS256, testKey, jwt.MapClaims{"exp": future}), ErrTokenClaims},
		{"expired 5s ago, within leeway", signWith(t, jwt.SigningMethodHS256, testKey, jwt.MapClaims{"sub": "user:a", "exp": now.Add(-5 * time.Second).Unix()}), nil},
		{"expired 30s ago, past leeway", signWith(t, jwt.SigningMethodHS256, testKey, jwt.MapClaims{"sub": "user:a", "exp": now.Add(-30 * time.Second).Unix()}), ErrTokenExpired},
		{"nbf 5s ahead, within leeway", signWith(t, jwt.SigningMethodHS256, testKey, jwt.MapClaims{"sub": "user:a", "exp": future, "nbf": now.Add(5 * time.Second).Unix()}), nil},
		{"nbf 2m ahead", signWith(t, jwt.SigningMethodHS256, testKey, jwt.MapClaims{"sub": "user:a", "exp": future, "nbf": now.Add(2 * time.Minute).Unix()}), ErrTokenNotYetValid},
		{"our iss", signWith(t, jwt.SigningMethodHS256, testKey, jwt.MapClaims{"sub": "user:a", "exp": future, "iss": "nmdc-runtime"}), nil},
		{"other iss", signWith(t, jwt.SigningMethodHS256, testKey, jwt.MapClaims{"sub": "user:a", "exp": future, "iss": "evil"}), ErrTokenIssuer},
		{"iss of other case", signWith(t, jwt.SigningMethodHS256, testKey, jwt.MapClaims{"sub": "user:a", "exp": future, "iss": "NMDC-runtime"}), ErrTokenIssuer},
		{"no iss (existing deployment)", signWith(t, jwt.SigningMethodHS256, testKey, jwt.MapClaims{"sub": "user:a", "exp": future}), nil},
		{"empty", "", ErrTokenMalformed},
		{"two parts", "a.b", ErrTokenMalformed},
		{"not base64", "###.###.###", ErrTokenMalformed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.Verify(tc.token)
			if tc.want == nil && err != nil {
				t.Fatalf("refused: %v", err)
			}
			if tc.want != nil && !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
		})
	}
}

// TestVerifyIgnoresKeyHints: header fields that name a key (kid, jku, jwk)
// cannot make the verifier use anything but its own key.
func TestVerifyIgnoresKeyHints(t *testing.T) {
	s := NewSigner(testKey, "")
	other := []byte("attacker-key-0123456789abcdef012")
	tok := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"sub": "user:a", "exp": time.Now().Add(time.Hour).Unix()})
	tok.Header["kid"] = "../../attacker"
	tok.Header["jku"] = "https://attacker.example/keys"
	tok.Header["jwk"] = map[string]string{"kty": "oct", "k": base64.RawURLEncoding.EncodeToString(other)}
	signed, err := tok.SignedString(other)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Verify(signed); !errors.Is(err, ErrTokenSignature) {
		t.Fatalf("err = %v", err)
	}
}
