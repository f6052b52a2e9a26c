package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"

	"github.com/nmdc-runtime/server/domain"
)

// CreateSite inserts a site and makes its creator an admin, atomically.
func (s *Store) CreateSite(ctx context.Context, site domain.Site, creator string) error {
	caps, err := json.Marshal(nonNil(site.CapabilityIDs))
	if err != nil {
		return err
	}
	fold := domain.FoldSiteID(site.ID)
	return s.tx(ctx, func(tx *sql.Tx) error {
		var other string
		err := tx.QueryRowContext(ctx, `SELECT id FROM sites WHERE id = ? OR fold_id = ? ORDER BY id = ? DESC LIMIT 1`, site.ID, fold, site.ID).Scan(&other)
		switch {
		case err == nil:
			return siteConflict(site.ID, other)
		case !errors.Is(err, sql.ErrNoRows):
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO sites (id, fold_id, capability_ids, created_at) VALUES (?, ?, ?, ?)`, site.ID, fold, string(caps), ms(site.CreatedAt))
		if isUnique(err) {
			return domain.Errorf(domain.Conflict, "site %q already exists", site.ID)
		}
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO site_admins (username, site_id) VALUES (?, ?) ON CONFLICT DO NOTHING`, creator, site.ID)
		if isForeignKey(err) {
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

func scanSite(row interface{ Scan(...any) error }) (domain.Site, error) {
	var site domain.Site
	var caps string
	var created int64
	if err := row.Scan(&site.ID, &caps, &created); err != nil {
		return domain.Site{}, err
	}
	site.CreatedAt = fromMS(created)
	return site, json.Unmarshal([]byte(caps), &site.CapabilityIDs)
}

// GetSite returns a site by id.
func (s *Store) GetSite(ctx context.Context, id string) (domain.Site, error) {
	site, err := scanSite(s.read.QueryRowContext(ctx, `SELECT id, capability_ids, created_at FROM sites WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return domain.Site{}, domain.Errorf(domain.NotFound, "site %q not found", id)
	}
	return site, translate(err)
}

// ListSites returns sites ordered by id.
func (s *Store) ListSites(ctx context.Context, f domain.ListFilter) (domain.Page[domain.Site], error) {
	rows, err := s.read.QueryContext(ctx, `SELECT id, capability_ids, created_at FROM sites WHERE id > ? ORDER BY id LIMIT ?`, f.After, f.Limit+1)
	if err != nil {
		return domain.Page[domain.Site]{}, translate(err)
	}
	defer rows.Close()
	var items []domain.Site
	for rows.Next() {
		site, err := scanSite(rows)
		if err != nil {
			return domain.Page[domain.Site]{}, err
		}
		items = append(items, site)
	}
	if err := rows.Err(); err != nil {
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
