package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/nmdc-runtime/server/domain"
)

const clientColumns = `id, site_id, secret_hash, created_at, created_by, last_used_at, tokens_valid_after`

func scanClient(row pgx.Row) (domain.SiteClient, error) {
	var c domain.SiteClient
	var used, cutoff *time.Time
	if err := row.Scan(&c.ID, &c.SiteID, &c.SecretHash, &c.CreatedAt, &c.CreatedBy, &used, &cutoff); err != nil {
		return domain.SiteClient{}, err
	}
	c.CreatedAt, c.LastUsedAt, c.TokensValidAfter = c.CreatedAt.UTC(), fromNull(used), fromNull(cutoff)
	return c, nil
}

// ListSiteClients returns a site's clients ordered by creation, then id.
func (s *Store) ListSiteClients(ctx context.Context, siteID string) ([]domain.SiteClient, error) {
	if !storable(siteID) {
		return []domain.SiteClient{}, nil
	}
	ctx, cancel := s.call(ctx)
	defer cancel()
	rows, err := s.pool.Query(ctx, `SELECT `+clientColumns+` FROM site_clients WHERE site_id = $1 ORDER BY created_at, id`, siteID)
	if err != nil {
		return nil, translate(err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (domain.SiteClient, error) { return scanClient(r) })
	if err != nil {
		return nil, translate(err)
	}
	if out == nil {
		out = []domain.SiteClient{}
	}
	return out, nil
}

// affected turns "no row changed" into NotFound.
func affected(tag pgconn.CommandTag, err error, format string, args ...any) error {
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return domain.Errorf(domain.NotFound, format, args...)
	}
	return nil
}

// UpdateSiteClient replaces a client's secret hash and revocation cut-off.
func (s *Store) UpdateSiteClient(ctx context.Context, c domain.SiteClient) error {
	if !storable(c.ID) {
		return domain.Errorf(domain.NotFound, "site client %q not found", c.ID)
	}
	return s.tx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		var oldHash string
		err := tx.QueryRow(ctx, `SELECT secret_hash FROM site_clients WHERE id = $1 FOR UPDATE`, c.ID).Scan(&oldHash)
		if errors.Is(err, pgx.ErrNoRows) {
			return domain.Errorf(domain.NotFound, "site client %q not found", c.ID)
		}
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE site_clients SET secret_hash = $1, tokens_valid_after = $2 WHERE id = $3`, c.SecretHash, nullTime(c.TokensValidAfter), c.ID); err != nil {
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
	if !storable(id) {
		return domain.Errorf(domain.NotFound, "site client %q not found", id)
	}
	return s.tx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM site_clients WHERE id = $1`, id)
		if err := affected(tag, err, "site client %q not found", id); err != nil {
			return err
		}
		return revokeClientLinks(ctx, tx, id)
	})
}

// revokeClientLinks revokes the unopened share links of a client whose
// secret was replaced or which was deleted, erasing their sealed secrets.
func revokeClientLinks(ctx context.Context, tx pgx.Tx, id string) error {
	_, err := tx.Exec(ctx, `UPDATE share_links SET revoked = true, sealed = ''::bytea
		WHERE kind = $1 AND client_id = $2 AND opened_at IS NULL AND NOT revoked`, domain.ShareClientSecret, id)
	return err
}

// TouchSiteClient records a client's last use, at most once per
// granularity: the condition makes most logins read-only.
func (s *Store) TouchSiteClient(ctx context.Context, id string, at time.Time, granularity time.Duration) error {
	if !storable(id) {
		return nil
	}
	ctx, cancel := s.call(ctx)
	defer cancel()
	_, err := s.pool.Exec(ctx, `UPDATE site_clients SET last_used_at = $1 WHERE id = $2 AND (last_used_at IS NULL OR last_used_at <= $3)`, at, id, at.Add(-granularity))
	return translate(err)
}

