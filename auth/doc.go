// Package auth holds the credential primitives of the Runtime API: password
// hashing (bcrypt with a versioned SHA-256 pre-hash), generated client secrets
// and their SHA-256 storage form, client ids, and JWT access tokens.
//
// It is a leaf package: it imports only the standard library and crypto
// libraries, never domain, storage or HTTP code.
package auth
