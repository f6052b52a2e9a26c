package sqlite

import (
	"context"
	"database/sql"
	"errors"

	"github.com/nmdc-runtime/server/domain"
)

// CreateSiteClient inserts a client of an existing site.
func (s *Store) CreateSiteClient(ctx context.Context, c domain.SiteClient) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO site_clients (id, site_id, secret_hash, created_at, created_by, last_used_at, tokens_valid_after)
			VALUES (?, ?, ?, ?, ?, ?, ?)`,
			c.ID, c.SiteID, c.SecretHash, ms(c.CreatedAt), c.CreatedBy, ms(c.LastUsedAt), ms(c.TokensValidAfter))
		switch {
		case isUnique(err):
			return domain.Errorf(domain.Conflict, "site client %q already exists", c.ID)
		case isForeignKey(err):
			return domain.Errorf(domain.NotFound, "site %q not found", c.SiteID)
		}
		return err
	})
}

// GetSiteClient returns a client by id.
func (s *Store) GetSiteClient(ctx context.Context, id string) (domain.SiteClient, error) {
	var c domain.SiteClient
	var created, used, cutoff int64
	err := s.read.QueryRowContext(ctx, `SELECT id, site_id, secret_hash, created_at, created_by, last_used_at, tokens_valid_after FROM site_clients WHERE id = ?`, id).
		Scan(&c.ID, &c.SiteID, &c.SecretHash, &created, &c.CreatedBy, &used, &cutoff)
	if errors.Is(err, sql.ErrNoRows) {
		return domain.SiteClient{}, domain.Errorf(domain.NotFound, "site client %q not found", id)
	}
	if err != nil {
		return domain.SiteClient{}, translate(err)
	}
	c.CreatedAt, c.LastUsedAt, c.TokensValidAfter = fromMS(created), fromMS(used), fromMS(cutoff)
	return c, nil
}
