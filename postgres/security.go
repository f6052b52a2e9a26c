package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/nmdc-runtime/server/domain"
)

// RevokeToken puts a revocation key on the deny-list until expiresAt.
func (s *Store) RevokeToken(ctx context.Context, key string, expiresAt time.Time) error {
	if !storable(key) {
		return fmt.Errorf("revocation key is not valid UTF-8 text")
	}
	return s.tx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO revoked_tokens (key, expires_at) VALUES ($1, $2)
			ON CONFLICT (key) DO UPDATE SET expires_at = GREATEST(revoked_tokens.expires_at, excluded.expires_at)`, key, expiresAt)
		return err
	})
}

// TokenRevoked reports whether key is on the deny-list.
func (s *Store) TokenRevoked(ctx context.Context, key string) (bool, error) {
	if !storable(key) {
		return false, nil // no such key can have been stored
	}
	ctx, cancel := s.call(ctx)
	defer cancel()
	var revoked bool
	err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM revoked_tokens WHERE key = $1)`, key).Scan(&revoked)
	return revoked, translate(err)
}

// PurgeRevokedTokens deletes records of tokens that expired before t.
func (s *Store) PurgeRevokedTokens(ctx context.Context, t time.Time) error {
	ctx, cancel := s.call(ctx)
	defer cancel()
	_, err := s.pool.Exec(ctx, `DELETE FROM revoked_tokens WHERE expires_at < $1`, t)
	return translate(err)
}

// TakeLoginAttempt counts one attempt against every limit, or none when
// one is full; see domain.Store. Counters are created first and then
// locked in key order, so concurrent attempts on any instance queue on
// them and never deadlock.
func (s *Store) TakeLoginAttempt(ctx context.Context, limits []domain.LoginLimit, now time.Time, window time.Duration) ([]int, time.Time, error) {
	keys := make([]string, 0, len(limits))
	for _, l := range limits {
		if !storable(l.Key) {
			return nil, time.Time{}, fmt.Errorf("login counter key is not valid UTF-8 text")
		}
		keys = append(keys, l.Key)
	}
	sorted := slices.Sorted(slices.Values(keys))
	var counts []int
	var blocked time.Time
	err := s.tx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM login_attempts WHERE window_start <= $1`, now.Add(-window)); err != nil {
			return err
		}
		for _, k := range sorted {
			if _, err := tx.Exec(ctx, `INSERT INTO login_attempts (key, count, window_start) VALUES ($1, 0, $2) ON CONFLICT (key) DO NOTHING`, k, now); err != nil {
				return err
			}
		}
		rows, err := tx.Query(ctx, `SELECT key, count, window_start FROM login_attempts WHERE key = ANY($1) ORDER BY key FOR UPDATE`, sorted)
		if err != nil {
			return err
		}
		current := map[string]int{}
		starts := map[string]time.Time{}
		for rows.Next() {
			var k string
			var n int
			var start time.Time
			if err := rows.Scan(&k, &n, &start); err != nil {
				rows.Close()
				return err
			}
			current[k], starts[k] = n, start
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, l := range limits {
			if current[l.Key] >= l.Max {
				if until := starts[l.Key].Add(window); until.After(blocked) {
					blocked = until
				}
			}
		}
		if !blocked.IsZero() {
			return nil
		}
		if _, err := tx.Exec(ctx, `UPDATE login_attempts SET count = count + 1 WHERE key = ANY($1)`, sorted); err != nil {
			return err
		}
		for _, l := range limits {
			counts = append(counts, current[l.Key]+1)
		}
		return nil
	})
	if err != nil {
		return nil, time.Time{}, err
	}
	return counts, blocked.UTC(), nil
}

// LoginCounts reads counters without changing them.
func (s *Store) LoginCounts(ctx context.Context, limits []domain.LoginLimit, now time.Time, window time.Duration) ([]int, time.Time, error) {
	counts := make([]int, len(limits))
	var blocked time.Time
	ctx, cancel := s.call(ctx)
	defer cancel()
	for i, l := range limits {
		if !storable(l.Key) {
			return nil, time.Time{}, fmt.Errorf("login counter key is not valid UTF-8 text")
		}
		var n int
		var start time.Time
		err := s.pool.QueryRow(ctx, `SELECT count, window_start FROM login_attempts WHERE key = $1 AND window_start > $2`, l.Key, now.Add(-window)).Scan(&n, &start)
		if errors.Is(err, pgx.ErrNoRows) {
			continue
		}
		if err != nil {
			return nil, time.Time{}, translate(err)
		}
		counts[i] = n
		if n >= l.Max {
			if until := start.Add(window); until.After(blocked) {
				blocked = until
			}
		}
	}
	return counts, blocked, nil
}

// ReleaseLoginAttempt deletes the reset counters and takes one off each
// refund counter.
func (s *Store) ReleaseLoginAttempt(ctx context.Context, reset, refund []string) error {
	reset = slices.DeleteFunc(slices.Clone(reset), func(k string) bool { return !storable(k) })
	refund = slices.DeleteFunc(slices.Clone(refund), func(k string) bool { return !storable(k) })
	return s.tx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM login_attempts WHERE key = ANY($1)`, reset); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `UPDATE login_attempts SET count = count - 1 WHERE key = ANY($1) AND count > 0`, refund)
		return err
	})
}

