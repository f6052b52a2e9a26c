package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/nmdc-runtime/server/domain"
)

// testGuards covers the writes a store refuses or follows up atomically:
// a site_admin list that drops a site's last admin, revoking the last
// holder of ActionAdminAllowances, and share links revoked when the secret
// they reveal is replaced or deleted.
func testGuards(t *testing.T, open Opener) {
	t.Run("UpdateUser refuses to drop a site's last admin", func(t *testing.T) {
		cases := []struct {
			name      string
			bobSites  []string // bob's list before
			newList   []string // bob's list in the update
			wantSite  string   // "" when the update must pass
			carolLabs []string // carol's list
		}{
			{name: "only admin of an existing site", bobSites: []string{"bob-lab", "alice-lab"}, newList: []string{"bob-lab"}, wantSite: "alice-lab"},
			{name: "emptied list", bobSites: []string{"alice-lab"}, newList: []string{}, wantSite: "alice-lab"},
			{name: "another admin remains", bobSites: []string{"alice-lab"}, newList: []string{}, carolLabs: []string{"alice-lab"}},
			{name: "a site not created yet does not count", bobSites: []string{"future-lab"}, newList: []string{}},
			{name: "kept and reordered", bobSites: []string{"alice-lab", "bob-lab"}, newList: []string{"bob-lab", "alice-lab"}},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				s := open(t)
				ctx := t.Context()
				mustCreateUser(t, s, newUser("bob", tc.bobSites...))
				mustCreateUser(t, s, newUser("carol", tc.carolLabs...))
				for _, id := range tc.bobSites {
					if id != "future-lab" {
						mustCreateSite(t, s, id, "bob")
					}
				}
				before := mustGetUser(t, s, "bob")
				u := before
				u.SiteAdmin = tc.newList
				u.FullName = "changed"
				err := s.UpdateUser(ctx, u)
				after := mustGetUser(t, s, "bob")
				if tc.wantSite == "" {
					must(t, "UpdateUser", err)
					if !sameIDs(after.SiteAdmin, tc.newList) {
						t.Fatalf("site_admin = %q, want %q", after.SiteAdmin, tc.newList)
					}
					return
				}
				wantKind(t, "UpdateUser", err, domain.Conflict, fmt.Sprintf("%q", tc.wantSite))
				if d := diffUser(after, before); d != "" {
					t.Fatalf("a refused UpdateUser changed bob: %s", d)
				}
			})
		}
	})

	t.Run("concurrent UpdateUser and RemoveSiteAdmin never leave a site without admins", func(t *testing.T) {
		s := open(t)
		ctx := t.Context()
		mustCreateUser(t, s, newUser("alice"))
		mustCreateSite(t, s, "lab", "alice")
		names := []string{"bob", "carol", "dave", "erin"}
		for _, n := range names {
			mustCreateUser(t, s, newUser(n))
			must(t, "AddSiteAdmin", s.AddSiteAdmin(ctx, "lab", n))
		}
		warmUp(t, s, 5)
		all := append([]string{"alice"}, names...)
		errs := race(len(all), func(i int) error {
			if i%2 == 0 {
				return s.RemoveSiteAdmin(ctx, "lab", all[i])
			}
			u, err := s.GetUser(ctx, all[i])
			if err != nil {
				return err
			}
			u.SiteAdmin = nil
			return s.UpdateUser(ctx, u)
		})
		passed := 0
		for i, err := range errs {
			switch {
			case err == nil:
				passed++
			case domain.KindOf(err) != domain.Conflict:
				t.Errorf("racer %d: %v, want nil or Conflict", i, err)
			}
		}
		admins, err := s.ListSiteAdmins(ctx, "lab")
		must(t, "ListSiteAdmins", err)
		if len(admins) != 1 || passed != len(all)-1 {
			t.Fatalf("%d removals passed, admins left %q; want exactly one admin left", passed, admins)
		}
	})

	t.Run("DeleteAllowance keeps one holder of /admin/allowances", func(t *testing.T) {
		s := open(t)
		ctx := t.Context()
		admin := domain.Allowance{Username: "alice", Action: domain.ActionAdminAllowances}
		must(t, "CreateAllowance", s.CreateAllowance(ctx, admin))
		must(t, "CreateAllowance other action", s.CreateAllowance(ctx, domain.Allowance{Username: "alice", Action: domain.ActionAdminSiteClients}))
		wantKind(t, "DeleteAllowance last holder", s.DeleteAllowance(ctx, admin), domain.Conflict, domain.ActionAdminAllowances)
		if ok, _ := s.HasAllowance(ctx, "alice", domain.ActionAdminAllowances); !ok {
			t.Fatal("the refused delete removed the allowance")
		}
		wantKind(t, "DeleteAllowance not held", s.DeleteAllowance(ctx, domain.Allowance{Username: "bob", Action: domain.ActionAdminAllowances}), domain.NotFound, "")
		must(t, "DeleteAllowance of another action", s.DeleteAllowance(ctx, domain.Allowance{Username: "alice", Action: domain.ActionAdminSiteClients}))
		must(t, "CreateAllowance bob", s.CreateAllowance(ctx, domain.Allowance{Username: "bob", Action: domain.ActionAdminAllowances}))
		must(t, "DeleteAllowance with another holder", s.DeleteAllowance(ctx, admin))
	})

	t.Run("concurrent DeleteAllowance leaves one holder", func(t *testing.T) {
		s := open(t)
		ctx := t.Context()
		names := []string{"a1", "a2", "a3", "a4", "a5", "a6"}
		for _, n := range names {
			must(t, "CreateAllowance", s.CreateAllowance(ctx, domain.Allowance{Username: n, Action: domain.ActionAdminAllowances}))
		}
		warmUp(t, s, len(names))
		errs := race(len(names), func(i int) error {
			return s.DeleteAllowance(ctx, domain.Allowance{Username: names[i], Action: domain.ActionAdminAllowances})
		})
		refused := 0
		for i, err := range errs {
			switch {
			case domain.KindOf(err) == domain.Conflict:
				refused++
			case err != nil:
				t.Errorf("racer %d: %v", i, err)
			}
		}
		p, err := s.ListAllowances(ctx, domain.AllowanceFilter{Action: domain.ActionAdminAllowances, ListFilter: domain.ListFilter{Limit: 10}})
		must(t, "ListAllowances", err)
		if len(p.Items) != 1 || refused != 1 {
			t.Fatalf("%d refused, holders left %+v; want exactly one", refused, p.Items)
		}
	})

	t.Run("share links are revoked when their secret is replaced or deleted", func(t *testing.T) {
		s := open(t)
		ctx := t.Context()
		lifecycleFixture(t, s) // alice, bob, site lab, client sys0a
		bob := mustGetUser(t, s, "bob")
		client, err := s.GetSiteClient(ctx, "sys0a")
		must(t, "GetSiteClient", err)
		must(t, "CreateSiteClient", s.CreateSiteClient(ctx, domain.SiteClient{ID: "sys0b", SiteID: "lab", SecretHash: "sha256:0b", CreatedAt: t0}))
		link := func(hash, kind, user, clientID, secretHash string) domain.ShareLink {
			return domain.ShareLink{TokenHash: hash, Kind: kind, Username: user, SiteID: "lab", ClientID: clientID, Sealed: []byte("sealed"),
				CreatedAt: t0, CreatedBy: "user:alice", ExpiresAt: t0.Add(time.Hour), SecretHash: secretHash}
		}
		pw := func(hash string) domain.ShareLink {
			return link(hash, domain.ShareUserPassword, "bob", "", bob.PasswordHash)
		}
		cs := func(hash, id, secretHash string) domain.ShareLink {
			return link(hash, domain.ShareClientSecret, "", id, secretHash)
		}
		must(t, "CreateShareLink pw1", s.CreateShareLink(ctx, pw("sha256:pw1")))
		must(t, "CreateShareLink pw-opened", s.CreateShareLink(ctx, pw("sha256:pw-opened")))
		must(t, "CreateShareLink cs1", s.CreateShareLink(ctx, cs("sha256:cs1", "sys0a", client.SecretHash)))
		must(t, "CreateShareLink cs2", s.CreateShareLink(ctx, cs("sha256:cs2", "sys0b", "sha256:0b")))
		// A link whose credential already changed is stored revoked.
		must(t, "CreateShareLink stale", s.CreateShareLink(ctx, cs("sha256:stale", "sys0a", "sha256:not-the-current-one")))
		must(t, "CreateShareLink gone client", s.CreateShareLink(ctx, cs("sha256:ghost", "sys0none", "sha256:whatever")))

		opened, err := s.OpenShareLink(ctx, "sha256:pw-opened", t0.Add(time.Second))
		must(t, "OpenShareLink", err)
		if opened.Revoked || string(opened.Sealed) != "sealed" {
			t.Fatalf("a fresh link opens as %+v", opened)
		}

		// Changing other fields revokes nothing.
		u := bob
		u.FullName = "Bob"
		must(t, "UpdateUser without a new password", s.UpdateUser(ctx, u))
		u.PasswordHash = "$2b$04$another.hash"
		must(t, "UpdateUser with a new password", s.UpdateUser(ctx, u))
		c := client
		must(t, "UpdateSiteClient same secret", s.UpdateSiteClient(ctx, c))
		c.SecretHash = "sha256:new"
		must(t, "UpdateSiteClient", s.UpdateSiteClient(ctx, c))
		must(t, "DeleteSiteClient", s.DeleteSiteClient(ctx, "sys0b"))

		for _, tc := range []struct {
			hash    string
			revoked bool
		}{
			{"sha256:pw1", true},
			{"sha256:pw-opened", false}, // already opened: stays "opened"
			{"sha256:cs1", true},
			{"sha256:cs2", true},
			{"sha256:stale", true},
			{"sha256:ghost", true},
		} {
			l, err := s.OpenShareLink(ctx, tc.hash, t0.Add(time.Minute))
			must(t, "OpenShareLink "+tc.hash, err)
			if l.Revoked != tc.revoked {
				t.Errorf("%s: revoked = %v, want %v", tc.hash, l.Revoked, tc.revoked)
			}
			if tc.revoked && len(l.Sealed) != 0 {
				t.Errorf("%s: a revoked link kept its sealed secret", tc.hash)
			}
		}

		// A link made for the current secrets is not revoked.
		must(t, "CreateShareLink current", s.CreateShareLink(ctx, cs("sha256:cur", "sys0a", "sha256:new")))
		l, err := s.OpenShareLink(ctx, "sha256:cur", t0.Add(time.Minute))
		must(t, "OpenShareLink current", err)
		if l.Revoked || string(l.Sealed) != "sealed" {
			t.Fatalf("a link for the current secret opens as %+v", l)
		}
	})

	t.Run("CreateShareLink erases the sealed secrets of expired links", func(t *testing.T) {
		s := open(t)
		ctx := t.Context()
		old := domain.ShareLink{TokenHash: "sha256:old", Kind: domain.ShareUserPassword, Username: "bob", Sealed: []byte("sealed"), CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}
		live := old
		live.TokenHash, live.ExpiresAt = "sha256:live", t0.Add(3*time.Hour)
		must(t, "CreateShareLink old", s.CreateShareLink(ctx, old))
		must(t, "CreateShareLink live", s.CreateShareLink(ctx, live))
		later := old
		later.TokenHash, later.CreatedAt, later.ExpiresAt = "sha256:later", t0.Add(2*time.Hour), t0.Add(4*time.Hour)
		must(t, "CreateShareLink later", s.CreateShareLink(ctx, later))
		got, err := s.OpenShareLink(ctx, "sha256:old", t0.Add(2*time.Hour))
		must(t, "OpenShareLink old", err)
		if len(got.Sealed) != 0 || !got.ExpiresAt.Equal(old.ExpiresAt) {
			t.Fatalf("an expired link kept its sealed secret: %+v", got)
		}
		got, err = s.OpenShareLink(ctx, "sha256:live", t0.Add(2*time.Hour))
		must(t, "OpenShareLink live", err)
		if string(got.Sealed) != "sealed" {
			t.Fatalf("a live link lost its sealed secret: %+v", got)
		}
	})
}
