package postgres

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"

	"github.com/nmdc-runtime/server/domain"
)

// lockImport names the advisory lock that makes imports take turns, so
// that two racing on one batch write each item once and the second finds
// it unchanged.
const lockImport = "import "

// errNoCommit makes tx roll back an import that must not be written.
var errNoCommit = errors.New("import not committed")

// Import applies a validated batch in one transaction; see domain.Store.
func (s *Store) Import(ctx context.Context, b domain.ImportBatch, dryRun bool) (domain.ImportReport, error) {
	var report domain.ImportReport
	err := s.tx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, lockSQL, lockClass, lockImport); err != nil {
			return err
		}
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
			if !storable(u.Username) {
				return domain.Errorf(domain.Invalid, "username %q cannot be stored", u.Username)
			}
			if err := insertUser(ctx, tx, u); err != nil {
				return err
			}
		}
		for _, site := range plan.Sites {
			_, err := tx.Exec(ctx, `INSERT INTO sites (id, fold_id, capability_ids, created_at)
				VALUES ($1, CASE WHEN EXISTS (SELECT 1 FROM sites WHERE fold_id = $2) THEN NULL ELSE $2 END, $3, $4)`, site.ID, domain.FoldSiteID(site.ID), nonNil(site.CapabilityIDs), site.CreatedAt)
			if pgCode(err) == codeUniqueViolation {
				return domain.Errorf(domain.Conflict, "site %q already exists", site.ID)
			}
			if err != nil {
				return err
			}
		}
		for _, c := range plan.Clients {
			_, err := tx.Exec(ctx, `INSERT INTO site_clients (id, site_id, secret_hash, created_at, created_by, last_used_at, tokens_valid_after)
				VALUES ($1, $2, $3, $4, $5, $6, $7)`,
				c.ID, c.SiteID, c.SecretHash, c.CreatedAt, c.CreatedBy, nullTime(c.LastUsedAt), nullTime(c.TokensValidAfter))
			switch pgCode(err) {
			case codeUniqueViolation:
				return domain.Errorf(domain.Conflict, "site client %q already exists", c.ID)
			case codeForeignKeyViolation:
				return domain.Errorf(domain.NotFound, "site %q of client %q not found", c.SiteID, c.ID)
			}
			if err != nil {
				return err
			}
		}
		for _, a := range plan.Allowances {
			_, err := tx.Exec(ctx, `INSERT INTO allowances (username, action) VALUES ($1, $2)`, a.Username, a.Action)
			if pgCode(err) == codeUniqueViolation {
				return domain.Errorf(domain.Conflict, "allowance %q for %q already exists", a.Action, a.Username)
			}
			if err != nil {
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
	return report, err
}

// importExisting reads, inside the import transaction, the stored rows
// that the batch's keys name, one query per kind.
func importExisting(ctx context.Context, tx pgx.Tx, k domain.ImportKeys) (domain.ImportExisting, error) {
	have := domain.ImportExisting{
		Users:          map[string]domain.User{},
		FoldOwners:     map[string]string{},
		Sites:          map[string]domain.Site{},
		SiteFoldOwners: map[string]string{},
		Clients:        map[string]domain.SiteClient{},
		Allowances:     map[domain.Allowance]bool{},
	}
	rows, err := tx.Query(ctx, `SELECT `+userColumns+` FROM users u WHERE u.username = ANY($1)`, storableOnly(k.Usernames))
	if err != nil {
		return have, err
	}
	users, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (domain.User, error) { return scanUser(r) })
	if err != nil {
		return have, err
	}
	for _, u := range users {
		have.Users[u.Username] = u
	}

	rows, err = tx.Query(ctx, `SELECT fold_key, username FROM users WHERE fold_key = ANY($1)`, storableOnly(k.FoldKeys))
	if err != nil {
		return have, err
	}
	var fold, owner string
	if _, err := pgx.ForEachRow(rows, []any{&fold, &owner}, func() error { have.FoldOwners[fold] = owner; return nil }); err != nil {
		return have, err
	}

	rows, err = tx.Query(ctx, `SELECT fold_id, id FROM sites WHERE fold_id = ANY($1)`, storableOnly(k.SiteFoldKeys))
	if err != nil {
		return have, err
	}
	var siteFold, siteID string
	if _, err := pgx.ForEachRow(rows, []any{&siteFold, &siteID}, func() error { have.SiteFoldOwners[siteFold] = siteID; return nil }); err != nil {
		return have, err
	}

	rows, err = tx.Query(ctx, `SELECT id, capability_ids, created_at FROM sites WHERE id = ANY($1)`, storableOnly(k.SiteIDs))
	if err != nil {
		return have, err
	}
	sites, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (domain.Site, error) { return scanSite(r) })
	if err != nil {
		return have, err
	}
	for _, site := range sites {
		have.Sites[site.ID] = site
	}

	rows, err = tx.Query(ctx, `SELECT id, site_id, secret_hash FROM site_clients WHERE id = ANY($1)`, storableOnly(k.ClientIDs))
	if err != nil {
		return have, err
	}
	var c domain.SiteClient
	if _, err := pgx.ForEachRow(rows, []any{&c.ID, &c.SiteID, &c.SecretHash}, func() error { have.Clients[c.ID] = c; return nil }); err != nil {
		return have, err
	}

	var names, actions []string
	for _, a := range k.Allowances {
		if storable(a.Username) && storable(a.Action) {
			names, actions = append(names, a.Username), append(actions, a.Action)
		}
	}
	rows, err = tx.Query(ctx, `SELECT a.username, a.action FROM allowances a JOIN unnest($1::text[], $2::text[]) AS k (username, action)
		ON a.username = k.username AND a.action = k.action`, names, actions)
	if err != nil {
		return have, err
	}
	var a domain.Allowance
	if _, err := pgx.ForEachRow(rows, []any{&a.Username, &a.Action}, func() error { have.Allowances[a] = true; return nil }); err != nil {
		return have, err
	}
	return have, nil
}

// storableOnly drops keys no row can hold (see storable).
func storableOnly(keys []string) []string {
	out := make([]string, 0, len(keys))
	for _, k := range keys {
		if storable(k) {
			out = append(out, k)
		}
	}
	return out
}