// ListSiteAdmins returns the usernames administering a site.
func (s *Store) ListSiteAdmins(ctx context.Context, siteID string) ([]string, error) {
	if !storable(siteID) {
		return []string{}, nil
	}
	ctx, cancel := s.call(ctx)
	defer cancel()
	rows, err := s.pool.Query(ctx, `SELECT username FROM site_admins WHERE site_id = $1 ORDER BY username`, siteID)
	if err != nil {
		return nil, translate(err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, translate(err)
	}
	if out == nil {
		out = []string{}
	}
	return out, nil
}

// ListSiteAdminsFolded returns the usernames whose site_admin list names
// the site id or one equal to it after ASCII case folding (lower() under
// COLLATE "C" folds ASCII letters only, as FoldSiteID does).
func (s *Store) ListSiteAdminsFolded(ctx context.Context, siteID string) ([]domain.SiteAdminGrant, error) {
	if !storable(siteID) {
		return []domain.SiteAdminGrant{}, nil
	}
	ctx, cancel := s.call(ctx)
	defer cancel()
	rows, err := s.pool.Query(ctx, `SELECT username, site_id FROM site_admins WHERE lower(site_id COLLATE "C") = $1 ORDER BY username, site_id`, domain.FoldSiteID(siteID))
	if err != nil {
		return nil, translate(err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (domain.SiteAdminGrant, error) {
		var g domain.SiteAdminGrant
		err := r.Scan(&g.Username, &g.SiteID)
		return g, err
	})
	if err != nil {
		return nil, translate(err)
	}
	if out == nil {
		out = []domain.SiteAdminGrant{}
	}
	return out, nil
}

// AddSiteAdmin appends a site to a user's site_admin list.
func (s *Store) AddSiteAdmin(ctx context.Context, siteID, username string) error {
	if !storable(username) {
		return domain.Errorf(domain.NotFound, "user %q not found", username)
	}
	if !storable(siteID) {
		return domain.Errorf(domain.Invalid, "site id %q cannot be stored", siteID)
	}
	return s.tx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO site_admins (username, site_id) VALUES ($1, $2)`, username, siteID)
		switch pgCode(err) {
		case codeUniqueViolation:
			return domain.Errorf(domain.Conflict, "user %q already administers site %q", username, siteID)
		case codeForeignKeyViolation:
			return domain.Errorf(domain.NotFound, "user %q not found", username)
		}
		return err
	})
}

// RemoveSiteAdmin removes a site from a user's site_admin list unless the
// user is its only admin. Locking the site's admin rows (FOR UPDATE) makes
// concurrent removals on several instances take turns, so the count one
// sees is the count it deletes from.
func (s *Store) RemoveSiteAdmin(ctx context.Context, siteID, username string) error {
	if !storable(siteID) || !storable(username) {
		return domain.Errorf(domain.NotFound, "user %q does not administer site %q", username, siteID)
	}
	return s.tx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT username FROM site_admins WHERE site_id = $1 ORDER BY seq FOR UPDATE`, siteID)
		if err != nil {
			return err
		}
		admins, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return err
		}
		mine := false
		for _, a := range admins {
			mine = mine || a == username
		}
		switch {
		case !mine:
			return domain.Errorf(domain.NotFound, "user %q does not administer site %q", username, siteID)
		case len(admins) <= 1:
			return domain.Errorf(domain.Conflict, "user %q is the only admin of site %q", username, siteID)
		}
		_, err = tx.Exec(ctx, `DELETE FROM site_admins WHERE site_id = $1 AND username = $2`, siteID, username)
		return err
	})
}

// ListAllowances returns allowances ordered by username, then action.
func (s *Store) ListAllowances(ctx context.Context, f domain.AllowanceFilter) (domain.Page[domain.Allowance], error) {
	afterUser, afterAction, err := domain.ParseAllowanceKey(f.After)
	if err != nil {
		return domain.Page[domain.Allowance]{}, err
	}
	if !storable(f.Username) || !storable(f.Action) || !storable(afterUser) || !storable(afterAction) {
		return domain.Page[domain.Allowance]{Items: []domain.Allowance{}}, nil
	}
	ctx, cancel := s.call(ctx)
	defer cancel()
	rows, err := s.pool.Query(ctx, `SELECT username, action FROM allowances
		WHERE ($1 = '' OR username = $1) AND ($2 = '' OR action = $2)
		  AND (username, action) > ($3, $4)
		ORDER BY username, action LIMIT $5`,
		f.Username, f.Action, afterUser, afterAction, f.Limit+1)
	if err != nil {
		return domain.Page[domain.Allowance]{}, translate(err)
	}
	items, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (domain.Allowance, error) {
		var a domain.Allowance
		err := r.Scan(&a.Username, &a.Action)
		return a, err
	})
	if err != nil {
		return domain.Page[domain.Allowance]{}, translate(err)
	}
	return page(items, f.Limit, domain.AllowanceKey), nil
}

