package storetest

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nmdc-runtime/server/domain"
)

// Opener returns a fresh, empty store for one test. It registers whatever
// cleanup the store needs with t.Cleanup; closing a store that the suite
// already closed must be harmless.
type Opener func(t *testing.T) domain.Store

// Run runs the whole conformance suite against the stores that open makes.
// Every subtest opens its own store, so no case sees another's data.
func Run(t *testing.T, open Opener) {
	t.Run("Users", func(t *testing.T) { testUsers(t, open) })
	t.Run("Sites", func(t *testing.T) { testSites(t, open) })
	t.Run("SiteClients", func(t *testing.T) { testSiteClients(t, open) })
	t.Run("Bootstrap", func(t *testing.T) { testBootstrap(t, open) })
	t.Run("Setting", func(t *testing.T) { testSetting(t, open) })
	t.Run("Lifecycle", func(t *testing.T) { testLifecycle(t, open) })
	t.Run("CredentialLifecycle", func(t *testing.T) { testCredentialLifecycle(t, open) })
	t.Run("Guards", func(t *testing.T) { testGuards(t, open) })
	t.Run("Concurrency", func(t *testing.T) { testConcurrency(t, open) })
	t.Run("Security", func(t *testing.T) { testSecurity(t, open) })
	t.Run("Import", func(t *testing.T) { testImport(t, open) })
}

// t0 is the suite's fixed clock. Stores must keep at least millisecond
// precision; it has exactly that.
var t0 = time.Date(2025, 3, 4, 5, 6, 7, 8_000_000, time.UTC)

// newUser returns a user with the fields every user has.
func newUser(name string, siteAdmin ...string) domain.User {
	return domain.User{
		Username:     name,
		PasswordHash: "$2b$04$hash.of.the.password.of." + name,
		SiteAdmin:    siteAdmin,
		CreatedAt:    t0,
	}
}

func mustCreateUser(t *testing.T, s domain.Store, u domain.User) {
	t.Helper()
	if err := s.CreateUser(t.Context(), u); err != nil {
		t.Fatalf("CreateUser(%q): %v", u.Username, err)
	}
}

func mustGetUser(t *testing.T, s domain.Store, name string) domain.User {
	t.Helper()
	u, err := s.GetUser(t.Context(), name)
	if err != nil {
		t.Fatalf("GetUser(%q): %v", name, err)
	}
	return u
}

func mustCreateSite(t *testing.T, s domain.Store, id, creator string, caps ...string) {
	t.Helper()
	if err := s.CreateSite(t.Context(), domain.Site{ID: id, CapabilityIDs: caps, CreatedAt: t0}, creator); err != nil {
		t.Fatalf("CreateSite(%q, by %q): %v", id, creator, err)
	}
}

func mustGetSite(t *testing.T, s domain.Store, id string) domain.Site {
	t.Helper()
	site, err := s.GetSite(t.Context(), id)
	if err != nil {
		t.Fatalf("GetSite(%q): %v", id, err)
	}
	return site
}

func newClient(id, site string) domain.SiteClient {
	return domain.SiteClient{ID: id, SiteID: site, SecretHash: "sha256:" + strings.Repeat("ab", 32), CreatedAt: t0, CreatedBy: "alice"}
}

func mustCreateClient(t *testing.T, s domain.Store, c domain.SiteClient) {
	t.Helper()
	if err := s.CreateSiteClient(t.Context(), c); err != nil {
		t.Fatalf("CreateSiteClient(%q): %v", c.ID, err)
	}
}

// wantKind fails unless err is a *domain.Error of kind k whose message
// names mention (when given), so that a person can act on it.
func wantKind(t *testing.T, what string, err error, k domain.Kind, mention string) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s: got no error, want kind %s", what, kindName(k))
	}
	if got := domain.KindOf(err); got != k {
		t.Fatalf("%s: got error %q of kind %s, want kind %s", what, err, kindName(got), kindName(k))
	}
	if mention != "" && !strings.Contains(err.Error(), mention) {
		t.Errorf("%s: error %q does not name %q", what, err, mention)
	}
}

