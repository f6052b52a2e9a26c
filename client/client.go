package client

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Client talks to one Runtime API server. Set Token after a login (the
// Login methods do it) to call protected endpoints.
type Client struct {
	BaseURL string
	HTTP    *http.Client
	Token   string
}

// New returns a client for the server at baseURL.
func New(baseURL string) *Client {
	return &Client{BaseURL: strings.TrimRight(baseURL, "/"), HTTP: &http.Client{Timeout: 30 * time.Second}}
}

// FieldError is one entry of a 422 response.
type FieldError struct {
	Loc  []any  `json:"loc"`
	Msg  string `json:"msg"`
	Type string `json:"type"`
}

// String names the field (its location less "body") and the problem.
func (f FieldError) String() string {
	var loc []string
	for i, l := range f.Loc {
		if s := fmt.Sprint(l); i > 0 || s != "body" {
			loc = append(loc, s)
		}
	}
	if len(loc) == 0 {
		return f.Msg
	}
	// Many messages already start with the field's name.
	if rest, ok := strings.CutPrefix(f.Msg, loc[0]); ok && (rest == "" || strings.ContainsAny(rest[:1], ": .[")) {
		return f.Msg
	}
	return strings.Join(loc, ".") + ": " + f.Msg
}

// Error is a non-2xx response.
type Error struct {
	Status int
	// Detail is the server's sentence; for a 422 it joins the fields'
	// names and messages.
	Detail string
	Fields []FieldError
	// Code is the OAuth2 error code of a token error.
	Code string
	// Header holds the response headers (WWW-Authenticate, Retry-After).
	Header http.Header
}

func (e *Error) Error() string {
	return fmt.Sprintf("%d %s: %s", e.Status, http.StatusText(e.Status), e.Detail)
}

// StatusOf returns the HTTP status of an *Error, or 0.
func StatusOf(err error) int {
	if e, ok := err.(*Error); ok {
		return e.Status
	}
	return 0
}

// notJSON describes a reply that is not the API's JSON.
func notJSON(resp *http.Response) string {
	ct := resp.Header.Get("Content-Type")
	if ct == "" {
		ct = "none"
	}
	return fmt.Sprintf("the reply is not JSON (Content-Type: %s): is this the Runtime API server?", ct)
}

func decodeError(resp *http.Response) error {
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	e := &Error{Status: resp.StatusCode, Header: resp.Header}
	var raw struct {
		Detail json.RawMessage `json:"detail"`
		Error  string          `json:"error"`
	}
	if json.Unmarshal(body, &raw) == nil && len(raw.Detail) > 0 {
		e.Code = raw.Error
		if json.Unmarshal(raw.Detail, &e.Detail) != nil {
			if json.Unmarshal(raw.Detail, &e.Fields) == nil {
				msgs := make([]string, len(e.Fields))
				for i, f := range e.Fields {
					msgs[i] = f.String()
				}
				e.Detail = strings.Join(msgs, "; ")
			}
		}
	}
	if e.Detail == "" {
		e.Detail = strings.TrimSpace(string(body))
		// An HTML error page of a proxy, or another service, says nothing
		// useful in full.
		if !json.Valid(body) && (len(e.Detail) > 200 || strings.HasPrefix(e.Detail, "<")) {
			e.Detail = notJSON(resp)
		}
	}
	return e
}

// do sends a request and decodes a 2xx JSON body into out (if not nil).
func (c *Client) do(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.BaseURL+path, body)
	if err != nil {
		return err
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return c.send(req, out)
}

func (c *Client) send(req *http.Request, out any) error {
	req.Header.Set("Accept", "application/json")
	if c.Token != "" && req.Header.Get("Authorization") == "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return decodeError(resp)
	}
	if out == nil || resp.StatusCode == http.StatusNoContent {
		_, _ = io.Copy(io.Discard, resp.Body)
		return nil
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("read %s %s response: %w", req.Method, req.URL.Path, err)
	}
	if !json.Valid(body) {
		return fmt.Errorf("%s %s: %d %s, %s", req.Method, req.URL.Path, resp.StatusCode, http.StatusText(resp.StatusCode), notJSON(resp))
	}
	if err := json.Unmarshal(body, out); err != nil {
		return fmt.Errorf("decode %s %s response: %w", req.Method, req.URL.Path, err)
	}
	return nil
}

