package domain

import (
	"encoding/json"
	"time"
)

// AdminSiteID is the site whose admins are runtime admins: they create,
// update and list users.
const AdminSiteID = "nmdc-runtime-useradmin"

// User is a person who logs in with a password.
type User struct {
	Username     string
	Email        string
	FullName     string
	SiteAdmin    []string // site ids, in the order granted; may name sites that do not exist
	Disabled     bool
	PasswordHash string
	CreatedAt    time.Time
	// TokensValidAfter: tokens issued before this moment are refused
	// (set when the user is disabled or changes password).
	TokensValidAfter time.Time
}

// IsSiteAdmin reports whether u administers site id.
func (u User) IsSiteAdmin(id string) bool {
	for _, s := range u.SiteAdmin {
		if s == id {
			return true
		}
	}
	return false
}

// FoldSiteID is the form under which two site ids count as the same
// site: ASCII letters in lower case (site ids are ASCII). New sites whose
// folded id equals an existing one are refused, so "ALICE-LAB" cannot be
// made beside "alice-lab".
func FoldSiteID(id string) string {
	b := []byte(id)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + ('a' - 'A')
		}
	}
	return string(b)
}

// LastAdminError is the Conflict of removing a site's only admin.
func LastAdminError(username, siteID string) *Error {
	return Errorf(Conflict, "User %q is the last admin of site %q and cannot be removed: add another admin first", username, siteID)
}

// LastAllowanceAdminError is the Conflict of revoking the only holder of
// ActionAdminAllowances.
func LastAllowanceAdminError(username string) *Error {
	return Errorf(Conflict, "User %q is the only holder of allowance %q: revoking it would leave no one able to manage allowances; grant it to another user first", username, ActionAdminAllowances)
}

// IsRuntimeAdmin reports whether u may manage user accounts.
func (u User) IsRuntimeAdmin() bool { return !u.Disabled && u.IsSiteAdmin(AdminSiteID) }

// SiteAdminGrant is one entry of a user's site_admin list.
type SiteAdminGrant struct {
	Username string
	SiteID   string
}

// Site is an organisation, lab, laptop or compute centre that owns resources.
type Site struct {
	ID            string
	CapabilityIDs []string
	CreatedAt     time.Time
}

// SiteClient is a credential that acts for one site.
type SiteClient struct {
	ID         string
	SiteID     string
	SecretHash string
	CreatedAt  time.Time
	CreatedBy  string
	LastUsedAt time.Time
	// TokensValidAfter: tokens issued before this moment are refused
	// (set when the secret is rotated).
	TokensValidAfter time.Time
}

// Allowance lets a user perform an action guarded by name, such as
// "/admin/site_clients".
type Allowance struct {
	Username string
	Action   string
}

// Allowance actions of the existing deployment.
const (
	ActionAdminAllowances  = "/admin/allowances"
	ActionAdminSiteClients = "/admin/site_clients"
)

// Page is one page of a list.
type Page[T any] struct {
	Items         []T
	NextPageToken string // empty on the last page
}

// ListFilter selects one page of a list ordered by its key.
type ListFilter struct {
	// After: return items whose key sorts strictly after this one.
	After string
	// Limit is the page size, at least 1.
	Limit int
}

// AuditEvent records one security-relevant act. It never holds a secret:
// no password, client secret or token, only who, what, to whom, from where.
type AuditEvent struct {
	// ID orders events by time: 16 hex digits of Unix nanoseconds and 8
	// random hex digits, so ids sort as their times do on every backend.
	ID     string
	Time   time.Time
	Actor  string // Principal.Name() of who acted, or "anonymous"
	Action string // one of the Audit* constants
	Target string // what was acted on: "user:<name>", "site:<id>", "client:<id>"
	// SourceAddr is the client's address as the server saw it.
	SourceAddr string
	// Detail adds a non-secret fact, such as why a login failed.
	Detail string
}

// AuditFilter selects one page of audit events, newest first.
type AuditFilter struct {
	Actor  string // exact match when set
	Action string // exact match when set
	// Before: return events whose id sorts strictly before this one.
	Before string
	// Limit is the page size, at least 1.
	Limit int
}

// LoginLimit is one counter of login attempts (per username, per client
// id or per source address) and how many it may hold within a window.
type LoginLimit struct {
	Key string
	Max int
}

// Allowance actions of the existing deployment (its AllowanceAction enum),
// beside ActionAdminAllowances and ActionAdminSiteClients.
const (
	ActionSubmitChangesheets = "/metadata/changesheets:submit"
	ActionSubmitJSON         = "/metadata/json:submit"
	ActionDeleteData         = "/queries:run(query_cmd:DeleteCommand)"
	ActionAggregateData      = "/queries:run(query_cmd:AggregateCommand)"
	ActionWFFileStaging      = "/wf_file_staging"
)

// Capability is something a site can do, named by id in a site's
// capability_ids. Sites may name capability ids that no Capability
// describes (imported sites do); the ids are only labels.
type Capability struct {
	ID          string
	Name        string
	Description string
	CreatedAt   time.Time
}

// AllowanceKey is the page key of an allowance: the JSON array
// [username, action] (page tokens hold no NUL, so no separator byte will
// do). Stores order by the pair itself, not by this text.
func AllowanceKey(a Allowance) string {
	b, _ := json.Marshal([]string{a.Username, a.Action})
	return string(b)
}

// ParseAllowanceKey reverses AllowanceKey; "" (the first page) gives two
// empty strings. A key that is not one AllowanceKey made is Invalid.
func ParseAllowanceKey(key string) (username, action string, err error) {
	if key == "" {
		return "", "", nil
	}
	var pair []string
	if json.Unmarshal([]byte(key), &pair) != nil || len(pair) != 2 {
		return "", "", errPageToken
	}
	return pair[0], pair[1], nil
}

// AllowanceFilter selects allowances; empty fields match everything.
type AllowanceFilter struct {
	Username string
	Action   string
	ListFilter
}

// Share link kinds: what a one-time link reveals.
const (
	ShareUserPassword = "password"
	ShareClientSecret = "client_secret"
)

// ShareLink is a one-time link that reveals a generated password or client
// secret once. Only the SHA-256 of the link token is stored, and the secret
// is sealed with a key derived from the token, so the database alone
// reveals neither.
type ShareLink struct {
	TokenHash string
	Kind      string // ShareUserPassword or ShareClientSecret
	Username  string // for ShareUserPassword
	SiteID    string // for ShareClientSecret
	ClientID  string // for ShareClientSecret
	Sealed    []byte // empty once opened
	CreatedAt time.Time
	CreatedBy string
	ExpiresAt time.Time
	OpenedAt  time.Time // zero until opened
	// Revoked: the password or client secret it reveals was replaced, or
	// the client deleted, before it was opened; its sealed secret is
	// erased.
	Revoked bool
	// SecretHash is, when creating a link, the hash of the password or
	// client secret it reveals as the user or client holds it now; it is
	// not stored. A store creates the link already revoked when the
	// credential no longer has this hash (it was replaced meanwhile).
	SecretHash string
}
