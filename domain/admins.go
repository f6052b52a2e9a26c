package domain

import "context"

// ListSiteAdmins returns the usernames administering a site; its admins
// only.
func (s *Service) ListSiteAdmins(ctx context.Context, p Principal, siteID string) ([]string, error) {
	if err := s.requireSiteAdmin(ctx, p, siteID, "list its admins"); err != nil {
		return nil, err
	}
	return s.Store.ListSiteAdmins(ctx, siteID)
}

// AddSiteAdmin makes an existing user an admin of a site; the site's
// admins only.
func (s *Service) AddSiteAdmin(ctx context.Context, p Principal, siteID, username string) error {
	if err := s.requireSiteAdmin(ctx, p, siteID, "add admins to it"); err != nil {
		return err
	}
	if username == "" {
		return InvalidFields(*fieldErr("username", "field required", "value_error.missing"))
	}
	if len(username) > 4*MaxUsernameLen {
		return Errorf(NotFound, "user not found")
	}
	err := s.Store.AddSiteAdmin(ctx, siteID, username)
	if IsKind(err, Conflict) {
		return Errorf(Conflict, "User %q is already an admin of site %q", username, siteID)
	}
	s.forgetUser(username)
	if err == nil {
		s.Audit(ctx, p.Name(), AuditSiteAdminAdded, "user:"+username, "site:"+siteID)
	}
	return err
}

// RemoveSiteAdmin removes a user from a site's admins; the site's admins
// only. The site's last admin cannot remove themself (Conflict).
func (s *Service) RemoveSiteAdmin(ctx context.Context, p Principal, siteID, username string) error {
	if err := s.requireSiteAdmin(ctx, p, siteID, "remove its admins"); err != nil {
		return err
	}
	err := s.Store.RemoveSiteAdmin(ctx, siteID, username)
	s.forgetUser(username)
	if err == nil {
		s.Audit(ctx, p.Name(), AuditSiteAdminRemoved, "user:"+username, "site:"+siteID)
	}
	switch {
	case IsKind(err, Conflict):
		return LastAdminError(username, siteID)
	case IsKind(err, NotFound):
		return Errorf(NotFound, "User %q is not an admin of site %q", username, siteID)
	}
	return err
}