// Token is a POST /token response.
type Token struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	Expires     struct {
		Days    int `json:"days"`
		Hours   int `json:"hours"`
		Minutes int `json:"minutes"`
	} `json:"expires"`
	ExpiresIn int `json:"expires_in"`
}

func (c *Client) tokenRequest(ctx context.Context, form url.Values, basicID, basicSecret string) (Token, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.BaseURL+"/token", strings.NewReader(form.Encode()))
	if err != nil {
		return Token{}, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if basicID != "" {
		// RFC 6749 §2.3.1: form-encode both parts before Basic encoding.
		raw := url.QueryEscape(basicID) + ":" + url.QueryEscape(basicSecret)
		req.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(raw)))
	}
	var tok Token
	if err := c.send(req, &tok); err != nil {
		return Token{}, err
	}
	c.Token = tok.AccessToken
	return tok, nil
}

// Login logs in as a user with the password grant.
func (c *Client) Login(ctx context.Context, username, password string) (Token, error) {
	return c.tokenRequest(ctx, url.Values{"grant_type": {"password"}, "username": {username}, "password": {password}}, "", "")
}

// LoginClient logs in as a site client with the client-credentials grant,
// sending the credentials as form fields, or as HTTP Basic when basic is set.
func (c *Client) LoginClient(ctx context.Context, clientID, secret string, basic bool) (Token, error) {
	if basic {
		return c.tokenRequest(ctx, url.Values{"grant_type": {"client_credentials"}}, clientID, secret)
	}
	return c.tokenRequest(ctx, url.Values{"grant_type": {"client_credentials"}, "client_id": {clientID}, "client_secret": {secret}}, "", "")
}

// User is a user account, or for a site client the ephemeral user that
// names it (with SiteID set).
type User struct {
	Username  string   `json:"username"`
	Email     *string  `json:"email"`
	FullName  *string  `json:"full_name"`
	SiteAdmin []string `json:"site_admin"`
	Disabled  bool     `json:"disabled"`
	SiteID    string   `json:"site_id,omitempty"`
	// ShareURL is set when a user was created without a password: a
	// one-time link that shows the generated password once, until
	// ShareExpiresAt (RFC 3339).
	ShareURL       string  `json:"share_url,omitempty"`
	ShareExpiresAt *string `json:"share_expires_at,omitempty"`
}

// NewUser is the body of POST /users.
type NewUser struct {
	Username  string   `json:"username"`
	Password  string   `json:"password,omitempty"`
	Email     string   `json:"email,omitempty"`
	FullName  string   `json:"full_name,omitempty"`
	SiteAdmin []string `json:"site_admin,omitempty"`
	Disabled  bool     `json:"disabled,omitempty"`
}

// Me returns who the token belongs to.
func (c *Client) Me(ctx context.Context) (User, error) {
	var u User
	return u, c.do(ctx, http.MethodGet, "/users/me", nil, &u)
}

// CreateUser creates a user (runtime admins only).
func (c *Client) CreateUser(ctx context.Context, in NewUser) (User, error) {
	var u User
	return u, c.do(ctx, http.MethodPost, "/users", in, &u)
}

// Site is a site.
type Site struct {
	ID            string   `json:"id"`
	CapabilityIDs []string `json:"capability_ids"`
}

// List is one page of a list.
type List[T any] struct {
	Resources     []T     `json:"resources"`
	NextPageToken *string `json:"next_page_token"`
}

// CreateSite creates a site; the caller becomes its admin.
func (c *Client) CreateSite(ctx context.Context, in Site) (Site, error) {
	var s Site
	return s, c.do(ctx, http.MethodPost, "/sites", in, &s)
}

// GetSite returns one site.
func (c *Client) GetSite(ctx context.Context, id string) (Site, error) {
	var s Site
	return s, c.do(ctx, http.MethodGet, "/sites/"+url.PathEscape(id), nil, &s)
}

