package client

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// ShareLink is a one-time link that shows a generated secret once.
type ShareLink struct {
	URL       string `json:"url"`
	ExpiresAt string `json:"expires_at,omitempty"`
}

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

// GetUser finds one user by exact username among ListUsers (runtime admins
// only). A missing user is an *Error with status 404.
func (c *Client) GetUser(ctx context.Context, username string) (User, error) {
	users, err := c.AllUsers(ctx)
	if err != nil {
		return User{}, err
	}
	for _, u := range users {
		if u.Username == username {
			return u, nil
		}
	}
	return User{}, &Error{Status: http.StatusNotFound, Detail: "No user named " + strconv.Quote(username)}
}

// PasswordChange is the body of POST /users/me:changePassword.
type PasswordChange struct {
	CurrentPassword string `json:"current_password"`
	NewPassword     string `json:"new_password"`
}

// ChangePassword changes the logged-in user's password; the server refuses
// tokens issued before the change, so log in again afterwards.
func (c *Client) ChangePassword(ctx context.Context, current, next string) error {
	return c.do(ctx, http.MethodPost, "/users/me:changePassword", PasswordChange{CurrentPassword: current, NewPassword: next}, nil)
}

// Shared is what a one-time link shows, once.
type Shared struct {
	// Kind says what the secret is, such as "password" or "client_secret".
	Kind      string `json:"kind,omitempty"`
	Username  string `json:"username,omitempty"`
	ClientID  string `json:"client_id,omitempty"`
	SiteID    string `json:"site_id,omitempty"`
	Password  string `json:"password,omitempty"`
	Secret    string `json:"client_secret,omitempty"`
	ExpiresAt string `json:"expires_at,omitempty"`
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
