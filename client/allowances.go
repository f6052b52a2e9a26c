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

// ListAllowances returns one page of allowances (holders of the allowance
// "/admin/allowances" only).
func (c *Client) ListAllowances(ctx context.Context, pageSize int, pageToken string) (List[Allowance], error) {
	var l List[Allowance]
	return l, c.do(ctx, http.MethodGet, "/admin/allowances"+pageQuery(pageSize, pageToken), nil, &l)
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