// ListSites returns one page of sites.
func (c *Client) ListSites(ctx context.Context, pageSize int, pageToken string) (List[Site], error) {
	var l List[Site]
	return l, c.do(ctx, http.MethodGet, "/sites"+pageQuery(pageSize, pageToken), nil, &l)
}

func pageQuery(size int, token string) string {
	return encodeQuery(addPage(url.Values{}, size, token))
}

// addPage adds max_page_size and page_token to q when they are set.
func addPage(q url.Values, size int, token string) url.Values {
	if size > 0 {
		q.Set("max_page_size", strconv.Itoa(size))
	}
	if token != "" {
		q.Set("page_token", token)
	}
	return q
}

// encodeQuery is "?" and the encoded query, or "" for none.
func encodeQuery(q url.Values) string {
	if len(q) == 0 {
		return ""
	}
	return "?" + q.Encode()
}

// Credentials are a new site client's id and its secret, shown once; or,
// when a link was asked for, the id and a one-time link that shows the
// secret.
type Credentials struct {
	ClientID       string  `json:"client_id"`
	ClientSecret   string  `json:"client_secret,omitempty"`
	ShareURL       string  `json:"share_url,omitempty"`
	ShareExpiresAt *string `json:"share_expires_at,omitempty"`
}

// GenerateCredentials creates a new client for a site (its admins only).
func (c *Client) GenerateCredentials(ctx context.Context, siteID string) (Credentials, error) {
	var cr Credentials
	return cr, c.do(ctx, http.MethodPost, "/sites/"+url.PathEscape(siteID)+":generateCredentials", nil, &cr)
}

// GenerateCredentialsLink creates a new client for a site and returns, in
// place of its secret, a one-time link that shows it.
func (c *Client) GenerateCredentialsLink(ctx context.Context, siteID string) (Credentials, error) {
	var cr Credentials
	return cr, c.do(ctx, http.MethodPost, "/sites/"+url.PathEscape(siteID)+":generateCredentials?share=true", nil, &cr)
}

// Health is GET /health.
type Health struct {
	WebServer bool `json:"web_server"`
	Database  bool `json:"database"`
}

// Health reports whether the server and its database answer.
func (c *Client) Health(ctx context.Context) (Health, error) {
	var h Health
	return h, c.do(ctx, http.MethodGet, "/health", nil, &h)
}

// Version returns the server's version.
func (c *Client) Version(ctx context.Context) (string, error) {
	var v map[string]string
	err := c.do(ctx, http.MethodGet, "/version", nil, &v)
	return v["nmdc-runtime"], err
}

// Revoke revokes an access token (RFC 7009); the server answers 200
// whether or not it knew the token.
func (c *Client) Revoke(ctx context.Context, token string) error {
	form := url.Values{"token": {token}, "token_type_hint": {"access_token"}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.BaseURL+"/token/revoke", strings.NewReader(form.Encode()))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return c.send(req, nil)
}

// Logout revokes the client's token and forgets it.
func (c *Client) Logout(ctx context.Context) error {
	if err := c.do(ctx, http.MethodPost, "/logout", nil, nil); err != nil {
		return err
	}
	c.Token = ""
	return nil
}

// AuditEvent is one record of GET /admin/audit.
type AuditEvent struct {
	ID         string    `json:"id"`
	Time       time.Time `json:"time"`
	Actor      string    `json:"actor"`
	Action     string    `json:"action"`
	Target     string    `json:"target"`
	SourceAddr string    `json:"source_addr"`
	Detail     string    `json:"detail"`
}

// ListAudit returns one page of the audit log, newest first (runtime
// admins only), filtered by actor and action when they are not empty.
func (c *Client) ListAudit(ctx context.Context, actor, action string, pageSize int, pageToken string) (List[AuditEvent], error) {
	q := url.Values{}
	if actor != "" {
		q.Set("actor", actor)
	}
	if action != "" {
		q.Set("action", action)
	}
	if pageSize > 0 {
		q.Set("max_page_size", strconv.Itoa(pageSize))
	}
	if pageToken != "" {
		q.Set("page_token", pageToken)
	}
	path := "/admin/audit"
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	var l List[AuditEvent]
	return l, c.do(ctx, http.MethodGet, path, nil, &l)
}
