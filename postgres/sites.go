package postgres

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"

	"github.com/nmdc-runtime/server/domain"
)

// CreateSite inserts a site and makes its creator an admin, atomically.
func (s *Store) CreateSite(ctx context.Context, site domain.Site, creator string) error {
	fold := domain.FoldSiteID(site.ID)
	return s.tx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		var other string
		err := tx.QueryRow(ctx, `SELECT id FROM sites WHERE id = $1 OR fold_id = $2 ORDER BY id = $1 DESC LIMIT 1`, site.ID, fold).Scan(&other)
		switch {
		case err == nil:
			return siteConflict(site.ID, other)
		case !errors.Is(err, pgx.ErrNoRows):
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO sites (id, fold_id, capability_ids, created_at) VALUES ($1, $2, $3, $4)`, site.ID, fold, nonNil(site.CapabilityIDs), site.CreatedAt)
		if pgCode(err) == codeUniqueViolation {
			if constraint(err) == "sites_fold_id_key" {
				return domain.Errorf(domain.Conflict, "site id %q is too similar to an existing site: they differ only in letter case; choose another id", site.ID)
			}
			return domain.Errorf(domain.Conflict, "site %q already exists", site.ID)
		}
		if err != nil {
			return err
		}
		if !storable(creator) {
			return domain.Errorf(domain.NotFound, "user %q not found", creator)
		}
		_, err = tx.Exec(ctx, `INSERT INTO site_admins (username, site_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`, creator, site.ID)
		if pgCode(err) == codeForeignKeyViolation {
			return domain.Errorf(domain.NotFound, "user %q not found", creator)
		}
		return err
	})
}

// siteConflict is the Conflict of creating site id beside other, an
// existing site with the same or a case-folded equal id.
func siteConflict(id, other string) error {
	if id == other {
		return domain.Errorf(domain.Conflict, "site %q already exists", id)
	}
	return domain.Errorf(domain.Conflict, "site id %q is too similar to existing site %q: they differ only in letter case; choose another id", id, other)
}

func scanSite(row pgx.Row) (domain.Site, error) {
	var site domain.Site
	if err := row.Scan(&site.ID, &site.CapabilityIDs, &site.CreatedAt); err != nil {
		return domain.Site{}, err
	}
	site.CreatedAt = site.CreatedAt.UTC()
	return site, nil
}

// GetSite returns a site by id.
func (s *Store) GetSite(ctx context.Context, id string) (domain.Site, error) {
	notFound := domain.Errorf(domain.NotFound, "site %q not found", id)
	if !storable(id) {
		return domain.Site{}, notFound
	}
	ctx, cancel := s.call(ctx)
	defer cancel()
	site, err := scanSite(s.pool.QueryRow(ctx, `SELECT id, capability_ids, created_at FROM sites WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return domain.Site{}, notFound
	}
	if err != nil {
		return domain.Site{}, translate(err)
	}
	return site, nil
}

// ListSites returns sites ordered by id.
func (s *Store) ListSites(ctx context.Context, f domain.ListFilter) (domain.Page[domain.Site], error) {
	ctx, cancel := s.call(ctx)
	defer cancel()
	rows, err := s.pool.Query(ctx, `SELECT id, capability_ids, created_at FROM sites WHERE id > $1 ORDER BY id LIMIT $2`, f.After, f.Limit+1)
	if err != nil {
		return domain.Page[domain.Site]{}, translate(err)
	}
	items, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (domain.Site, error) { return scanSite(r) })
	if err != nil {
		return domain.Page[domain.Site]{}, translate(err)
	}
	return page(items, f.Limit, func(s domain.Site) string { return s.ID }), nil
}

func nonNil(ids []string) []string {
	if ids == nil {
		return []string{}
	}
	return ids
}
