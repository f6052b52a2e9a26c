package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/nmdc-runtime/server/domain"
)

// ListSiteClients returns a site's clients ordered by creation, then id.
func (s *Store) ListSiteClients(ctx context.Context, siteID string) ([]domain.SiteClient, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT id, site_id, secret_hash, created_at, created_by, last_used_at, tokens_valid_after
		FROM site_clients WHERE site_id = ? ORDER BY created_at, id`, siteID)
	if err != nil {
		return nil, translate(err)
	}
	defer rows.Close()
	out := []domain.SiteClient{}
	for rows.Next() {
		var c domain.SiteClient
		var created, used, cutoff int64
		if err := rows.Scan(&c.ID, &c.SiteID, &c.SecretHash, &created, &c.CreatedBy, &used, &cutoff); err != nil {
			return nil, translate(err)
		}
		c.CreatedAt, c.LastUsedAt, c.TokensValidAfter = fromMS(created), fromMS(used), fromMS(cutoff)
		out = append(out, c)
	}
	return out, translate(rows.Err())
}

// UpdateSiteClient replaces a client's secret hash and revocation cut-off.
func (s *Store) UpdateSiteClient(ctx context.Context, c domain.SiteClient) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		var oldHash string
		err := tx.QueryRowContext(ctx, `SELECT secret_hash FROM site_clients WHERE id = ?`, c.ID).Scan(&oldHash)
		if errors.Is(err, sql.ErrNoRows) {
			return domain.Errorf(domain.NotFound, "site client %q not found", c.ID)
		}
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE site_clients SET secret_hash = ?, tokens_valid_after = ? WHERE id = ?`, c.SecretHash, ms(c.TokensValidAfter), c.ID); err != nil {
			return err
		}
		if oldHash == c.SecretHash {
			return nil
		}
		return revokeClientLinks(ctx, tx, c.ID)
	})
}

// DeleteSiteClient deletes a client.
func (s *Store) DeleteSiteClient(ctx context.Context, id string) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM site_clients WHERE id = ?`, id)
		if err := affected(res, err, "site client %q not found", id); err != nil {
			return err
		}
		return revokeClientLinks(ctx, tx, id)
	})
}

// revokeClientLinks revokes the unopened share links of a client whose
// secret was replaced or which was deleted, erasing their sealed secrets.
func revokeClientLinks(ctx context.Context, tx *sql.Tx, id string) error {
	_, err := tx.ExecContext(ctx, `UPDATE share_links SET revoked = 1, sealed = x''
		WHERE kind = ? AND client_id = ? AND opened_at = 0 AND revoked = 0`, domain.ShareClientSecret, id)
	return err
}

// TouchSiteClient records a client's last use, at most once per granularity.
func (s *Store) TouchSiteClient(ctx context.Context, id string, at time.Time, granularity time.Duration) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE site_clients SET last_used_at = ? WHERE id = ? AND last_used_at <= ?`, ms(at), id, ms(at.Add(-granularity)))
		return err
	})
}

// affected turns "no row changed" into NotFound.
func affected(res sql.Result, err error, format string, args ...any) error {
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return domain.Errorf(domain.NotFound, format, args...)
	}
	return nil
}

// ListSiteAdmins returns the usernames administering a site.
func (s *Store) ListSiteAdmins(ctx context.Context, siteID string) ([]string, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT username FROM site_admins WHERE site_id = ? ORDER BY username`, siteID)
	if err != nil {
		return nil, translate(err)
	}
	defer rows.Close()
	out := []string{}
	for rows.Next() {
		var u string
		if err := rows.Scan(&u); err != nil {
			return nil, translate(err)
		}
		out = append(out, u)
	}
	return out, translate(rows.Err())
}

// ListSiteAdminsFolded returns the usernames whose site_admin list names
// the site id or one equal to it after ASCII case folding. SQLite's
// lower() folds ASCII letters only, as FoldSiteID does.
func (s *Store) ListSiteAdminsFolded(ctx context.Context, siteID string) ([]domain.SiteAdminGrant, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT username, site_id FROM site_admins WHERE lower(site_id) = ? ORDER BY username, site_id`, domain.FoldSiteID(siteID))
	if err != nil {
		return nil, translate(err)
	}
	defer rows.Close()
	out := []domain.SiteAdminGrant{}
	for rows.Next() {
		var g domain.SiteAdminGrant
		if err := rows.Scan(&g.Username, &g.SiteID); err != nil {
			return nil, translate(err)
		}
		out = append(out, g)
	}
	return out, translate(rows.Err())
}

