package client

import (
	"context"
	"net/http"
	"net/url"
)

// Allowance lets a user perform a guarded action.
type Allowance struct {
	Username string `json:"username"`
	Action   string `json:"action"`
}

// ListAllowances returns one page of allowances, of one user and one
// action when filter names them (holders of the allowance
// "/admin/allowances" only).
func (c *Client) ListAllowances(ctx context.Context, filter Allowance, pageSize int, pageToken string) (List[Allowance], error) {
	q := url.Values{}
	if filter.Username != "" {
		q.Set("username", filter.Username)
	}
	if filter.Action != "" {
		q.Set("action", filter.Action)
	}
	path := "/admin/allowances" + encodeQuery(addPage(q, pageSize, pageToken))
	var l List[Allowance]
	return l, c.do(ctx, http.MethodGet, path, nil, &l)
}

// CreateAllowance grants an allowance.
func (c *Client) CreateAllowance(ctx context.Context, a Allowance) (Allowance, error) {
	var out Allowance
	return out, c.do(ctx, http.MethodPost, "/admin/allowances", a, &out)
}

// DeleteAllowance revokes an allowance.
func (c *Client) DeleteAllowance(ctx context.Context, a Allowance) error {
	q := url.Values{"username": {a.Username}, "action": {a.Action}}
	return c.do(ctx, http.MethodDelete, "/admin/allowances?"+q.Encode(), nil, nil)
}

// AllowanceActions lists the action names an allowance may carry.
func (c *Client) AllowanceActions(ctx context.Context) ([]string, error) {
	var out []string
	return out, c.do(ctx, http.MethodGet, "/admin/allowances/actions", nil, &out)
}

// Capability is something a site can do.
type Capability struct {
	ID          string  `json:"id"`
	Name        *string `json:"name"`
	Description *string `json:"description"`
	CreatedAt   string  `json:"created_at,omitempty"`
}

// ListCapabilities returns one page of capabilities.
func (c *Client) ListCapabilities(ctx context.Context, pageSize int, pageToken string) (List[Capability], error) {
	var l List[Capability]
	return l, c.do(ctx, http.MethodGet, "/capabilities"+pageQuery(pageSize, pageToken), nil, &l)
}

// GetCapability returns one capability.
func (c *Client) GetCapability(ctx context.Context, id string) (Capability, error) {
	var out Capability
	return out, c.do(ctx, http.MethodGet, "/capabilities/"+url.PathEscape(id), nil, &out)
}
