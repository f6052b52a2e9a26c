package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/nmdc-runtime/server/domain"
)

// userColumns selects a user with its site_admin list in grant order, so
// one query returns the whole user.
const userColumns = `u.username, u.email, u.full_name, u.disabled, u.password_hash, u.created_at, u.tokens_valid_after,
	coalesce((SELECT array_agg(a.site_id ORDER BY a.seq) FROM site_admins a WHERE a.username = u.username), '{}')`

func scanUser(row pgx.Row) (domain.User, error) {
	var u domain.User
	var cutoff *time.Time
	if err := row.Scan(&u.Username, &u.Email, &u.FullName, &u.Disabled, &u.PasswordHash, &u.CreatedAt, &cutoff, &u.SiteAdmin); err != nil {
		return domain.User{}, err
	}
	u.CreatedAt, u.TokensValidAfter = u.CreatedAt.UTC(), fromNull(cutoff)
	return u, nil
}

func insertUser(ctx context.Context, tx pgx.Tx, u domain.User) error {
	_, err := tx.Exec(ctx, `INSERT INTO users (username, fold_key, email, full_name, disabled, password_hash, created_at, tokens_valid_after)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		u.Username, domain.FoldUsername(u.Username), u.Email, u.FullName, u.Disabled, u.PasswordHash, u.CreatedAt, nullTime(u.TokensValidAfter))
	if pgCode(err) == codeUniqueViolation {
		if constraint(err) == "users_pkey" {
			return domain.Errorf(domain.Conflict, "username %q is already taken", u.Username)
		}
		return domain.Errorf(domain.Conflict, "username %q is too similar to an existing username (they differ only in letter case or Unicode form); choose another", u.Username)
	}
	if err != nil {
		return err
	}
	return insertSiteAdmins(ctx, tx, u.Username, u.SiteAdmin)
}

// insertSiteAdmins grants sites in list order: the statements of a batch
// run one after another, so seq follows the list.
func insertSiteAdmins(ctx context.Context, tx pgx.Tx, username string, sites []string) error {
	if len(sites) == 0 {
		return nil
	}
	b := &pgx.Batch{}
	for _, site := range sites {
		b.Queue(`INSERT INTO site_admins (username, site_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`, username, site)
	}
	return tx.SendBatch(ctx, b).Close()
}

// CreateUser inserts a user with its site_admin list.
func (s *Store) CreateUser(ctx context.Context, u domain.User) error {
	return s.tx(ctx, func(ctx context.Context, tx pgx.Tx) error { return insertUser(ctx, tx, u) })
}

// GetUser returns the user with exactly this username.
func (s *Store) GetUser(ctx context.Context, username string) (domain.User, error) {
	notFound := domain.Errorf(domain.NotFound, "user %q not found", username)
	if !storable(username) {
		return domain.User{}, notFound
	}
	ctx, cancel := s.call(ctx)
	defer cancel()
	u, err := scanUser(s.pool.QueryRow(ctx, `SELECT `+userColumns+` FROM users u WHERE u.username = $1`, username))
	if errors.Is(err, pgx.ErrNoRows) {
		return domain.User{}, notFound
	}
	if err != nil {
		return domain.User{}, translate(err)
	}
	return u, nil
}

// UpdateUser replaces a user's fields and site_admin list.
func (s *Store) UpdateUser(ctx context.Context, u domain.User) error {
	if !storable(u.Username) {
		return domain.Errorf(domain.NotFound, "user %q not found", u.Username)
	}
	return s.tx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		// The row lock orders this update with CreateShareLink, which
		// reads the hash FOR SHARE.
		var oldHash string
		err := tx.QueryRow(ctx, `SELECT password_hash FROM users WHERE username = $1 FOR UPDATE`, u.Username).Scan(&oldHash)
		if errors.Is(err, pgx.ErrNoRows) {
			return domain.Errorf(domain.NotFound, "user %q not found", u.Username)
		}
		if err != nil {
			return err
		}
		if err := checkDroppedSites(ctx, tx, u); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE users SET email = $1, full_name = $2, disabled = $3, password_hash = $4, tokens_valid_after = $5 WHERE username = $6`,
			u.Email, u.FullName, u.Disabled, u.PasswordHash, nullTime(u.TokensValidAfter), u.Username); err != nil {
			return err
		}
		if oldHash != u.PasswordHash {
			if _, err := tx.Exec(ctx, `UPDATE share_links SET revoked = true, sealed = ''::bytea
				WHERE kind = $1 AND username = $2 AND opened_at IS NULL AND NOT revoked`, domain.ShareUserPassword, u.Username); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(ctx, `DELETE FROM site_admins WHERE username = $1`, u.Username); err != nil {
			return err
		}
		return insertSiteAdmins(ctx, tx, u.Username, u.SiteAdmin)
	})
}

// checkDroppedSites refuses, with LastAdminError, a new site_admin list
// that drops an existing site of which the user is the only admin. It
// locks the admin rows of the dropped sites (FOR UPDATE, in the order
// RemoveSiteAdmin locks them) so that concurrent removals on several
// instances take turns: the count one sees is the count it deletes from.
func checkDroppedSites(ctx context.Context, tx pgx.Tx, u domain.User) error {
	keep := storableOnly(u.SiteAdmin)
	rows, err := tx.Query(ctx, `SELECT a.site_id, a.username FROM site_admins a
		WHERE a.site_id IN (SELECT site_id FROM site_admins WHERE username = $1 AND NOT (site_id = ANY($2)))
		  AND EXISTS (SELECT 1 FROM sites s WHERE s.id = a.site_id)
		ORDER BY a.site_id, a.seq FOR UPDATE OF a`, u.Username, keep)
	if err != nil {
		return err
	}
	type pair struct{ site, user string }
	pairs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (pair, error) {
		var p pair
		err := r.Scan(&p.site, &p.user)
		return p, err
	})
	if err != nil {
		return err
	}
	mine, others := map[string]bool{}, map[string]bool{}
	var order []string
	for _, p := range pairs {
		if p.user == u.Username {
			mine[p.site] = true
			order = append(order, p.site)
		} else {
			others[p.site] = true
		}
	}
	for _, site := range order {
		if mine[site] && !others[site] {
			return domain.LastAdminError(u.Username, site)
		}
	}
	return nil
}

// ListUsers returns users ordered by username.
func (s *Store) ListUsers(ctx context.Context, f domain.ListFilter) (domain.Page[domain.User], error) {
	ctx, cancel := s.call(ctx)
	defer cancel()
	rows, err := s.pool.Query(ctx, `SELECT `+userColumns+` FROM users u WHERE u.username > $1 ORDER BY u.username LIMIT $2`, f.After, f.Limit+1)
	if err != nil {
		return domain.Page[domain.User]{}, translate(err)
	}
	items, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (domain.User, error) { return scanUser(r) })
	if err != nil {
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