func kindName(k domain.Kind) string {
	switch k {
	case domain.KindInternal:
		return "Internal (no kind)"
	case domain.NotFound:
		return "NotFound"
	case domain.Conflict:
		return "Conflict"
	case domain.Invalid:
		return "Invalid"
	case domain.Unavailable:
		return "Unavailable"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// sameTime compares instants, treating both zero values as equal.
func sameTime(a, b time.Time) bool {
	if a.IsZero() || b.IsZero() {
		return a.IsZero() && b.IsZero()
	}
	return a.Equal(b)
}

// sameIDs compares id lists, treating nil and empty as equal.
func sameIDs(a, b []string) bool { return len(a) == len(b) && (len(a) == 0 || slices.Equal(a, b)) }

func diffUser(got, want domain.User) string {
	var d []string
	add := func(field string, g, w any) { d = append(d, fmt.Sprintf("%s = %#v, want %#v", field, g, w)) }
	if got.Username != want.Username {
		add("Username", got.Username, want.Username)
	}
	if got.Email != want.Email {
		add("Email", got.Email, want.Email)
	}
	if got.FullName != want.FullName {
		add("FullName", got.FullName, want.FullName)
	}
	if !sameIDs(got.SiteAdmin, want.SiteAdmin) {
		add("SiteAdmin", got.SiteAdmin, want.SiteAdmin)
	}
	if got.Disabled != want.Disabled {
		add("Disabled", got.Disabled, want.Disabled)
	}
	if got.PasswordHash != want.PasswordHash {
		add("PasswordHash", got.PasswordHash, want.PasswordHash)
	}
	if !sameTime(got.CreatedAt, want.CreatedAt) {
		add("CreatedAt", got.CreatedAt, want.CreatedAt)
	}
	if !sameTime(got.TokensValidAfter, want.TokensValidAfter) {
		add("TokensValidAfter", got.TokensValidAfter, want.TokensValidAfter)
	}
	return strings.Join(d, "; ")
}

func diffSite(got, want domain.Site) string {
	var d []string
	if got.ID != want.ID {
		d = append(d, fmt.Sprintf("ID = %q, want %q", got.ID, want.ID))
	}
	if !sameIDs(got.CapabilityIDs, want.CapabilityIDs) {
		d = append(d, fmt.Sprintf("CapabilityIDs = %q, want %q", got.CapabilityIDs, want.CapabilityIDs))
	}
	if !sameTime(got.CreatedAt, want.CreatedAt) {
		d = append(d, fmt.Sprintf("CreatedAt = %v, want %v", got.CreatedAt, want.CreatedAt))
	}
	return strings.Join(d, "; ")
}

func diffClient(got, want domain.SiteClient) string {
	var d []string
	add := func(field string, g, w any) { d = append(d, fmt.Sprintf("%s = %#v, want %#v", field, g, w)) }
	if got.ID != want.ID {
		add("ID", got.ID, want.ID)
	}
	if got.SiteID != want.SiteID {
		add("SiteID", got.SiteID, want.SiteID)
	}
	if got.SecretHash != want.SecretHash {
		add("SecretHash", got.SecretHash, want.SecretHash)
	}
	if got.CreatedBy != want.CreatedBy {
		add("CreatedBy", got.CreatedBy, want.CreatedBy)
	}
	if !sameTime(got.CreatedAt, want.CreatedAt) {
		add("CreatedAt", got.CreatedAt, want.CreatedAt)
	}
	if !sameTime(got.LastUsedAt, want.LastUsedAt) {
		add("LastUsedAt", got.LastUsedAt, want.LastUsedAt)
	}
	if !sameTime(got.TokensValidAfter, want.TokensValidAfter) {
		add("TokensValidAfter", got.TokensValidAfter, want.TokensValidAfter)
	}
	return strings.Join(d, "; ")
}

// oddKeys are lookup keys that no row can have: they must read as
// NotFound, never as a driver error that would become a 500.
var oddKeys = []struct{ name, key string }{
	{"empty", ""},
	{"NUL byte", "a\x00b"},
	{"invalid UTF-8", "\xff\xfe"},
	{"very long", strings.Repeat("x", 5000)},
	{"SQL quote", "x' OR '1'='1"},
}

// walkPages lists every item through pages of the given size, checking
// the paging contract on the way: full pages carry a token that decodes to
// the page's last key, the last page carries none, and no page is empty
// unless the whole list is.
func walkPages[T any](t *testing.T, limit int, list func(domain.ListFilter) (domain.Page[T], error), key func(T) string) []string {
	t.Helper()
	var keys []string
	after := ""
	for pages := 0; ; pages++ {
		if pages > 100 {
			t.Fatalf("limit %d: more than 100 pages; paging does not end", limit)
		}
		p, err := list(domain.ListFilter{After: after, Limit: limit})
		if err != nil {
			t.Fatalf("list after %q, limit %d: %v", after, limit, err)
		}
		if len(p.Items) > limit {
			t.Fatalf("limit %d: page has %d items", limit, len(p.Items))
		}
		for _, it := range p.Items {
			keys = append(keys, key(it))
		}
		if p.NextPageToken == "" {
			if len(p.Items) == 0 && pages > 0 {
				t.Errorf("limit %d: the last page is empty; the page before it should have had no token", limit)
			}
			return keys
		}
		if len(p.Items) != limit {
			t.Fatalf("limit %d: a page with a next token has %d items", limit, len(p.Items))
		}
		next, err := domain.DecodePageToken(p.NextPageToken)
		if err != nil {
			t.Fatalf("limit %d: next page token %q does not decode: %v", limit, p.NextPageToken, err)
		}
		if last := key(p.Items[len(p.Items)-1]); next != last {
			t.Fatalf("limit %d: next page token is for %q, want the page's last key %q", limit, next, last)
		}
		after = next
	}
}
