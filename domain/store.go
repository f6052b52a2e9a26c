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
	// including its site_admin list, or returns NotFound. When the new
	// list drops an existing site of which the user is the only admin it
	// writes nothing and returns LastAdminError (checked atomically, as in
	// RemoveSiteAdmin). When the password hash changes, it revokes the
	// user's unopened password share links (erasing their sealed
	// secrets) in the same transaction.
	UpdateUser(ctx context.Context, u User) error
	// ListUsers returns users ordered by username.
	ListUsers(ctx context.Context, f ListFilter) (Page[User], error)

	// CreateSite inserts s and, in the same transaction, appends s.ID to
	// the site_admin list of user creator. Conflict when the id, or
	// another id with the same FoldSiteID form, exists;
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
	// ListSiteClients returns the clients of a site ordered by creation
	// time, then id (an empty list for a site without clients).
	ListSiteClients(ctx context.Context, siteID string) ([]SiteClient, error)
	// UpdateSiteClient replaces the secret hash and TokensValidAfter of
	// client c.ID, or returns NotFound. When the secret hash changes, it
	// revokes the client's unopened share links in the same transaction.
	UpdateSiteClient(ctx context.Context, c SiteClient) error
	// DeleteSiteClient deletes a client and revokes its unopened share
	// links, or returns NotFound.
	DeleteSiteClient(ctx context.Context, id string) error
	// TouchSiteClient sets the client's LastUsedAt to at when the stored
	// value is older than at minus granularity, so that frequent logins
	// write at most once per granularity. A missing client is no error.
	TouchSiteClient(ctx context.Context, id string, at time.Time, granularity time.Duration) error

	// ListSiteAdmins returns the usernames of the admins of a site,
	// ordered by username.
	ListSiteAdmins(ctx context.Context, siteID string) ([]string, error)
	// ListSiteAdminsFolded returns the site_admin entries that name
	// siteID or an id equal to it after FoldSiteID, ordered by username,
	// then site id.
	ListSiteAdminsFolded(ctx context.Context, siteID string) ([]SiteAdminGrant, error)
	// AddSiteAdmin appends siteID to the site_admin list of a user.
	// NotFound when the user does not exist; Conflict when the user
	// already administers the site.
	AddSiteAdmin(ctx context.Context, siteID, username string) error
	// RemoveSiteAdmin removes siteID from the site_admin list of a user,
	// atomically refusing with Conflict when that user is the site's only
	// admin (so concurrent removals never leave a site without one).
	// NotFound when the user does not administer the site.
	RemoveSiteAdmin(ctx context.Context, siteID, username string) error

	// ListAllowances returns allowances matching f ordered by username,
	// then action; the page key is AllowanceKey (parse f.After with
	// ParseAllowanceKey).
	ListAllowances(ctx context.Context, f AllowanceFilter) (Page[Allowance], error)
	// HasAllowance reports whether the user holds the action.
	HasAllowance(ctx context.Context, username, action string) (bool, error)
	// CreateAllowance inserts a. Conflict when it exists.
	CreateAllowance(ctx context.Context, a Allowance) error
	// DeleteAllowance deletes a, or returns NotFound. When a.Action is
	// ActionAdminAllowances and a.Username its only holder, it deletes
	// nothing and returns LastAllowanceAdminError, atomically (so that
	// concurrent revocations never leave no holder).
	DeleteAllowance(ctx context.Context, a Allowance) error

	// CreateCapability inserts c. Conflict when its id exists.
	CreateCapability(ctx context.Context, c Capability) error
	// GetCapability returns the capability with this id, or NotFound.
	GetCapability(ctx context.Context, id string) (Capability, error)
	// ListCapabilities returns capabilities ordered by id.
	ListCapabilities(ctx context.Context, f ListFilter) (Page[Capability], error)

	// CreateShareLink inserts l. Conflict when its token hash exists.
	// When l.SecretHash is set and the user's password hash or the
	// client's secret hash no longer equals it (or the client is gone),
	// the link is stored revoked, without its sealed secret. In the same
	// transaction it erases the sealed secrets of links expired at
	// l.CreatedAt.
	CreateShareLink(ctx context.Context, l ShareLink) error
	// OpenShareLink returns the link with this token hash as it was, and
	// in the same transaction marks it opened at now and erases its sealed
	// secret, so that exactly one caller ever receives the secret.
	// Revoked tells whether the link was revoked.
	// NotFound when no such link exists.
	OpenShareLink(ctx context.Context, tokenHash string, now time.Time) (ShareLink, error)

	// Import writes the new items of a batch that ValidateImport accepted,
	// in one transaction: it reads the stored rows the batch touches
	// (b.Keys()), lets PlanImport classify each item, and inserts the
	// plan's items only when the report has no conflicts and dryRun is
	// false. Existing rows are never changed. With conflicts it writes
	// nothing and returns the report with the report's Err (Conflict).
	// Report.Written says whether it committed.
	Import(ctx context.Context, b ImportBatch, dryRun bool) (ImportReport, error)

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
	// LoginCounts reads the counters of limits without changing them: the
	// current counts (0 for a closed or absent window) and, when a counter
	// is full, until when.
	LoginCounts(ctx context.Context, limits []LoginLimit, now time.Time, window time.Duration) (counts []int, blockedUntil time.Time, err error)
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
