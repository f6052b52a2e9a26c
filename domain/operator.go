package domain

import (
	"context"
	"fmt"

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
	u.TokensValidAfter = revocationCutoff(s.now(), u.TokensValidAfter)
	wasDisabled := u.Disabled
	if enable {
		u.Disabled = false
	}
	if err := s.Store.UpdateUser(ctx, u); err != nil {
		return User{}, err
	}
	s.forgetUser(u.Username)
	s.Audit(ctx, AuditActorAdminCommand, AuditPasswordChanged, auth.SubjectUser+u.Username, "reset offline by an operator; earlier tokens refused")
	if enable && wasDisabled {
		s.Audit(ctx, AuditActorAdminCommand, AuditUserEnabled, auth.SubjectUser+u.Username, "enabled offline by an operator")
	}
	return u, nil
}

// OperatorCreateAdmin creates a runtime admin (an admin of AdminSiteID)
// holding every allowance, as the bootstrap admin does, so that it can
// also grant allowances again when their last holder is locked out. On a
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
	if err != nil {
		return u, err
	}
	if created {
		s.Audit(ctx, AuditActorAdminCommand, AuditUserCreated, auth.SubjectUser+username, "runtime admin created offline on an empty database; holds every allowance")
		return u, nil
	}
	if err := s.Store.CreateUser(ctx, u); err != nil {
		return User{}, err
	}
	s.Audit(ctx, AuditActorAdminCommand, AuditUserCreated, auth.SubjectUser+username, "runtime admin created offline by an operator (admin of site "+AdminSiteID+")")
	for _, action := range AllActions {
		err := s.Store.CreateAllowance(ctx, Allowance{Username: username, Action: action})
		if IsKind(err, Conflict) {
			continue
		}
		if err != nil {
			return u, fmt.Errorf("created %s, but granting the allowance %q failed: %w", username, action, err)
		}
		s.Audit(ctx, AuditActorAdminCommand, AuditAllowanceGranted, auth.SubjectUser+username, action)
	}
	return u, nil
}
