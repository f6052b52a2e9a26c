package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/nmdc-runtime/server/domain"
)

// CreateSiteClient inserts a client of an existing site.
func (s *Store) CreateSiteClient(ctx context.Context, c domain.SiteClient) error {
	if !storable(c.SiteID) {
		return domain.Errorf(domain.NotFound, "site %q not found", c.SiteID)
	}
	return s.tx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO site_clients (id, site_id, secret_hash, created_at, created_by, last_used_at, tokens_valid_after)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			c.ID, c.SiteID, c.SecretHash, c.CreatedAt, c.CreatedBy, nullTime(c.LastUsedAt), nullTime(c.TokensValidAfter))
		switch pgCode(err) {
		case codeUniqueViolation:
			return domain.Errorf(domain.Conflict, "site client %q already exists", c.ID)
		case codeForeignKeyViolation:
			return domain.Errorf(domain.NotFound, "site %q not found", c.SiteID)
		}
		return err
	})
}

// GetSiteClient returns a client by id.
func (s *Store) GetSiteClient(ctx context.Context, id string) (domain.SiteClient, error) {
	notFound := domain.Errorf(domain.NotFound, "site client %q not found", id)
	if !storable(id) {
		return domain.SiteClient{}, notFound
	}
	ctx, cancel := s.call(ctx)
	defer cancel()
	var c domain.SiteClient
	var used, cutoff *time.Time
	err := s.pool.QueryRow(ctx, `SELECT id, site_id, secret_hash, created_at, created_by, last_used_at, tokens_valid_after FROM site_clients WHERE id = $1`, id).
		Scan(&c.ID, &c.SiteID, &c.SecretHash, &c.CreatedAt, &c.CreatedBy, &used, &cutoff)
	if errors.Is(err, pgx.ErrNoRows) {
		return domain.SiteClient{}, notFound
	}
	if err != nil {
		return domain.SiteClient{}, translate(err)
	}
	c.CreatedAt, c.LastUsedAt, c.TokensValidAfter = c.CreatedAt.UTC(), fromNull(used), fromNull(cutoff)
	return c, nil
}
