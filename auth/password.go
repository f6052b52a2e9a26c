package auth

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"strings"
	"sync"

	"golang.org/x/crypto/bcrypt"
)

// PrehashPrefix marks a password hash of scheme version 1: bcrypt over the
// standard base64 encoding of SHA-256(password). The pre-hash keeps every
// password, however long and in whatever script, inside bcrypt's 72-byte
// input limit (44 bytes) without cutting anything, and base64 keeps NUL
// bytes out of bcrypt's input. The stored form is the prefix followed by an
// ordinary "$2a$" bcrypt string.
const PrehashPrefix = "$nmdc-sha256-bcrypt-v1"

// MaxPasswordBytes is the longest password accepted. It bounds the work an
// anonymous client can cause; anything a person types fits easily.
const MaxPasswordBytes = 1024

// DefaultBcryptCost matches the cost of the existing deployment's hashes.
const DefaultBcryptCost = 12

// ErrMismatch is returned when a password or secret does not match its hash.
var ErrMismatch = errors.New("auth: password does not match")

// HashPassword hashes a new password with the versioned pre-hash scheme.
func HashPassword(password string, cost int) (string, error) {
	if cost == 0 {
		cost = DefaultBcryptCost
	}
	h, err := bcrypt.GenerateFromPassword(prehash(password), cost)
	if err != nil {
		return "", err
	}
	return PrehashPrefix + string(h), nil
}

// VerifyPassword checks password against a stored hash: either the
// pre-hash scheme, or a plain bcrypt "$2a$"/"$2b$"/"$2y$" hash made
// elsewhere (such hashes verify unchanged). It returns ErrMismatch on a
// wrong password and another error when the stored hash is unusable.
func VerifyPassword(hash, password string) error {
	var err error
	switch {
	case strings.HasPrefix(hash, PrehashPrefix):
		err = bcrypt.CompareHashAndPassword([]byte(hash[len(PrehashPrefix):]), prehash(password))
	case isBcrypt(hash):
		// Hashes made elsewhere; bcrypt itself reads only the first 72
		// bytes of a password, as every implementation does.
		err = bcrypt.CompareHashAndPassword([]byte(hash), []byte(password))
	default:
		return errors.New("auth: unknown password hash format")
	}
	if errors.Is(err, bcrypt.ErrMismatchedHashAndPassword) {
		return ErrMismatch
	}
	return err
}

// BcryptCost reports the cost of a bcrypt-based hash, or 0 if it has none.
func BcryptCost(hash string) int {
	hash = strings.TrimPrefix(hash, PrehashPrefix)
	c, err := bcrypt.Cost([]byte(hash))
	if err != nil {
		return 0
	}
	return c
}

func prehash(password string) []byte {
	sum := sha256.Sum256([]byte(password))
	out := make([]byte, base64.StdEncoding.EncodedLen(len(sum)))
	base64.StdEncoding.Encode(out, sum[:])
	return out
}

func isBcrypt(h string) bool {
	return strings.HasPrefix(h, "$2a$") || strings.HasPrefix(h, "$2b$") || strings.HasPrefix(h, "$2y$")
}

// DummyVerify spends the time of one password verification at the given
// cost so that a login for an unknown name costs what a wrong password costs.
func DummyVerify(cost int, password string) {
	if cost == 0 {
		cost = DefaultBcryptCost
	}
	_ = VerifyPassword(dummyHash(cost), password)
}

var (
	dummyMu     sync.Mutex
	dummyHashes = map[int]string{}
)

func dummyHash(cost int) string {
	dummyMu.Lock()
	defer dummyMu.Unlock()
	if h, ok := dummyHashes[cost]; ok {
		return h
	}
	h, err := HashPassword("dummy password for timing", cost)
	if err != nil {
		h = PrehashPrefix + "$2a$04$invalidinvalidinvalidinvalidinvalidinvalidinvalidinva"
	}
	dummyHashes[cost] = h
	return h
}

// constantTimeEqual compares two strings without an early exit.
func constantTimeEqual(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}