// AddAuditEvent appends an audit event.
func (s *Store) AddAuditEvent(ctx context.Context, e domain.AuditEvent) error {
	for _, f := range []string{e.ID, e.Actor, e.Action, e.Target, e.SourceAddr, e.Detail} {
		if !storable(f) {
			return fmt.Errorf("audit event %q has a field that is not valid UTF-8 text", e.ID)
		}
	}
	ctx, cancel := s.call(ctx)
	defer cancel()
	_, err := s.pool.Exec(ctx, `INSERT INTO audit_events (id, time, actor, action, target, source_addr, detail) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		e.ID, e.Time, e.Actor, e.Action, e.Target, e.SourceAddr, e.Detail)
	if pgCode(err) == codeUniqueViolation {
		return domain.Errorf(domain.Conflict, "audit event %q already exists", e.ID)
	}
	return translate(err)
}

// ListAuditEvents returns audit events newest first.
func (s *Store) ListAuditEvents(ctx context.Context, f domain.AuditFilter) (domain.Page[domain.AuditEvent], error) {
	for _, v := range []string{f.Actor, f.Action, f.Before} {
		if !storable(v) {
			return domain.Page[domain.AuditEvent]{Items: []domain.AuditEvent{}}, nil // nothing stored can match
		}
	}
	ctx, cancel := s.call(ctx)
	defer cancel()
	rows, err := s.pool.Query(ctx, `SELECT id, time, actor, action, target, source_addr, detail FROM audit_events
		WHERE ($1 = '' OR actor = $1) AND ($2 = '' OR action = $2) AND ($3 = '' OR id < $3)
		ORDER BY id DESC LIMIT $4`, f.Actor, f.Action, f.Before, f.Limit+1)
	if err != nil {
		return domain.Page[domain.AuditEvent]{}, translate(err)
	}
	defer rows.Close()
	var items []domain.AuditEvent
	for rows.Next() {
		var e domain.AuditEvent
		if err := rows.Scan(&e.ID, &e.Time, &e.Actor, &e.Action, &e.Target, &e.SourceAddr, &e.Detail); err != nil {
			return domain.Page[domain.AuditEvent]{}, translate(err)
		}
		e.Time = e.Time.UTC()
		items = append(items, e)
	}
	if err := rows.Err(); err != nil {
		return domain.Page[domain.AuditEvent]{}, translate(err)
	}
	return page(items, f.Limit, func(e domain.AuditEvent) string { return e.ID }), nil
}