// HasAllowance reports whether a user holds an action.
func (s *Store) HasAllowance(ctx context.Context, username, action string) (bool, error) {
	if !storable(username) || !storable(action) {
		return false, nil
	}
	ctx, cancel := s.call(ctx)
	defer cancel()
	var ok bool
	err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM allowances WHERE username = $1 AND action = $2)`, username, action).Scan(&ok)
	return ok, translate(err)
}

// CreateAllowance inserts an allowance.
func (s *Store) CreateAllowance(ctx context.Context, a domain.Allowance) error {
	return s.tx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO allowances (username, action) VALUES ($1, $2)`, a.Username, a.Action)
		if pgCode(err) == codeUniqueViolation {
			return domain.Errorf(domain.Conflict, "allowance %q for user %q already exists", a.Action, a.Username)
		}
		return err
	})
}

// DeleteAllowance deletes an allowance.
func (s *Store) DeleteAllowance(ctx context.Context, a domain.Allowance) error {
	if !storable(a.Username) || !storable(a.Action) {
		return domain.Errorf(domain.NotFound, "allowance %q for user %q not found", a.Action, a.Username)
	}
	return s.tx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		if a.Action == domain.ActionAdminAllowances {
			// Locking the action's rows makes concurrent revocations on
			// several instances take turns, as in RemoveSiteAdmin.
			rows, err := tx.Query(ctx, `SELECT username FROM allowances WHERE action = $1 ORDER BY username FOR UPDATE`, a.Action)
			if err != nil {
				return err
			}
			holders, err := pgx.CollectRows(rows, pgx.RowTo[string])
			if err != nil {
				return err
			}
			if len(holders) == 1 && holders[0] == a.Username {
				return domain.LastAllowanceAdminError(a.Username)
			}
		}
		tag, err := tx.Exec(ctx, `DELETE FROM allowances WHERE username = $1 AND action = $2`, a.Username, a.Action)
		return affected(tag, err, "allowance %q for user %q not found", a.Action, a.Username)
	})
}

// CreateCapability inserts a capability.
func (s *Store) CreateCapability(ctx context.Context, c domain.Capability) error {
	return s.tx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO capabilities (id, name, description, created_at) VALUES ($1, $2, $3, $4)`, c.ID, c.Name, c.Description, c.CreatedAt)
		if pgCode(err) == codeUniqueViolation {
			return domain.Errorf(domain.Conflict, "capability %q already exists", c.ID)
		}
		return err
	})
}

func scanCapability(row pgx.Row) (domain.Capability, error) {
	var c domain.Capability
	if err := row.Scan(&c.ID, &c.Name, &c.Description, &c.CreatedAt); err != nil {
		return domain.Capability{}, err
	}
	c.CreatedAt = c.CreatedAt.UTC()
	return c, nil
}

// GetCapability returns a capability by id.
func (s *Store) GetCapability(ctx context.Context, id string) (domain.Capability, error) {
	notFound := domain.Errorf(domain.NotFound, "capability %q not found", id)
	if !storable(id) {
		return domain.Capability{}, notFound
	}
	ctx, cancel := s.call(ctx)
	defer cancel()
	c, err := scanCapability(s.pool.QueryRow(ctx, `SELECT id, name, description, created_at FROM capabilities WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return domain.Capability{}, notFound
	}
	if err != nil {
		return domain.Capability{}, translate(err)
	}
	return c, nil
}