// AddSiteAdmin appends a site to a user's site_admin list.
func (s *Store) AddSiteAdmin(ctx context.Context, siteID, username string) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO site_admins (username, site_id) VALUES (?, ?)`, username, siteID)
		switch {
		case isUnique(err):
			return domain.Errorf(domain.Conflict, "user %q already administers site %q", username, siteID)
		case isForeignKey(err):
			return domain.Errorf(domain.NotFound, "user %q not found", username)
		}
		return err
	})
}

// RemoveSiteAdmin removes a site from a user's site_admin list unless the
// user is its only admin. The write transaction makes the count and the
// delete one step.
func (s *Store) RemoveSiteAdmin(ctx context.Context, siteID, username string) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		var mine, all int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FILTER (WHERE username = ?), count(*) FROM site_admins WHERE site_id = ?`, username, siteID).Scan(&mine, &all); err != nil {
			return err
		}
		switch {
		case mine == 0:
			return domain.Errorf(domain.NotFound, "user %q does not administer site %q", username, siteID)
		case all <= 1:
			return domain.Errorf(domain.Conflict, "user %q is the only admin of site %q", username, siteID)
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM site_admins WHERE site_id = ? AND username = ?`, siteID, username)
		return err
	})
}

// ListAllowances returns allowances ordered by username, then action.
func (s *Store) ListAllowances(ctx context.Context, f domain.AllowanceFilter) (domain.Page[domain.Allowance], error) {
	afterUser, afterAction, err := domain.ParseAllowanceKey(f.After)
	if err != nil {
		return domain.Page[domain.Allowance]{}, err
	}
	rows, err := s.read.QueryContext(ctx, `SELECT username, action FROM allowances
		WHERE (? = '' OR username = ?) AND (? = '' OR action = ?)
		  AND (username > ? OR (username = ? AND action > ?))
		ORDER BY username, action LIMIT ?`,
		f.Username, f.Username, f.Action, f.Action, afterUser, afterUser, afterAction, f.Limit+1)
	if err != nil {
		return domain.Page[domain.Allowance]{}, translate(err)
	}
	defer rows.Close()
	var items []domain.Allowance
	for rows.Next() {
		var a domain.Allowance
		if err := rows.Scan(&a.Username, &a.Action); err != nil {
			return domain.Page[domain.Allowance]{}, translate(err)
		}
		items = append(items, a)
	}
	if err := rows.Err(); err != nil {
		return domain.Page[domain.Allowance]{}, translate(err)
	}
	return page(items, f.Limit, domain.AllowanceKey), nil
}

// HasAllowance reports whether a user holds an action.
func (s *Store) HasAllowance(ctx context.Context, username, action string) (bool, error) {
	var n int
	err := s.read.QueryRowContext(ctx, `SELECT count(*) FROM allowances WHERE username = ? AND action = ?`, username, action).Scan(&n)
	return n > 0, translate(err)
}

// CreateAllowance inserts an allowance.
func (s *Store) CreateAllowance(ctx context.Context, a domain.Allowance) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO allowances (username, action) VALUES (?, ?)`, a.Username, a.Action)
		if isUnique(err) {
			return domain.Errorf(domain.Conflict, "allowance %q for user %q already exists", a.Action, a.Username)
		}
		return err
	})
}

// DeleteAllowance deletes an allowance.
func (s *Store) DeleteAllowance(ctx context.Context, a domain.Allowance) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		if a.Action == domain.ActionAdminAllowances {
			// The write transaction makes the count and the delete one step.
			var mine, all int
			if err := tx.QueryRowContext(ctx, `SELECT count(*) FILTER (WHERE username = ?), count(*) FROM allowances WHERE action = ?`, a.Username, a.Action).Scan(&mine, &all); err != nil {
				return err
			}
			if mine > 0 && all <= 1 {
				return domain.LastAllowanceAdminError(a.Username)
			}
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM allowances WHERE username = ? AND action = ?`, a.Username, a.Action)
		return affected(res, err, "allowance %q for user %q not found", a.Action, a.Username)
	})
}

// CreateCapability inserts a capability.
func (s *Store) CreateCapability(ctx context.Context, c domain.Capability) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO capabilities (id, name, description, created_at) VALUES (?, ?, ?, ?)`, c.ID, c.Name, c.Description, ms(c.CreatedAt))
		if isUnique(err) {
			return domain.Errorf(domain.Conflict, "capability %q already exists", c.ID)
		}
		return err
	})
}

func scanCapability(row interface{ Scan(...any) error }) (domain.Capability, error) {
	var c domain.Capability
	var created int64
	if err := row.Scan(&c.ID, &c.Name, &c.Description, &created); err != nil {
		return domain.Capability{}, err
	}
	c.CreatedAt = fromMS(created)
	return c, nil
}

