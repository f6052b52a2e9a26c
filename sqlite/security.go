package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/nmdc-runtime/server/domain"
)

// RevokeToken puts a revocation key on the deny-list until expiresAt.
func (s *Store) RevokeToken(ctx context.Context, key string, expiresAt time.Time) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO revoked_tokens (key, expires_at) VALUES (?, ?)
			ON CONFLICT (key) DO UPDATE SET expires_at = max(expires_at, excluded.expires_at)`, key, ms(expiresAt))
		return err
	})
}

// TokenRevoked reports whether key is on the deny-list.
func (s *Store) TokenRevoked(ctx context.Context, key string) (bool, error) {
	var n int
	err := s.read.QueryRowContext(ctx, `SELECT count(*) FROM revoked_tokens WHERE key = ?`, key).Scan(&n)
	return n > 0, translate(err)
}

// PurgeRevokedTokens deletes records of tokens that expired before t.
func (s *Store) PurgeRevokedTokens(ctx context.Context, t time.Time) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM revoked_tokens WHERE expires_at < ?`, ms(t))
		return err
	})
}

// TakeLoginAttempt counts one attempt against every limit, or none when
// one is full; see domain.Store.
func (s *Store) TakeLoginAttempt(ctx context.Context, limits []domain.LoginLimit, now time.Time, window time.Duration) ([]int, time.Time, error) {
	var counts []int
	var blocked time.Time
	opened := ms(now.Add(-window)) // windows that began at or before this have closed
	err := s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM login_attempts WHERE window_start <= ?`, opened); err != nil {
			return err
		}
		current := make([]int, len(limits))
		for i, l := range limits {
			var n, start int64
			err := tx.QueryRowContext(ctx, `SELECT count, window_start FROM login_attempts WHERE key = ?`, l.Key).Scan(&n, &start)
			if errors.Is(err, sql.ErrNoRows) {
				continue
			}
			if err != nil {
				return err
			}
			current[i] = int(n)
			if int(n) >= l.Max {
				if until := fromMS(start).Add(window); until.After(blocked) {
					blocked = until
				}
			}
		}
		if !blocked.IsZero() {
			return nil
		}
		for i, l := range limits {
			if _, err := tx.ExecContext(ctx, `INSERT INTO login_attempts (key, count, window_start) VALUES (?, 1, ?)
				ON CONFLICT (key) DO UPDATE SET count = count + 1`, l.Key, ms(now)); err != nil {
				return err
			}
			counts = append(counts, current[i]+1)
		}
		return nil
	})
	if err != nil {
		return nil, time.Time{}, translate(err)
	}
	return counts, blocked, nil
}

// LoginCounts reads counters without changing them.
func (s *Store) LoginCounts(ctx context.Context, limits []domain.LoginLimit, now time.Time, window time.Duration) ([]int, time.Time, error) {
	counts := make([]int, len(limits))
	var blocked time.Time
	opened := ms(now.Add(-window))
	for i, l := range limits {
		var n, start int64
		err := s.read.QueryRowContext(ctx, `SELECT count, window_start FROM login_attempts WHERE key = ? AND window_start > ?`, l.Key, opened).Scan(&n, &start)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return nil, time.Time{}, translate(err)
		}
		counts[i] = int(n)
		if int(n) >= l.Max {
			if until := fromMS(start).Add(window); until.After(blocked) {
				blocked = until
			}
		}
	}
	return counts, blocked, nil
}

// ReleaseLoginAttempt deletes the reset counters and takes one off each
// refund counter.
func (s *Store) ReleaseLoginAttempt(ctx context.Context, reset, refund []string) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		for _, k := range reset {
			if _, err := tx.ExecContext(ctx, `DELETE FROM login_attempts WHERE key = ?`, k); err != nil {
				return err
			}
		}
		for _, k := range refund {
			if _, err := tx.ExecContext(ctx, `UPDATE login_attempts SET count = count - 1 WHERE key = ? AND count > 0`, k); err != nil {
				return err
			}
		}
		return nil
	})
}

// AddAuditEvent appends an audit event.
func (s *Store) AddAuditEvent(ctx context.Context, e domain.AuditEvent) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO audit_events (id, time, actor, action, target, source_addr, detail) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			e.ID, ms(e.Time), e.Actor, e.Action, e.Target, e.SourceAddr, e.Detail)
		if isUnique(err) {
			return domain.Errorf(domain.Conflict, "audit event %q already exists", e.ID)
		}
		return err
	})
}

// ListAuditEvents returns audit events newest first.
func (s *Store) ListAuditEvents(ctx context.Context, f domain.AuditFilter) (domain.Page[domain.AuditEvent], error) {
	q := `SELECT id, time, actor, action, target, source_addr, detail FROM audit_events WHERE 1 = 1`
	var args []any
	if f.Actor != "" {
		q += ` AND actor = ?`
		args = append(args, f.Actor)
	}
	if f.Action != "" {
		q += ` AND action = ?`
		args = append(args, f.Action)
	}
	if f.Before != "" {
		q += ` AND id < ?`
		args = append(args, f.Before)
	}
	q += ` ORDER BY id DESC LIMIT ?`
	args = append(args, f.Limit+1)
	rows, err := s.read.QueryContext(ctx, q, args...)
	if err != nil {
		return domain.Page[domain.AuditEvent]{}, translate(err)
	}
	defer rows.Close()
	var items []domain.AuditEvent
	for rows.Next() {
		var e domain.AuditEvent
		var t int64
		if err := rows.Scan(&e.ID, &t, &e.Actor, &e.Action, &e.Target, &e.SourceAddr, &e.Detail); err != nil {
			return domain.Page[domain.AuditEvent]{}, err
		}
		e.Time = fromMS(t)
		items = append(items, e)
	}
	if err := rows.Err(); err != nil {
		return domain.Page[domain.AuditEvent]{}, translate(err)
	}
	return page(items, f.Limit, func(e domain.AuditEvent) string { return e.ID }), nil
}