// ListCapabilities returns capabilities ordered by id.
func (s *Store) ListCapabilities(ctx context.Context, f domain.ListFilter) (domain.Page[domain.Capability], error) {
	if !storable(f.After) {
		return domain.Page[domain.Capability]{Items: []domain.Capability{}}, nil
	}
	ctx, cancel := s.call(ctx)
	defer cancel()
	rows, err := s.pool.Query(ctx, `SELECT id, name, description, created_at FROM capabilities WHERE id > $1 ORDER BY id LIMIT $2`, f.After, f.Limit+1)
	if err != nil {
		return domain.Page[domain.Capability]{}, translate(err)
	}
	items, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (domain.Capability, error) { return scanCapability(r) })
	if err != nil {
		return domain.Page[domain.Capability]{}, translate(err)
	}
	return page(items, f.Limit, func(c domain.Capability) string { return c.ID }), nil
}

// CreateShareLink inserts a one-time link.
func (s *Store) CreateShareLink(ctx context.Context, l domain.ShareLink) error {
	return s.tx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		// Expired links keep their rows (they answer "expired"), not their
		// sealed secrets.
		if _, err := tx.Exec(ctx, `UPDATE share_links SET sealed = ''::bytea WHERE expires_at <= $1 AND length(sealed) > 0`, l.CreatedAt); err != nil {
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
		_, err := tx.Exec(ctx, `INSERT INTO share_links (token_hash, kind, username, site_id, client_id, sealed, created_at, created_by, expires_at, opened_at, revoked)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
			l.TokenHash, l.Kind, l.Username, l.SiteID, l.ClientID, l.Sealed, l.CreatedAt, l.CreatedBy, l.ExpiresAt, nullTime(l.OpenedAt), l.Revoked)
		if pgCode(err) == codeUniqueViolation {
			return domain.Errorf(domain.Conflict, "share link already exists")
		}
		return err
	})
}

// currentSecretHash returns the hash that the credential a link reveals
// has now ("" when its user or client is gone). FOR SHARE orders it with a
// concurrent UpdateUser or UpdateSiteClient, which lock the row FOR
// UPDATE: either the update sees this link and revokes it, or this sees
// the new hash.
func currentSecretHash(ctx context.Context, tx pgx.Tx, l domain.ShareLink) (string, error) {
	var h string
	var err error
	switch {
	case l.Kind == domain.ShareUserPassword && storable(l.Username):
		err = tx.QueryRow(ctx, `SELECT password_hash FROM users WHERE username = $1 FOR SHARE`, l.Username).Scan(&h)
	case l.Kind == domain.ShareClientSecret && storable(l.ClientID):
		err = tx.QueryRow(ctx, `SELECT secret_hash FROM site_clients WHERE id = $1 FOR SHARE`, l.ClientID).Scan(&h)
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return "", nil
	}
	return h, err
}

// OpenShareLink returns a link as it was and marks it opened, erasing its
// sealed secret. The row lock (FOR UPDATE) makes concurrent openers on
// several instances take turns: exactly one sees it unopened.
func (s *Store) OpenShareLink(ctx context.Context, tokenHash string, now time.Time) (domain.ShareLink, error) {
	notFound := domain.Errorf(domain.NotFound, "share link not found")
	if !storable(tokenHash) {
		return domain.ShareLink{}, notFound
	}
	var l domain.ShareLink
	err := s.tx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		var opened *time.Time
		err := tx.QueryRow(ctx, `SELECT token_hash, kind, username, site_id, client_id, sealed, created_at, created_by, expires_at, opened_at, revoked
			FROM share_links WHERE token_hash = $1 FOR UPDATE`, tokenHash).
			Scan(&l.TokenHash, &l.Kind, &l.Username, &l.SiteID, &l.ClientID, &l.Sealed, &l.CreatedAt, &l.CreatedBy, &l.ExpiresAt, &opened, &l.Revoked)
		if errors.Is(err, pgx.ErrNoRows) {
			return notFound
		}
		if err != nil {
			return err
		}
		l.CreatedAt, l.ExpiresAt, l.OpenedAt = l.CreatedAt.UTC(), l.ExpiresAt.UTC(), fromNull(opened)
		if opened != nil {
			return nil
		}
		_, err = tx.Exec(ctx, `UPDATE share_links SET opened_at = $1, sealed = ''::bytea WHERE token_hash = $2`, now, tokenHash)
		return err
	})
	if err != nil {
		return domain.ShareLink{}, err
	}
	return l, nil
}
