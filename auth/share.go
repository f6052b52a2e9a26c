package auth

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha256"
	"errors"
)

// shareKeyLabel separates the key that seals a one-time link's secret from
// the link's lookup hash (HashSecret of the same token).
const shareKeyLabel = "nmdc-runtime share link key v1\x00"

// NewShareToken returns a one-time link token: 256 random bits in the
// URL-safe alphabet, so it can stand in a path segment as it is.
func NewShareToken() string { return NewSecret() }

// ErrShareOpen is returned when a sealed secret cannot be opened with the
// given token.
var ErrShareOpen = errors.New("auth: the sealed secret does not open with this token")

func shareAEAD(token string) (cipher.AEAD, error) {
	key := sha256.Sum256([]byte(shareKeyLabel + token))
	block, err := aes.NewCipher(key[:])
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// SealShare encrypts secret (AES-256-GCM) under a key derived from the link
// token, bound to the token's lookup hash, so that the database, which keeps
// only the hash, cannot reveal the secret without the link.
func SealShare(token string, secret []byte) ([]byte, error) {
	aead, err := shareAEAD(token)
	if err != nil {
		return nil, err
	}
	nonce := randomBytes(aead.NonceSize())
	return aead.Seal(nonce, nonce, secret, []byte(HashSecret(token))), nil
}

// OpenShare reverses SealShare.
func OpenShare(token string, sealed []byte) ([]byte, error) {
	aead, err := shareAEAD(token)
	if err != nil {
		return nil, err
	}
	if len(sealed) < aead.NonceSize() {
		return nil, ErrShareOpen
	}
	out, err := aead.Open(nil, sealed[:aead.NonceSize()], sealed[aead.NonceSize():], []byte(HashSecret(token)))
	if err != nil {
		return nil, ErrShareOpen
	}
	return out, nil
}
