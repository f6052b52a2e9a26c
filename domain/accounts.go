package domain

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/nmdc-runtime/server/auth"
)

// revocationCutoff returns the TokensValidAfter for a revocation at now
// of a subject whose cut-off was prev: the next whole second, and at least
// a second past prev. Token iat claims have whole seconds, so every token
// issued up to now has an iat before it: those issued before prev, those
// issued since (whose iat is at least prev, see issue), and those issued
// in this very second.
func revocationCutoff(now, prev time.Time) time.Time {
	c := now.Truncate(time.Second).Add(time.Second)
	if p := prev.Truncate(time.Second).Add(time.Second); c.Before(p) {
		c = p
	}
	return c
}

// UserUpdate is a request to change a user; nil fields stay as they are.
type UserUpdate struct {
	Username  string
	Email     *string
	FullName  *string
	SiteAdmin *[]string // replaces the whole list
	Disabled  *bool
	Password  *string
}

// GetUser returns a user; runtime admins only.
func (s *Service) GetUser(ctx context.Context, p Principal, username string) (User, error) {
	if err := s.requireRuntimeAdmin(p); err != nil {
		return User{}, err
	}
	return s.Store.GetUser(ctx, username)
}

// UpdateUser changes a user's fields; runtime admins only. Disabling a user
// or setting a password refuses every token issued before. A runtime admin
// cannot disable themself or drop their own runtime-admin rights, so no
// one locks themself out by mistake.
func (s *Service) UpdateUser(ctx context.Context, p Principal, in UserUpdate) (User, error) {
	if err := s.requireRuntimeAdmin(p); err != nil {
		return User{}, err
	}
	var fields []FieldError
	add := func(fe *FieldError) {
		if fe != nil {
			fields = append(fields, *fe)
		}
	}
	if in.Username == "" {
		add(fieldErr("username", "field required: the username of the user to update", "value_error.missing"))
	}
	if in.Email != nil {
		add(ValidateEmail(*in.Email))
	}
	if in.FullName != nil {
		add(ValidateText("full_name", *in.FullName))
	}
	if in.SiteAdmin != nil {
		add(ValidateIDList("site_admin", *in.SiteAdmin))
	}
	if in.Password != nil {
		add(ValidatePassword("password", *in.Password))
	}
	if len(fields) > 0 {
		return User{}, InvalidFields(fields...)
	}
	u, err := s.Store.GetUser(ctx, in.Username)
	if err != nil {
		return User{}, err
	}
	self := u.Username == p.User.Username
	wasDisabled := u.Disabled
	now := s.now()
	revoke := false
	if in.Email != nil {
		u.Email = *in.Email
	}
	if in.FullName != nil {
		u.FullName = *in.FullName
	}
	if in.SiteAdmin != nil {
		// New grants must name valid site ids (a typo grants nothing
		// silently); grants the user already holds, such as imported ids
		// outside the rule, may stay.
		for i, id := range *in.SiteAdmin {
			if u.IsSiteAdmin(id) {
				continue
			}
			if fe := ValidateSiteID(fmt.Sprintf("site_admin[%d]", i), id); fe != nil {
				fe.Loc = []string{"body", "site_admin", fmt.Sprint(i)}
				return User{}, InvalidFields(*fe)
			}
		}
		list := dedupe(*in.SiteAdmin)
		if self && !slices.Contains(list, AdminSiteID) {
			return User{}, Errorf(Conflict, "You cannot remove %q from your own site_admin list: you would lose runtime-admin rights; ask another runtime admin", AdminSiteID)
		}
		u.SiteAdmin = list
	}
	if in.Disabled != nil {
		if *in.Disabled && self {
			return User{}, Errorf(Conflict, "You cannot disable your own account; ask another runtime admin")
		}
		revoke = *in.Disabled && !u.Disabled
		u.Disabled = *in.Disabled
	}
	if in.Password != nil {
		hash, err := auth.HashPassword(*in.Password, s.BcryptCost)
		if err != nil {
			return User{}, err
		}
		u.PasswordHash = hash
		revoke = true
	}
	if revoke {
		u.TokensValidAfter = revocationCutoff(now, u.TokensValidAfter)
	}
	if err := s.Store.UpdateUser(ctx, u); err != nil {
		return User{}, err
	}
	s.forgetUser(u.Username)
	s.auditUserUpdate(ctx, p, in, u, wasDisabled)
	return u, nil
}

