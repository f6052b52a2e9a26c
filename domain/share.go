package domain

import (
	"context"
	"time"

	"github.com/nmdc-runtime/server/auth"
)

// DefaultShareTTL is how long a one-time share link stays valid.
const DefaultShareTTL = 7 * 24 * time.Hour

// Share is a newly made one-time link: the token goes into the link's path
// and is never stored.
type Share struct {
	Token     string
	ExpiresAt time.Time
}

// IssuedSecret is a newly generated client secret: given in Secret, or,
// when the caller asked for a link, revealed once through Share.
type IssuedSecret struct {
	Secret string
	Share  *Share
}

// SharedSecret is what a one-time link reveals.
type SharedSecret struct {
	Kind     string
	Username string // ShareUserPassword
	SiteID   string // ShareClientSecret
	ClientID string // ShareClientSecret
	Secret   string // the password or client secret
}

// NewPassword returns a generated password: 192 random bits, 32 characters
// of A-Za-z0-9-_.
func NewPassword() string { return auth.RandomToken(24) }

func (s *Service) shareTTL() time.Duration {
	if s.ShareTTL > 0 {
		return s.ShareTTL
	}
	return DefaultShareTTL
}

// shareSecret stores a one-time link that reveals secret and returns it.
// l.SecretHash is the hash under which secret is stored, so that a link
// made while the credential was replaced is stored revoked.
func (s *Service) shareSecret(ctx context.Context, p Principal, l ShareLink, secret string) (*Share, error) {
	token := auth.NewShareToken()
	sealed, err := auth.SealShare(token, []byte(secret))
	if err != nil {
		return nil, err
	}
	now := s.now()
	l.TokenHash = auth.HashSecret(token)
	l.Sealed = sealed
	l.CreatedAt = now
	l.CreatedBy = p.Name()
	l.ExpiresAt = now.Add(s.shareTTL())
	if err := s.Store.CreateShareLink(ctx, l); err != nil {
		return nil, err
	}
	return &Share{Token: token, ExpiresAt: l.ExpiresAt}, nil
}

// issueSecret hands out a generated client secret directly or by link.
func (s *Service) issueSecret(ctx context.Context, p Principal, c SiteClient, secret string, share bool) (IssuedSecret, error) {
	if !share {
		return IssuedSecret{Secret: secret}, nil
	}
	sh, err := s.shareSecret(ctx, p, ShareLink{Kind: ShareClientSecret, SiteID: c.SiteID, ClientID: c.ID, SecretHash: c.SecretHash}, secret)
	if err != nil {
		return IssuedSecret{}, err
	}
	return IssuedSecret{Share: sh}, nil
}

var errNoShare = Errorf(NotFound, "This share link does not exist: check that it was copied whole")

// OpenShare reveals the secret behind a one-time link, once. Anyone holding
// the link may open it. An unknown token is NotFound; a link that was
// already opened or has expired is Gone, and its secret is erased either
// way. A link whose password or client secret was replaced (or whose
// client was deleted) before it was opened is Gone too. Tokens carry 256 bits, so NotFound versus Gone tells only a link's
// holder anything.
func (s *Service) OpenShare(ctx context.Context, token string) (SharedSecret, error) {
	if token == "" || len(token) > 100 {
		return SharedSecret{}, errNoShare
	}
	now := s.now()
	l, err := s.Store.OpenShareLink(ctx, auth.HashSecret(token), now)
	if IsKind(err, NotFound) {
		return SharedSecret{}, errNoShare
	}
	if err != nil {
		return SharedSecret{}, err
	}
	switch {
	case l.Revoked:
		return SharedSecret{}, Errorf(Gone, "This link's secret was replaced or deleted; ask for a new link")
	case !now.Before(l.ExpiresAt):
		return SharedSecret{}, Errorf(Gone, "This share link expired at %s; ask for a new one", l.ExpiresAt.UTC().Format(time.RFC3339))
	case !l.OpenedAt.IsZero() || len(l.Sealed) == 0:
		return SharedSecret{}, Errorf(Gone, "This share link was already opened (at %s) and shows its secret only once; ask for a new one", l.OpenedAt.UTC().Format(time.RFC3339))
	}
	secret, err := auth.OpenShare(token, l.Sealed)
	if err != nil {
		return SharedSecret{}, err
	}
	target := auth.SubjectUser + l.Username
	if l.Kind == ShareClientSecret {
		target = auth.SubjectClient + l.ClientID
	}
	s.Audit(ctx, AuditActorAnonymous, AuditShareOpened, target, "one-time "+l.Kind+" link created by "+l.CreatedBy)
	return SharedSecret{Kind: l.Kind, Username: l.Username, SiteID: l.SiteID, ClientID: l.ClientID, Secret: string(secret)}, nil
}