// GetCapability returns a capability by id.
func (s *Store) GetCapability(ctx context.Context, id string) (domain.Capability, error) {
	c, err := scanCapability(s.read.QueryRowContext(ctx, `SELECT id, name, description, created_at FROM capabilities WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return domain.Capability{}, domain.Errorf(domain.NotFound, "capability %q not found", id)
	}
	return c, translate(err)
}

// ListCapabilities returns capabilities ordered by id.
func (s *Store) ListCapabilities(ctx context.Context, f domain.ListFilter) (domain.Page[domain.Capability], error) {
	rows, err := s.read.QueryContext(ctx, `SELECT id, name, description, created_at FROM capabilities WHERE id > ? ORDER BY id LIMIT ?`, f.After, f.Limit+1)
	if err != nil {
		return domain.Page[domain.Capability]{}, translate(err)
	}
	defer rows.Close()
	var items []domain.Capability
	for rows.Next() {
		c, err := scanCapability(rows)
		if err != nil {
			return domain.Page[domain.Capability]{}, translate(err)
		}
		items = append(items, c)
	}
	if err := rows.Err(); err != nil {
		return domain.Page[domain.Capability]{}, translate(err)
	}
	return page(items, f.Limit, func(c domain.Capability) string { return c.ID }), nil
}

// CreateShareLink inserts a one-time link.
func (s *Store) CreateShareLink(ctx context.Context, l domain.ShareLink) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		// Expired links keep their rows (they answer "expired"), not their
		// sealed secrets.
		if _, err := tx.ExecContext(ctx, `UPDATE share_links SET sealed = x'' WHERE expires_at <= ? AND length(sealed) > 0`, ms(l.CreatedAt)); err != nil {
			return err
		}
		if l.SecretHash != "" {
			current, err := currentSecretHash(ctx, tx, l)
			if err != nil {
				return err
			}
			if current != l.SecretHash {
				l.Revoked, l.Sealed = true, []byte{}
			}
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO share_links (token_hash, kind, username, site_id, client_id, sealed, created_at, created_by, expires_at, opened_at, revoked)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			l.TokenHash, l.Kind, l.Username, l.SiteID, l.ClientID, l.Sealed, ms(l.CreatedAt), l.CreatedBy, ms(l.ExpiresAt), ms(l.OpenedAt), l.Revoked)
		if isUnique(err) {
			return domain.Errorf(domain.Conflict, "share link already exists")
		}
		return err
	})
}

// currentSecretHash returns the hash that the credential a link reveals
// has now: "" when its user or client is gone.
func currentSecretHash(ctx context.Context, tx *sql.Tx, l domain.ShareLink) (string, error) {
	var h string
	var err error
	switch l.Kind {
	case domain.ShareUserPassword:
		err = tx.QueryRowContext(ctx, `SELECT password_hash FROM users WHERE username = ?`, l.Username).Scan(&h)
	case domain.ShareClientSecret:
		err = tx.QueryRowContext(ctx, `SELECT secret_hash FROM site_clients WHERE id = ?`, l.ClientID).Scan(&h)
	}
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return h, err
}

// OpenShareLink returns a link as it was and marks it opened, erasing its
// sealed secret, in one write transaction.
func (s *Store) OpenShareLink(ctx context.Context, tokenHash string, now time.Time) (domain.ShareLink, error) {
	var l domain.ShareLink
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var created, expires, opened int64
		err := tx.QueryRowContext(ctx, `SELECT token_hash, kind, username, site_id, client_id, sealed, created_at, created_by, expires_at, opened_at, revoked
			FROM share_links WHERE token_hash = ?`, tokenHash).
			Scan(&l.TokenHash, &l.Kind, &l.Username, &l.SiteID, &l.ClientID, &l.Sealed, &created, &l.CreatedBy, &expires, &opened, &l.Revoked)
		if errors.Is(err, sql.ErrNoRows) {
			return domain.Errorf(domain.NotFound, "share link not found")
		}
		if err != nil {
			return err
		}
		l.CreatedAt, l.ExpiresAt, l.OpenedAt = fromMS(created), fromMS(expires), fromMS(opened)
		if opened != 0 {
			return nil
		}
		_, err = tx.ExecContext(ctx, `UPDATE share_links SET opened_at = ?, sealed = x'' WHERE token_hash = ?`, max(ms(now), 1), tokenHash)
		return err
	})
	if err != nil {
		return domain.ShareLink{}, err
	}
	return l, nil
}
