package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"

	"github.com/nmdc-runtime/server/domain"
)

// errNoCommit makes tx roll back an import that must not be written.
var errNoCommit = errors.New("import not committed")

// Import applies a validated batch in one transaction; see domain.Store.
func (s *Store) Import(ctx context.Context, b domain.ImportBatch, dryRun bool) (domain.ImportReport, error) {
	var report domain.ImportReport
	err := s.tx(ctx, func(tx *sql.Tx) error {
		have, err := importExisting(ctx, tx, b.Keys())
		if err != nil {
			return err
		}
		plan := domain.PlanImport(b, have, dryRun)
		report = plan.Report
		if err := report.Err(); err != nil {
			return err
		}
		if dryRun {
			return errNoCommit
		}
		for _, u := range plan.Users {
			if err := insertUser(ctx, tx, u); err != nil {
				return err
			}
		}
		for _, site := range plan.Sites {
			caps, err := json.Marshal(nonNil(site.CapabilityIDs))
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO sites (id, fold_id, capability_ids, created_at)
				VALUES (?1, CASE WHEN EXISTS (SELECT 1 FROM sites WHERE fold_id = ?2) THEN NULL ELSE ?2 END, ?3, ?4)`, site.ID, domain.FoldSiteID(site.ID), string(caps), ms(site.CreatedAt)); err != nil {
				if isUnique(err) {
					return domain.Errorf(domain.Conflict, "site %q already exists", site.ID)
				}
				return err
			}
		}
		for _, c := range plan.Clients {
			_, err := tx.ExecContext(ctx, `INSERT INTO site_clients (id, site_id, secret_hash, created_at, created_by, last_used_at, tokens_valid_after)
				VALUES (?, ?, ?, ?, ?, ?, ?)`,
				c.ID, c.SiteID, c.SecretHash, ms(c.CreatedAt), c.CreatedBy, ms(c.LastUsedAt), ms(c.TokensValidAfter))
			switch {
			case isUnique(err):
				return domain.Errorf(domain.Conflict, "site client %q already exists", c.ID)
			case isForeignKey(err):
				return domain.Errorf(domain.NotFound, "site %q of client %q not found", c.SiteID, c.ID)
			case err != nil:
				return err
			}
		}
		for _, a := range plan.Allowances {
			if _, err := tx.ExecContext(ctx, `INSERT INTO allowances (username, action) VALUES (?, ?)`, a.Username, a.Action); err != nil {
				if isUnique(err) {
					return domain.Errorf(domain.Conflict, "allowance %q for %q already exists", a.Action, a.Username)
				}
				return err
			}
		}
		report.Written = true
		return nil
	})
	if errors.Is(err, errNoCommit) {
		return report, nil
	}
	if err != nil {
		report.Written = false
	}
	return report, translate(err)
}

// importExisting reads, inside the import transaction, the stored rows
// that the batch's keys name.
func importExisting(ctx context.Context, tx *sql.Tx, k domain.ImportKeys) (domain.ImportExisting, error) {
	have := domain.ImportExisting{
		Users:          map[string]domain.User{},
		FoldOwners:     map[string]string{},
		Sites:          map[string]domain.Site{},
		SiteFoldOwners: map[string]string{},
		Clients:        map[string]domain.SiteClient{},
		Allowances:     map[domain.Allowance]bool{},
	}
	for _, name := range k.Usernames {
		u, err := scanUser(tx.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users u WHERE u.username = ?`, name))
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return have, err
		}
		have.Users[name] = u
	}
	for _, fold := range k.FoldKeys {
		var owner string
		err := tx.QueryRowContext(ctx, `SELECT username FROM users WHERE fold_key = ?`, fold).Scan(&owner)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return have, err
		}
		have.FoldOwners[fold] = owner
	}
	for _, fold := range k.SiteFoldKeys {
		var owner string
		err := tx.QueryRowContext(ctx, `SELECT id FROM sites WHERE fold_id = ?`, fold).Scan(&owner)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return have, err
		}
		have.SiteFoldOwners[fold] = owner
	}
	for _, id := range k.SiteIDs {
		site, err := scanSite(tx.QueryRowContext(ctx, `SELECT id, capability_ids, created_at FROM sites WHERE id = ?`, id))
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return have, err
		}
		have.Sites[id] = site
	}
	for _, id := range k.ClientIDs {
		var c domain.SiteClient
		err := tx.QueryRowContext(ctx, `SELECT id, site_id, secret_hash FROM site_clients WHERE id = ?`, id).Scan(&c.ID, &c.SiteID, &c.SecretHash)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return have, err
		}
		have.Clients[id] = c
	}
	for _, a := range k.Allowances {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM allowances WHERE username = ? AND action = ?`, a.Username, a.Action).Scan(&n); err != nil {
			return have, err
		}
		if n > 0 {
			have.Allowances[a] = true
		}
	}
	return have, nil
}
