package storetest

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/nmdc-runtime/server/domain"
)

func must(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// lifecycleFixture makes users alice (admin of lab) and bob, and a client.
func lifecycleFixture(t *testing.T, s domain.Store) {
	t.Helper()
	mustCreateUser(t, s, newUser("alice"))
	mustCreateUser(t, s, newUser("bob"))
	mustCreateSite(t, s, "lab", "alice")
	mustCreateClient(t, s, domain.SiteClient{ID: "sys0a", SiteID: "lab", SecretHash: "sha256:00", CreatedAt: t0, CreatedBy: "alice"})
}

// testCredentialLifecycle covers the store methods of accounts and
// credentials over their life: site clients listed, updated, touched and
// deleted; site admins added and removed (never the last); allowances;
// capabilities; one-time share links opened exactly once.
func testCredentialLifecycle(t *testing.T, open Opener) {
	t.Run("site clients: list, update, touch, delete", func(t *testing.T) {
		s := open(t)
		ctx := t.Context()
		lifecycleFixture(t, s)
		must(t, "CreateSiteClient", s.CreateSiteClient(ctx, domain.SiteClient{ID: "sys0b", SiteID: "lab", SecretHash: "sha256:01", CreatedAt: t0.Add(-time.Hour)}))
		cs, err := s.ListSiteClients(ctx, "lab")
		must(t, "ListSiteClients", err)
		if len(cs) != 2 || cs[0].ID != "sys0b" || cs[1].ID != "sys0a" {
			t.Fatalf("clients not in creation order: %+v", cs)
		}
		if cs, err := s.ListSiteClients(ctx, "no-such-site"); err != nil || cs == nil || len(cs) != 0 {
			t.Fatalf("ListSiteClients of an unknown site: %v, %v (want an empty list)", cs, err)
		}
		c := cs[1]
		c.SecretHash, c.TokensValidAfter = "sha256:ff", t0.Add(time.Second)
		must(t, "UpdateSiteClient", s.UpdateSiteClient(ctx, c))
		got, err := s.GetSiteClient(ctx, "sys0a")
		must(t, "GetSiteClient", err)
		if got.SecretHash != "sha256:ff" || !got.TokensValidAfter.Equal(t0.Add(time.Second)) || got.CreatedBy != "alice" {
			t.Fatalf("after update: %+v", got)
		}
		wantKind(t, "UpdateSiteClient unknown", s.UpdateSiteClient(ctx, domain.SiteClient{ID: "sys0none"}), domain.NotFound, "")

		must(t, "TouchSiteClient", s.TouchSiteClient(ctx, "sys0a", t0, time.Minute))
		must(t, "TouchSiteClient again", s.TouchSiteClient(ctx, "sys0a", t0.Add(30*time.Second), time.Minute))
		got, _ = s.GetSiteClient(ctx, "sys0a")
		if !got.LastUsedAt.Equal(t0) {
			t.Fatalf("a touch within the granularity wrote: %v", got.LastUsedAt)
		}
		must(t, "TouchSiteClient later", s.TouchSiteClient(ctx, "sys0a", t0.Add(time.Minute), time.Minute))
		got, _ = s.GetSiteClient(ctx, "sys0a")
		if !got.LastUsedAt.Equal(t0.Add(time.Minute)) {
			t.Fatalf("last_used_at %v", got.LastUsedAt)
		}
		must(t, "TouchSiteClient unknown", s.TouchSiteClient(ctx, "sys0none", t0, time.Minute))

		must(t, "DeleteSiteClient", s.DeleteSiteClient(ctx, "sys0a"))
		wantKind(t, "GetSiteClient deleted", func() error { _, err := s.GetSiteClient(ctx, "sys0a"); return err }(), domain.NotFound, "")
		wantKind(t, "DeleteSiteClient twice", s.DeleteSiteClient(ctx, "sys0a"), domain.NotFound, "")
	})

	t.Run("site admins: add, list, remove, last admin", func(t *testing.T) {
		s := open(t)
		ctx := t.Context()
		lifecycleFixture(t, s)
		wantKind(t, "AddSiteAdmin unknown user", s.AddSiteAdmin(ctx, "lab", "nobody"), domain.NotFound, "")
		wantKind(t, "AddSiteAdmin existing", s.AddSiteAdmin(ctx, "lab", "alice"), domain.Conflict, "")
		wantKind(t, "RemoveSiteAdmin last", s.RemoveSiteAdmin(ctx, "lab", "alice"), domain.Conflict, "")
		wantKind(t, "RemoveSiteAdmin non-admin", s.RemoveSiteAdmin(ctx, "lab", "bob"), domain.NotFound, "")
		must(t, "AddSiteAdmin", s.AddSiteAdmin(ctx, "lab", "bob"))
		names, err := s.ListSiteAdmins(ctx, "lab")
		must(t, "ListSiteAdmins", err)
		if !slices.Equal(names, []string{"alice", "bob"}) {
			t.Fatalf("admins %v", names)
		}
		u, _ := s.GetUser(ctx, "bob")
		if !slices.Equal(u.SiteAdmin, []string{"lab"}) {
			t.Fatalf("bob's site_admin %v", u.SiteAdmin)
		}
		must(t, "RemoveSiteAdmin", s.RemoveSiteAdmin(ctx, "lab", "alice"))
		names, _ = s.ListSiteAdmins(ctx, "lab")
		if !slices.Equal(names, []string{"bob"}) {
			t.Fatalf("admins %v", names)
		}
		if names, err := s.ListSiteAdmins(ctx, "none"); err != nil || names == nil || len(names) != 0 {
			t.Fatalf("ListSiteAdmins of an unknown site: %v, %v", names, err)
		}
	})

	t.Run("two admins removing each other at once leave one", func(t *testing.T) {
		s := open(t)
		ctx := t.Context()
		lifecycleFixture(t, s)
		must(t, "AddSiteAdmin", s.AddSiteAdmin(ctx, "lab", "bob"))
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i, n := range []string{"alice", "bob"} {
			wg.Go(func() { errs[i] = s.RemoveSiteAdmin(ctx, "lab", n) })
		}
		wg.Wait()
		names, _ := s.ListSiteAdmins(ctx, "lab")
		if len(names) != 1 || (errs[0] == nil) == (errs[1] == nil) {
			t.Fatalf("admins %v, errors %v", names, errs)
		}
	})

	t.Run("allowances: create, conflict, filter, page, delete", func(t *testing.T) {
		s := open(t)
		ctx := t.Context()
		for _, a := range []domain.Allowance{{Username: "bob", Action: "/b"}, {Username: "alice", Action: "/b"}, {Username: "alice", Action: "/a"}, {Username: "carol", Action: "/a"}} {
			must(t, "CreateAllowance", s.CreateAllowance(ctx, a))
		}
		wantKind(t, "CreateAllowance duplicate", s.CreateAllowance(ctx, domain.Allowance{Username: "bob", Action: "/b"}), domain.Conflict, "")
		var got []string
		f := domain.AllowanceFilter{ListFilter: domain.ListFilter{Limit: 1}}
		for {
			p, err := s.ListAllowances(ctx, f)
			must(t, "ListAllowances", err)
			for _, a := range p.Items {
				got = append(got, a.Username+a.Action)
			}
			if p.NextPageToken == "" {
				break
			}
			f.After, err = domain.DecodePageToken(p.NextPageToken)
			must(t, "DecodePageToken", err)
		}
		if !slices.Equal(got, []string{"alice/a", "alice/b", "bob/b", "carol/a"}) {
			t.Fatalf("allowances in pages %v", got)
		}
		p, _ := s.ListAllowances(ctx, domain.AllowanceFilter{Action: "/a", ListFilter: domain.ListFilter{Limit: 10}})
		if len(p.Items) != 2 || p.Items[1].Username != "carol" {
			t.Fatalf("by action %+v", p.Items)
		}
		p, _ = s.ListAllowances(ctx, domain.AllowanceFilter{Username: "alice", Action: "/b", ListFilter: domain.ListFilter{Limit: 10}})
		if len(p.Items) != 1 {
			t.Fatalf("by both %+v", p.Items)
		}
		if ok, err := s.HasAllowance(ctx, "carol", "/a"); !ok || err != nil {
			t.Fatalf("HasAllowance: %v %v", ok, err)
		}
		must(t, "DeleteAllowance", s.DeleteAllowance(ctx, domain.Allowance{Username: "carol", Action: "/a"}))
		if ok, _ := s.HasAllowance(ctx, "carol", "/a"); ok {
			t.Fatal("deleted allowance still held")
		}
		wantKind(t, "DeleteAllowance twice", s.DeleteAllowance(ctx, domain.Allowance{Username: "carol", Action: "/a"}), domain.NotFound, "")
	})

	t.Run("capabilities: create, get, page", func(t *testing.T) {
		s := open(t)
		ctx := t.Context()
		for i := range 5 {
			must(t, "CreateCapability", s.CreateCapability(ctx, domain.Capability{ID: fmt.Sprintf("cp%d", 4-i), Name: "n", Description: "d", CreatedAt: t0}))
		}
		wantKind(t, "CreateCapability duplicate", s.CreateCapability(ctx, domain.Capability{ID: "cp1", CreatedAt: t0}), domain.Conflict, "")
		c, err := s.GetCapability(ctx, "cp3")
		must(t, "GetCapability", err)
		if c.Name != "n" || c.Description != "d" || !c.CreatedAt.Equal(t0) {
			t.Fatalf("capability %+v", c)
		}
		wantKind(t, "GetCapability unknown", func() error { _, err := s.GetCapability(ctx, "x"); return err }(), domain.NotFound, "")
		p, err := s.ListCapabilities(ctx, domain.ListFilter{Limit: 3})
		must(t, "ListCapabilities", err)
		if len(p.Items) != 3 || p.Items[0].ID != "cp0" || p.NextPageToken == "" {
			t.Fatalf("page %+v", p)
		}
	})

	t.Run("share links: open once, exactly one opener under concurrency", func(t *testing.T) {
		s := open(t)
		ctx := t.Context()
		l := domain.ShareLink{TokenHash: "sha256:aa", Kind: domain.ShareUserPassword, Username: "bob", Sealed: []byte{1, 2, 3}, CreatedAt: t0, CreatedBy: "user:admin", ExpiresAt: t0.Add(time.Hour)}
		must(t, "CreateShareLink", s.CreateShareLink(ctx, l))
		wantKind(t, "CreateShareLink duplicate", s.CreateShareLink(ctx, l), domain.Conflict, "")
		wantKind(t, "OpenShareLink unknown", func() error { _, err := s.OpenShareLink(ctx, "sha256:bb", t0); return err }(), domain.NotFound, "")
		var wg sync.WaitGroup
		got := make([]domain.ShareLink, 8)
		errs := make([]error, 8)
		for i := range got {
			wg.Go(func() { got[i], errs[i] = s.OpenShareLink(ctx, l.TokenHash, t0.Add(time.Minute)) })
		}
		wg.Wait()
		winners := 0
		for i := range got {
			must(t, "OpenShareLink", errs[i])
			if got[i].OpenedAt.IsZero() {
				winners++
				if string(got[i].Sealed) != "\x01\x02\x03" || got[i].Username != "bob" || got[i].Kind != domain.ShareUserPassword || !got[i].ExpiresAt.Equal(l.ExpiresAt) || got[i].CreatedBy != "user:admin" {
					t.Fatalf("opened link %+v", got[i])
				}
			} else if len(got[i].Sealed) != 0 || !got[i].OpenedAt.Equal(t0.Add(time.Minute)) {
				t.Fatalf("a later opener sees %+v", got[i])
			}
		}
		if winners != 1 {
			t.Fatalf("%d openers received the secret, want 1", winners)
		}
	})
}
