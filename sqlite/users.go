package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"

	"github.com/nmdc-runtime/server/domain"
)

// userColumns selects a user with its site_admin list as a JSON array in
// grant order, so one query returns the whole user.
const userColumns = `u.username, u.email, u.full_name, u.disabled, u.password_hash, u.created_at, u.tokens_valid_after,
	(SELECT json_group_array(site_id) FROM (SELECT site_id FROM site_admins a WHERE a.username = u.username ORDER BY a.seq))`

func scanUser(row interface{ Scan(...any) error }) (domain.User, error) {
	var u domain.User
	var created, cutoff int64
	var admins string
	if err := row.Scan(&u.Username, &u.Email, &u.FullName, &u.Disabled, &u.PasswordHash, &created, &cutoff, &admins); err != nil {
		return domain.User{}, err
	}
	u.CreatedAt, u.TokensValidAfter = fromMS(created), fromMS(cutoff)
	if err := json.Unmarshal([]byte(admins), &u.SiteAdmin); err != nil {
		return domain.User{}, err
	}
	return u, nil
}

func insertUser(ctx context.Context, tx *sql.Tx, u domain.User) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO users (username, fold_key, email, full_name, disabled, password_hash, created_at, tokens_valid_after)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		u.Username, domain.FoldUsername(u.Username), u.Email, u.FullName, u.Disabled, u.PasswordHash, ms(u.CreatedAt), ms(u.TokensValidAfter))
	if isUnique(err) {
		var n int
		if tx.QueryRowContext(ctx, `SELECT count(*) FROM users WHERE username = ?`, u.Username).Scan(&n); n > 0 {
			return domain.Errorf(domain.Conflict, "username %q is already taken", u.Username)
		}
		return domain.Errorf(domain.Conflict, "username %q is too similar to an existing username (they differ only in letter case or Unicode form); choose another", u.Username)
	}
	if err != nil {
		return err
	}
	return insertSiteAdmins(ctx, tx, u.Username, u.SiteAdmin)
}

func insertSiteAdmins(ctx context.Context, tx *sql.Tx, username string, sites []string) error {
	for _, site := range sites {
		if _, err := tx.ExecContext(ctx, `INSERT INTO site_admins (username, site_id) VALUES (?, ?) ON CONFLICT DO NOTHING`, username, site); err != nil {
			return err
		}
	}
	return nil
}

// CreateUser inserts a user with its site_admin list.
func (s *Store) CreateUser(ctx context.Context, u domain.User) error {
	return s.tx(ctx, func(tx *sql.Tx) error { return insertUser(ctx, tx, u) })
}

// GetUser returns the user with exactly this username.
func (s *Store) GetUser(ctx context.Context, username string) (domain.User, error) {
	u, err := scanUser(s.read.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users u WHERE u.username = ?`, username))
	if errors.Is(err, sql.ErrNoRows) {
		return domain.User{}, domain.Errorf(domain.NotFound, "user %q not found", username)
	}
	return u, translate(err)
}

// UpdateUser replaces a user's fields and site_admin list.
func (s *Store) UpdateUser(ctx context.Context, u domain.User) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		var oldHash string
		err := tx.QueryRowContext(ctx, `SELECT password_hash FROM users WHERE username = ?`, u.Username).Scan(&oldHash)
		if errors.Is(err, sql.ErrNoRows) {
			return domain.Errorf(domain.NotFound, "user %q not found", u.Username)
		}
		if err != nil {
			return err
		}
		// The write transaction makes the last-admin check and the
		// replacement of the list one step.
		if err := checkDroppedSites(ctx, tx, u); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE users SET email = ?, full_name = ?, disabled = ?, password_hash = ?, tokens_valid_after = ? WHERE username = ?`,
			u.Email, u.FullName, u.Disabled, u.PasswordHash, ms(u.TokensValidAfter), u.Username); err != nil {
			return err
		}
		if oldHash != u.PasswordHash {
			if _, err := tx.ExecContext(ctx, `UPDATE share_links SET revoked = 1, sealed = x''
				WHERE kind = ? AND username = ? AND opened_at = 0 AND revoked = 0`, domain.ShareUserPassword, u.Username); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM site_admins WHERE username = ?`, u.Username); err != nil {
			return err
		}
		return insertSiteAdmins(ctx, tx, u.Username, u.SiteAdmin)
	})
}

// checkDroppedSites refuses, with LastAdminError, a new site_admin list
// that drops an existing site of which the user is the only admin.
func checkDroppedSites(ctx context.Context, tx *sql.Tx, u domain.User) error {
	keep, err := json.Marshal(nonNil(u.SiteAdmin))
	if err != nil {
		return err
	}
	var site string
	err = tx.QueryRowContext(ctx, `SELECT a.site_id FROM site_admins a JOIN sites s ON s.id = a.site_id
		WHERE a.username = ? AND a.site_id NOT IN (SELECT value FROM json_each(?))
		  AND NOT EXISTS (SELECT 1 FROM site_admins o WHERE o.site_id = a.site_id AND o.username <> a.username)
		ORDER BY a.seq LIMIT 1`, u.Username, string(keep)).Scan(&site)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil
	case err != nil:
		return err
	}
	return domain.LastAdminError(u.Username, site)
}

// ListUsers returns users ordered by username.
func (s *Store) ListUsers(ctx context.Context, f domain.ListFilter) (domain.Page[domain.User], error) {
	rows, err := s.read.QueryContext(ctx, `SELECT `+userColumns+` FROM users u WHERE u.username > ? ORDER BY u.username LIMIT ?`, f.After, f.Limit+1)
	if err != nil {
		return domain.Page[domain.User]{}, translate(err)
	}
	defer rows.Close()
	var items []domain.User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return domain.Page[domain.User]{}, err
		}
		items = append(items, u)
	}
	if err := rows.Err(); err != nil {
		return domain.Page[domain.User]{}, translate(err)
	}
	return page(items, f.Limit, func(u domain.User) string { return u.Username }), nil
}

// page cuts a result fetched with limit+1 rows into a page and its token.
func page[T any](items []T, limit int, key func(T) string) domain.Page[T] {
	p := domain.Page[T]{Items: items}
	if len(items) > limit {
		p.Items = items[:limit]
		p.NextPageToken = domain.EncodePageToken(key(items[limit-1]))
	}
	if p.Items == nil {
		p.Items = []T{}
	}
	return p
}
