package client

import (
	"context"
	"net/http"
	"net/url"
)

// SiteClient describes a site client; its secret is never listed.
type SiteClient struct {
	ID         string  `json:"id"`
	SiteID     string  `json:"site_id,omitempty"`
	CreatedAt  string  `json:"created_at,omitempty"`
	CreatedBy  string  `json:"created_by,omitempty"`
	LastUsedAt *string `json:"last_used_at"`
}

func sitePath(siteID string) string { return "/sites/" + url.PathEscape(siteID) }

// ListSiteClients returns one page of a site's clients (its admins only).
func (c *Client) ListSiteClients(ctx context.Context, siteID string, pageSize int, pageToken string) (List[SiteClient], error) {
	var l List[SiteClient]
	return l, c.do(ctx, http.MethodGet, sitePath(siteID)+"/clients"+pageQuery(pageSize, pageToken), nil, &l)
}

// AllSiteClients follows next_page_token through every page of
// ListSiteClients.
func (c *Client) AllSiteClients(ctx context.Context, siteID string) ([]SiteClient, error) {
	return all(ctx, func(ctx context.Context, size int, tok string) (List[SiteClient], error) {
		return c.ListSiteClients(ctx, siteID, size, tok)
	})
}

// DeleteSiteClient deletes a site's client; its tokens stop working at once.
func (c *Client) DeleteSiteClient(ctx context.Context, siteID, clientID string) error {
	return c.do(ctx, http.MethodDelete, sitePath(siteID)+"/clients/"+url.PathEscape(clientID), nil, nil)
}

// RotateSecret gives a site's client a new generated secret, shown once;
// tokens issued with the old secret stop working.
func (c *Client) RotateSecret(ctx context.Context, siteID, clientID string) (Credentials, error) {
	var cr Credentials
	return cr, c.do(ctx, http.MethodPost, sitePath(siteID)+"/clients/"+url.PathEscape(clientID)+":rotateSecret", nil, &cr)
}

// RotateSecretLink is RotateSecret returning, in place of the secret, a
// one-time link that shows it.
func (c *Client) RotateSecretLink(ctx context.Context, siteID, clientID string) (Credentials, error) {
	var cr Credentials
	return cr, c.do(ctx, http.MethodPost, sitePath(siteID)+"/clients/"+url.PathEscape(clientID)+":rotateSecret?share=true", nil, &cr)
}

// SiteAdmin is one admin of a site.
type SiteAdmin struct {
	SiteID   string `json:"site_id,omitempty"`
	Username string `json:"username"`
}

// ListSiteAdmins returns the admins of a site.
func (c *Client) ListSiteAdmins(ctx context.Context, siteID string) ([]SiteAdmin, error) {
	var l List[SiteAdmin]
	err := c.do(ctx, http.MethodGet, sitePath(siteID)+"/admins", nil, &l)
	return l.Resources, err
}

// AddSiteAdmin makes a user an admin of a site (that site's admins only).
func (c *Client) AddSiteAdmin(ctx context.Context, siteID, username string) error {
	return c.do(ctx, http.MethodPost, sitePath(siteID)+"/admins", map[string]string{"username": username}, nil)
}

// RemoveSiteAdmin removes a user from a site's admins; the last admin of a
// site cannot remove itself.
func (c *Client) RemoveSiteAdmin(ctx context.Context, siteID, username string) error {
	return c.do(ctx, http.MethodDelete, sitePath(siteID)+"/admins/"+url.PathEscape(username), nil, nil)
}

// SetClientSecret is PATCH /admin/site_clients/{id}: sets a client's secret
// to one the caller chose (at least 8 characters), for holders of the
// allowance "/admin/site_clients". It reports false when the server
// answered 204 (nothing to change).
func (c *Client) SetClientSecret(ctx context.Context, clientID, secret string) (bool, error) {
	var out map[string]any
	err := c.do(ctx, http.MethodPatch, "/admin/site_clients/"+url.PathEscape(clientID), map[string]string{"secret": secret}, &out)
	return out != nil, err
}

// AllSites follows next_page_token through every page of ListSites.
func (c *Client) AllSites(ctx context.Context) ([]Site, error) {
	return all(ctx, c.ListSites)
}