// ResetPassword gives a user a generated password, refuses the user's
// earlier tokens, and returns a one-time link that reveals the password.
// Runtime admins only.
func (s *Service) ResetPassword(ctx context.Context, p Principal, username string) (User, *Share, error) {
	if err := s.requireRuntimeAdmin(p); err != nil {
		return User{}, nil, err
	}
	u, err := s.Store.GetUser(ctx, username)
	if err != nil {
		return User{}, nil, err
	}
	password := NewPassword()
	if u.PasswordHash, err = auth.HashPassword(password, s.BcryptCost); err != nil {
		return User{}, nil, err
	}
	u.TokensValidAfter = revocationCutoff(s.now(), u.TokensValidAfter)
	if err := s.Store.UpdateUser(ctx, u); err != nil {
		return User{}, nil, err
	}
	s.forgetUser(u.Username)
	s.Audit(ctx, p.Name(), AuditPasswordChanged, auth.SubjectUser+u.Username, "reset by a runtime admin; earlier tokens refused; one-time link issued")
	share, err := s.shareSecret(ctx, p, ShareLink{Kind: ShareUserPassword, Username: u.Username, SecretHash: u.PasswordHash}, password)
	if err != nil {
		return User{}, nil, err
	}
	return u, share, nil
}

// ChangePassword sets the caller's password after checking the current
// one, refuses every earlier token of the caller, and returns a fresh token
// so the caller stays logged in.
func (s *Service) ChangePassword(ctx context.Context, p Principal, current, next string) (Token, error) {
	if err := s.requireUser(p, "change a password (rotate the client secret instead)"); err != nil {
		return Token{}, err
	}
	var fields []FieldError
	if current == "" {
		fields = append(fields, *fieldErr("current_password", "field required", "value_error.missing"))
	}
	if fe := ValidatePassword("new_password", next); fe != nil {
		fields = append(fields, *fe)
	} else if next == current {
		fields = append(fields, *fieldErr("new_password", "new_password must differ from current_password", "value_error"))
	}
	if len(fields) > 0 {
		return Token{}, InvalidFields(fields...)
	}
	// A wrong current_password is a failed login: counted and throttled
	// with /token's counters, so a stolen token cannot guess the password.
	target := auth.SubjectUser + p.User.Username
	limits := s.loginLimits(ctx, loginKeyUserPrefix, p.User.Username)
	counts, err := s.beginLogin(ctx, limits, target)
	if err != nil {
		return Token{}, err
	}
	u, err := s.Store.GetUser(ctx, p.User.Username)
	if err != nil {
		return Token{}, err
	}
	if len(current) > MaxPasswordBytes || auth.VerifyPassword(u.PasswordHash, current) != nil {
		return Token{}, s.failLogin(ctx, limits, counts, target, "wrong current_password on change password", Errorf(Forbidden, "current_password is not your current password; nothing was changed"))
	}
	s.succeedLogin(ctx, limits, counts, target)
	if u.PasswordHash, err = auth.HashPassword(next, s.BcryptCost); err != nil {
		return Token{}, err
	}
	u.TokensValidAfter = revocationCutoff(s.now(), u.TokensValidAfter)
	if err := s.Store.UpdateUser(ctx, u); err != nil {
		return Token{}, err
	}
	s.forgetUser(u.Username)
	s.Audit(ctx, p.Name(), AuditPasswordChanged, auth.SubjectUser+u.Username, "changed by the user; earlier tokens refused")
	return s.issue(auth.SubjectUser+u.Username, u.TokensValidAfter)
}
