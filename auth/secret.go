package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/base64"
	"encoding/hex"
	"strings"
)

// SecretHashPrefix marks the stored form of a generated client secret:
// hex SHA-256. Generated secrets carry 256 random bits, so a fast hash is
// safe (nothing to brute-force) and keeps client-credential logins cheap.
const SecretHashPrefix = "sha256:"

// ClientIDPrefix starts every generated client id, as in the existing
// deployment.
const ClientIDPrefix = "sys0"

// crockford is Crockford's base32 alphabet in lower case: no i, l, o, u, so
// ids read aloud or typed by hand are unambiguous, and never a ':'.
var crockford = base32.NewEncoding("0123456789abcdefghjkmnpqrstvwxyz").WithPadding(base32.NoPadding)

// NewClientID returns "sys0" followed by 16 Crockford base32 characters
// (80 random bits).
func NewClientID() string {
	return ClientIDPrefix + crockford.EncodeToString(randomBytes(10))
}

// NewSecret returns 256 random bits in the URL-safe base64 alphabet
// (A-Za-z0-9-_), 43 characters, that no form or URL encoding can mangle.
func NewSecret() string {
	return base64.RawURLEncoding.EncodeToString(randomBytes(32))
}

// HashSecret returns the stored form of a generated secret.
func HashSecret(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return SecretHashPrefix + hex.EncodeToString(sum[:])
}

// VerifySecret checks a client secret against its stored hash: the SHA-256
// form for generated secrets, or bcrypt for user-chosen and imported ones.
func VerifySecret(hash, secret string) error {
	if strings.HasPrefix(hash, SecretHashPrefix) {
		if constantTimeEqual(hash, HashSecret(secret)) {
			return nil
		}
		return ErrMismatch
	}
	return VerifyPassword(hash, secret)
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	// crypto/rand.Read never returns an error since Go 1.24; it crashes
	// the program instead of handing out weak randomness.
	_, _ = rand.Read(b)
	return b
}

// RandomToken returns n random bytes as URL-safe base64, for keys and links.
func RandomToken(n int) string {
	return base64.RawURLEncoding.EncodeToString(randomBytes(n))
}

// RandomHex returns n random bytes as lower-case hex.
func RandomHex(n int) string {
	return hex.EncodeToString(randomBytes(n))
}
