package domain

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/nmdc-runtime/server/auth"
)

// requireSiteAdmin checks that site exists (NotFound) and that p
// administers it (Forbidden).
func (s *Service) requireSiteAdmin(ctx context.Context, p Principal, siteID, what string) error {
	if _, err := s.Store.GetSite(ctx, siteID); err != nil {
		return err
	}
	if !s.freshSiteAdmin(ctx, p, siteID) {
		return Errorf(Forbidden, "Only admins of site %q may %s", siteID, what)
	}
	return nil
}

// requireAllowance checks that p is a user holding the allowance action.
func (s *Service) requireAllowance(ctx context.Context, p Principal, action string) error {
	if p.User != nil {
		ok, err := s.Store.HasAllowance(ctx, p.User.Username, action)
		if err != nil {
			return err
		}
		if ok {
			return nil
		}
	}
	return Errorf(Forbidden, "Only users holding the allowance %q may do this; ask a holder of %q to grant it", action, ActionAdminAllowances)
}

// siteClient returns a client of the site, NotFound when it belongs to
// another site (the caller learns nothing about other sites' clients).
func (s *Service) siteClient(ctx context.Context, siteID, clientID string) (SiteClient, error) {
	c, err := s.Store.GetSiteClient(ctx, clientID)
	if err == nil && c.SiteID != siteID {
		err = Errorf(NotFound, "site client %q not found", clientID)
	}
	if IsKind(err, NotFound) {
		return SiteClient{}, Errorf(NotFound, "Site %q has no client %q", siteID, clientID)
	}
	return c, err
}

var errPageToken = InvalidFields(FieldError{Loc: []string{"query", "page_token"}, Msg: "page_token is not one this server issued; pass next_page_token from a previous page", Type: "value_error"})

// ListSiteClients returns one page of the clients of a site in creation
// order; its admins only. A site has few clients, so the store returns them
// all and the page is cut here; the page key is the JSON pair
// [created_at in Unix milliseconds, id], so deleting a client between two
// pages skips nothing.
func (s *Service) ListSiteClients(ctx context.Context, p Principal, siteID string, pageSize int, pageToken string) (Page[SiteClient], error) {
	if err := s.requireSiteAdmin(ctx, p, siteID, "list its clients"); err != nil {
		return Page[SiteClient]{}, err
	}
	f, err := listFilter(pageSize, pageToken)
	if err != nil {
		return Page[SiteClient]{}, err
	}
	var after struct {
		ms int64
		id string
	}
	if f.After != "" {
		var pair []any
		if json.Unmarshal([]byte(f.After), &pair) != nil || len(pair) != 2 {
			return Page[SiteClient]{}, errPageToken
		}
		ms, ok1 := pair[0].(float64)
		id, ok2 := pair[1].(string)
		if !ok1 || !ok2 {
			return Page[SiteClient]{}, errPageToken
		}
		after.ms, after.id = int64(ms), id
	}
	all, err := s.Store.ListSiteClients(ctx, siteID)
	if err != nil {
		return Page[SiteClient]{}, err
	}
	items := []SiteClient{}
	for _, c := range all {
		ms := c.CreatedAt.UnixMilli()
		if f.After != "" && (ms < after.ms || ms == after.ms && c.ID <= after.id) {
			continue
		}
		if len(items) == f.Limit {
			last := items[len(items)-1]
			key, _ := json.Marshal([]any{last.CreatedAt.UnixMilli(), last.ID})
			return Page[SiteClient]{Items: items, NextPageToken: EncodePageToken(string(key))}, nil
		}
		items = append(items, c)
	}
	return Page[SiteClient]{Items: items}, nil
}

// DeleteSiteClient deletes a client of a site; its tokens stop working at
// once because Authenticate looks the client up. The site's admins only.
func (s *Service) DeleteSiteClient(ctx context.Context, p Principal, siteID, clientID string) error {
	if err := s.requireSiteAdmin(ctx, p, siteID, "delete its clients"); err != nil {
		return err
	}
	if _, err := s.siteClient(ctx, siteID, clientID); err != nil {
		return err
	}
	if err := s.Store.DeleteSiteClient(ctx, clientID); err != nil {
		return err
	}
	s.forgetClient(clientID)
	return nil
}

// RotateSecret gives a client of a site a new generated secret and refuses
// its earlier tokens. The site's admins only.
func (s *Service) RotateSecret(ctx context.Context, p Principal, siteID, clientID string, share bool) (SiteClient, IssuedSecret, error) {
	if err := s.requireSiteAdmin(ctx, p, siteID, "rotate its client secrets"); err != nil {
		return SiteClient{}, IssuedSecret{}, err
	}
	c, err := s.siteClient(ctx, siteID, clientID)
	if err != nil {
		return SiteClient{}, IssuedSecret{}, err
	}
	secret := auth.NewSecret()
	c.SecretHash = auth.HashSecret(secret)
	c.TokensValidAfter = revocationCutoff(s.now(), c.TokensValidAfter)
	if err := s.Store.UpdateSiteClient(ctx, c); err != nil {
		return SiteClient{}, IssuedSecret{}, err
	}
	s.forgetClient(c.ID)
	issued, err := s.issueSecret(ctx, p, c, secret, share)
	return c, issued, err
}

// SetClientSecret sets a user-chosen secret (stored with bcrypt) on any
// site client and refuses its earlier tokens; holders of the allowance
// ActionAdminSiteClients only, as in the existing deployment.
func (s *Service) SetClientSecret(ctx context.Context, p Principal, clientID, secret string) (SiteClient, error) {
	if err := s.requireAllowance(ctx, p, ActionAdminSiteClients); err != nil {
		return SiteClient{}, err
	}
	if fe := ValidatePassword("secret", secret); fe != nil {
		if fe.Type == "value_error.any_str.min_length" {
			fe.Msg = fmt.Sprintf("secret must be at least %d characters", MinSecretChars)
		}
		return SiteClient{}, InvalidFields(*fe)
	}
	c, err := s.Store.GetSiteClient(ctx, clientID)
	if err != nil {
		return SiteClient{}, err
	}
	if c.SecretHash, err = auth.HashPassword(secret, s.BcryptCost); err != nil {
		return SiteClient{}, err
	}
	c.TokensValidAfter = revocationCutoff(s.now(), c.TokensValidAfter)
	if err := s.Store.UpdateSiteClient(ctx, c); err != nil {
		return SiteClient{}, err
	}
	s.forgetClient(c.ID)
	return c, nil
}

// GetSiteClient returns any client; holders of ActionAdminSiteClients only.
func (s *Service) GetSiteClient(ctx context.Context, p Principal, clientID string) (SiteClient, error) {
	if err := s.requireAllowance(ctx, p, ActionAdminSiteClients); err != nil {
		return SiteClient{}, err
	}
	return s.Store.GetSiteClient(ctx, clientID)
}
