package domain

import (
	"context"
	"time"

	"github.com/nmdc-runtime/server/auth"
)

// The methods in this file take no Principal: they serve the operator who
// works on the database directly ("nmdc-runtime admin ..."), for instance
// to let a locked-out runtime admin back in. No HTTP route reaches them.

// OperatorResetPassword sets a user's password and revokes every token issued
// before now. With enable it also re-enables a disabled user.
func (s *Service) OperatorResetPassword(ctx context.Context, username, password string, enable bool) (User, error) {
	if fe := ValidatePassword("password", password); fe != nil {
		return User{}, InvalidFields(*fe)
	}
	u, err := s.Store.GetUser(ctx, username)
	if err != nil {
		return User{}, err
	}
	hash, err := auth.HashPassword(password, s.BcryptCost)
	if err != nil {
		return User{}, err
	}
	u.PasswordHash = hash
	// A token's iat has whole seconds: cut at the next whole second so
	// that every token issued up to now falls before it.
	u.TokensValidAfter = s.now().Truncate(time.Second).Add(time.Second)
	if enable {
		u.Disabled = false
	}
	if err := s.Store.UpdateUser(ctx, u); err != nil {
		return User{}, err
	}
	return u, nil
}

// OperatorCreateAdmin creates a runtime admin (an admin of AdminSiteID). On a
// database without users it bootstraps, as the first start of the server
// does. Conflict when the username, or a look-alike of it, exists.
func (s *Service) OperatorCreateAdmin(ctx context.Context, username, password string) (User, error) {
	var fields []FieldError
	for _, fe := range []*FieldError{ValidateUsername(username), ValidatePassword("password", password)} {
		if fe != nil {
			fields = append(fields, *fe)
		}
	}
	if len(fields) > 0 {
		return User{}, InvalidFields(fields...)
	}
	hash, err := auth.HashPassword(password, s.BcryptCost)
	if err != nil {
		return User{}, err
	}
	now := s.now()
	u := User{Username: username, SiteAdmin: []string{AdminSiteID}, PasswordHash: hash, CreatedAt: now}
	created, err := s.Store.Bootstrap(ctx, u, AllActions, now)
	if err != nil || created {
		return u, err
	}
	if err := s.Store.CreateUser(ctx, u); err != nil {
		return User{}, err
	}
	return u, nil
}
