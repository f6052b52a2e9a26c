package auth

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Subject prefixes of the "sub" claim, shared with the existing deployment.
const (
	SubjectUser   = "user:"
	SubjectClient = "client:"
)

// Leeway tolerates small clock differences between instances (RFC 8725 §3.10
// leaves it to the deployment; a few seconds is customary).
const Leeway = 10 * time.Second

// Claims are the claims of an access token. The existing deployment sets
// only sub and exp; we add iat and jti (for revocation) and iss.
type Claims struct {
	Subject   string
	IssuedAt  time.Time // zero when the token has no iat
	ExpiresAt time.Time
	ID        string // jti; empty for tokens from the existing deployment
}

// Kind errors returned by Verify, so callers can say which check failed.
var (
	ErrTokenMalformed   = errors.New("the token is not a well-formed JWT")
	ErrTokenExpired     = errors.New("the token has expired")
	ErrTokenSignature   = errors.New("the token signature is invalid: it was altered or signed with another key")
	ErrTokenAlgorithm   = errors.New("the token is signed with an algorithm this server does not accept (only HS256)")
	ErrTokenClaims      = errors.New("the token lacks a required claim (sub and exp)")
	ErrTokenIssuer      = errors.New("the token was issued by another issuer")
	ErrTokenNotYetValid = errors.New("the token is not valid yet (nbf or iat in the future)")
)

// Signer issues and verifies HS256 access tokens with one key.
type Signer struct {
	key    []byte
	issuer string
	parser *jwt.Parser
	now    func() time.Time

	// verified remembers tokens whose signature and claims were checked,
	// so that a client polling the API pays for the HMAC and JSON decoding
	// once per token, not per request. Only the expiry is rechecked: the
	// same string always verifies the same way.
	mu       sync.Mutex
	verified map[string]Claims
}

// maxVerified bounds the verified-token memo (a few MB at most).
const maxVerified = 10000

// NewSigner returns a Signer. issuer is written into new tokens and, when a
// token carries an iss claim, must match (tokens from the existing
// deployment carry none).
func NewSigner(key []byte, issuer string, opts ...SignerOption) *Signer {
	s := &Signer{key: key, issuer: issuer, now: time.Now, verified: map[string]Claims{}}
	for _, opt := range opts {
		opt(s)
	}
	s.parser = jwt.NewParser(
		// RFC 8725 §3.1: accept only the algorithm we use; "none" and
		// every asymmetric algorithm are refused before any key is used.
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithExpirationRequired(),
		jwt.WithLeeway(Leeway),
		// One spelling per token: no spare bits in the base64 tail.
		jwt.WithStrictDecoding(),
		// An iat in the future would dodge revocation cut-offs.
		jwt.WithIssuedAt(),
		jwt.WithTimeFunc(func() time.Time { return s.now() }),
	)
	return s
}

// SignerOption configures a Signer.
type SignerOption func(*Signer)

// WithClock makes Verify check exp and iat against now instead of the
// system clock, so that a service with an injected clock (tests) agrees
// with its own tokens.
func WithClock(now func() time.Time) SignerOption {
	return func(s *Signer) { s.now = now }
}

// Sign returns a signed token for c.
func (s *Signer) Sign(c Claims) (string, error) {
	mc := jwt.MapClaims{
		"sub": c.Subject,
		"exp": c.ExpiresAt.Unix(),
	}
	if !c.IssuedAt.IsZero() {
		mc["iat"] = c.IssuedAt.Unix()
	}
	if c.ID != "" {
		mc["jti"] = c.ID
	}
	if s.issuer != "" {
		mc["iss"] = s.issuer
	}
	return jwt.NewWithClaims(jwt.SigningMethodHS256, mc).SignedString(s.key)
}

// Verify checks a token's algorithm, signature, expiry and issuer and
// returns its claims. The error is one of the ErrToken* values.
func (s *Signer) Verify(token string) (Claims, error) {
	s.mu.Lock()
	c, ok := s.verified[token]
	s.mu.Unlock()
	if ok {
		if s.now().After(c.ExpiresAt.Add(Leeway)) {
			return Claims{}, ErrTokenExpired
		}
		return c, nil
	}
	c, err := s.verify(token)
	if err != nil {
		return Claims{}, err
	}
	s.mu.Lock()
	if len(s.verified) >= maxVerified {
		clear(s.verified)
	}
	s.verified[token] = c
	s.mu.Unlock()
	return c, nil
}

func (s *Signer) verify(token string) (Claims, error) {
	var rc jwt.RegisteredClaims
	_, err := s.parser.ParseWithClaims(token, &rc, func(*jwt.Token) (any, error) { return s.key, nil })
	switch {
	case err == nil:
	// The library reports a refused algorithm as an invalid signature;
	// tell the two apart so the client learns which check failed.
	case strings.Contains(err.Error(), "signing method"), errors.Is(err, jwt.ErrTokenUnverifiable):
		return Claims{}, ErrTokenAlgorithm
	case errors.Is(err, jwt.ErrTokenSignatureInvalid):
		return Claims{}, ErrTokenSignature
	case errors.Is(err, jwt.ErrTokenExpired):
		return Claims{}, ErrTokenExpired
	case errors.Is(err, jwt.ErrTokenNotValidYet), errors.Is(err, jwt.ErrTokenUsedBeforeIssued):
		return Claims{}, ErrTokenNotYetValid
	case errors.Is(err, jwt.ErrTokenRequiredClaimMissing):
		return Claims{}, ErrTokenClaims
	case errors.Is(err, jwt.ErrTokenMalformed):
		return Claims{}, ErrTokenMalformed
	default:
		return Claims{}, fmt.Errorf("%w (%v)", ErrTokenMalformed, err)
	}
	if rc.Subject == "" || rc.ExpiresAt == nil {
		return Claims{}, ErrTokenClaims
	}
	if rc.Issuer != "" && rc.Issuer != s.issuer {
		return Claims{}, ErrTokenIssuer
	}
	c := Claims{Subject: rc.Subject, ExpiresAt: rc.ExpiresAt.Time, ID: rc.ID}
	if rc.IssuedAt != nil {
		c.IssuedAt = rc.IssuedAt.Time
	}
	return c, nil
}
