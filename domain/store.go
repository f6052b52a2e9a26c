package domain

import (
	"context"
	"time"
)

// Store persists the Runtime API's data. Implementations guarantee
// atomicity and uniqueness; the Service enforces every other rule.
// Errors carry a Kind: NotFound for a missing row, Conflict for a unique
// violation, Unavailable when the database cannot be reached. A method
// never returns a zero value with a nil error for a missing row.
type Store interface {
	// CreateUser inserts u. Conflict when the username, or another
	// username with the same FoldUsername form, exists.
	CreateUser(ctx context.Context, u User) error
	// GetUser returns the user with exactly this username, or NotFound.
	GetUser(ctx context.Context, username string) (User, error)
	// UpdateUser replaces every stored field of the user u.Username,
	// including its site_admin list, or returns NotFound.
	UpdateUser(ctx context.Context, u User) error
	// ListUsers returns users ordered by username.
	ListUsers(ctx context.Context, f ListFilter) (Page[User], error)

	// CreateSite inserts s and, in the same transaction, appends s.ID to
	// the site_admin list of user creator. Conflict when the id exists;
	// NotFound when the creator does not exist (nothing is written).
	CreateSite(ctx context.Context, s Site, creator string) error
	// GetSite returns the site with this id, or NotFound.
	GetSite(ctx context.Context, id string) (Site, error)
	// ListSites returns sites ordered by id.
	ListSites(ctx context.Context, f ListFilter) (Page[Site], error)

	// CreateSiteClient inserts c. NotFound when its site does not exist,
	// Conflict when its id exists.
	CreateSiteClient(ctx context.Context, c SiteClient) error
	// GetSiteClient returns the client with this id, or NotFound.
	GetSiteClient(ctx context.Context, id string) (SiteClient, error)

	// Bootstrap creates, only when the database holds no user at all, the
	// site AdminSiteID, the user admin (who administers it) and the given
	// allowances for that user, in one transaction. It reports whether it
	// created them; on a database with users it changes nothing.
	Bootstrap(ctx context.Context, admin User, allowances []string, now time.Time) (bool, error)

	// Setting returns the stored value of a named setting, first storing
	// value when the name is absent, so that concurrent first starts of
	// several instances agree on one value.
	Setting(ctx context.Context, name string, value []byte) ([]byte, error)

	// RevokeToken puts a token's revocation key (its jti, or a hash of a
	// token without one) on the deny-list until expiresAt, after which the
	// token is refused anyway. Revoking twice is not an error.
	RevokeToken(ctx context.Context, key string, expiresAt time.Time) error
	// TokenRevoked reports whether key is on the deny-list.
	TokenRevoked(ctx context.Context, key string) (bool, error)
	// PurgeRevokedTokens deletes deny-list records that expired before t.
	PurgeRevokedTokens(ctx context.Context, t time.Time) error

	// TakeLoginAttempt counts one login attempt against every limit, in one
	// transaction. A counter's window opens at the first attempt it counts
	// and lasts window; a counter whose window has closed starts again at
	// now. When any counter already holds its Max within an open window,
	// nothing is counted and the time the last such window closes is
	// returned. Otherwise blockedUntil is zero and counts holds each
	// counter's new value, in the order of limits. Counters whose windows
	// have closed may be deleted.
	TakeLoginAttempt(ctx context.Context, limits []LoginLimit, now time.Time, window time.Duration) (counts []int, blockedUntil time.Time, err error)
	// ReleaseLoginAttempt undoes the counting of an attempt that succeeded:
	// the counters named in reset are deleted, those in refund lose one.
	ReleaseLoginAttempt(ctx context.Context, reset, refund []string) error

	// AddAuditEvent appends e. Conflict when its id exists.
	AddAuditEvent(ctx context.Context, e AuditEvent) error
	// ListAuditEvents returns audit events newest first (by id, descending).
	ListAuditEvents(ctx context.Context, f AuditFilter) (Page[AuditEvent], error)

	// Ping reports Unavailable when the database cannot be reached.
	Ping(ctx context.Context) error
	// Close releases the store's resources.
	Close() error
}
