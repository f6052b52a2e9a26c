package client

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
)

// UserUpdate is the body of PUT /users: Username names the user; every
// other field that is set replaces the stored one (SiteAdmin replaces the
// whole list).
type UserUpdate struct {
	Username  string    `json:"username"`
	Email     *string   `json:"email,omitempty"`
	FullName  *string   `json:"full_name,omitempty"`
	SiteAdmin *[]string `json:"site_admin,omitempty"`
	Disabled  *bool     `json:"disabled,omitempty"`
	Password  *string   `json:"password,omitempty"`
}

// UpdateUser changes a user (runtime admins only).
func (c *Client) UpdateUser(ctx context.Context, in UserUpdate) (User, error) {
	var u User
	return u, c.do(ctx, http.MethodPut, "/users", in, &u)
}

// ListUsers returns one page of users ordered by username (runtime admins
// only).
func (c *Client) ListUsers(ctx context.Context, pageSize int, pageToken string) (List[User], error) {
	var l List[User]
	return l, c.do(ctx, http.MethodGet, "/admin/users"+pageQuery(pageSize, pageToken), nil, &l)
}

// AllUsers follows next_page_token through every page of ListUsers.
func (c *Client) AllUsers(ctx context.Context) ([]User, error) {
	return all(ctx, c.ListUsers)
}

// GetUser returns one user (runtime admins only).
func (c *Client) GetUser(ctx context.Context, username string) (User, error) {
	var u User
	return u, c.do(ctx, http.MethodGet, "/admin/users/"+url.PathEscape(username), nil, &u)
}

// PasswordReset is the answer of ResetPassword.
type PasswordReset struct {
	Username       string  `json:"username"`
	ShareURL       string  `json:"share_url"`
	ShareExpiresAt *string `json:"share_expires_at"`
}

// ResetPassword gives a user a new generated password and returns a
// one-time link that shows it (runtime admins only). The user's earlier
// tokens stop working.
func (c *Client) ResetPassword(ctx context.Context, username string) (PasswordReset, error) {
	var r PasswordReset
	return r, c.do(ctx, http.MethodPost, "/users/"+url.PathEscape(username)+":resetPassword", nil, &r)
}

// PasswordChange is the body of POST /users/me:changePassword.
type PasswordChange struct {
	CurrentPassword string `json:"current_password"`
	NewPassword     string `json:"new_password"`
}

// ChangePassword changes the logged-in user's password. The server refuses
// tokens issued before the change and answers with a fresh one, which the
// client keeps.
func (c *Client) ChangePassword(ctx context.Context, current, next string) (Token, error) {
	var tok Token
	if err := c.do(ctx, http.MethodPost, "/users/me:changePassword", PasswordChange{CurrentPassword: current, NewPassword: next}, &tok); err != nil {
		return Token{}, err
	}
	c.Token = tok.AccessToken
	return tok, nil
}

// Shared is what a one-time link shows, once.
type Shared struct {
	// Kind says what the secret is: a user's password or a client secret.
	Kind         string `json:"kind"`
	Username     string `json:"username,omitempty"`
	Password     string `json:"password,omitempty"`
	SiteID       string `json:"site_id,omitempty"`
	ClientID     string `json:"client_id,omitempty"`
	ClientSecret string `json:"client_secret,omitempty"`
}

// OpenShare opens a one-time link: a full URL (whose own server is asked,
// without this client's token) or the token part of one (asked of this
// client's server). A link opened before answers 410 Gone.
func (c *Client) OpenShare(ctx context.Context, link string) (Shared, error) {
	target, err := c.shareURL(link)
	if err != nil {
		return Shared{}, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return Shared{}, err
	}
	// The link is a bearer secret of its own; never send ours with it,
	// since a full URL may name another server.
	anon := &Client{BaseURL: c.BaseURL, HTTP: c.HTTP}
	var s Shared
	return s, anon.send(req, &s)
}

func (c *Client) shareURL(link string) (string, error) {
	u, err := url.Parse(link)
	if err != nil {
		return "", errors.New("the link is not a URL nor a link token")
	}
	if u.Scheme == "" {
		if u.Path == "" || u.Host != "" || strings.ContainsAny(link, "/?#") {
			return "", errors.New("the link is not a URL nor a link token")
		}
		return c.BaseURL + "/share/" + url.PathEscape(link), nil
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return "", errors.New("the link must be an http or https URL")
	}
	return u.String(), nil
}
