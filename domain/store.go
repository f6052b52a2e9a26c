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

	// Ping reports Unavailable when the database cannot be reached.
	Ping(ctx context.Context) error
	// Close releases the store's resources.
	Close() error
}
