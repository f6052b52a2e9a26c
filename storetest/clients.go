package storetest

import (
	"testing"

	"github.com/nmdc-runtime/server/domain"
)

func testSiteClients(t *testing.T, open Opener) {
	// mk returns a store with user alice administering sites lab-a and lab-b.
	mk := func(t *testing.T) domain.Store {
		s := open(t)
		mustCreateUser(t, s, newUser("alice"))
		mustCreateSite(t, s, "lab-a", "alice")
		mustCreateSite(t, s, "lab-b", "alice")
		return s
	}

	t.Run("CreateSiteClient then GetSiteClient returns every field", func(t *testing.T) {
		used := newClient("sys0used", "lab-b")
		used.LastUsedAt = t0.Add(60e9)
		used.TokensValidAfter = t0.Add(120e9)
		used.SecretHash = "$2b$04$imported.bcrypt.hash.of.a.user.chosen.secret"
		cases := []struct {
			name   string
			client domain.SiteClient
		}{
			{"new client", newClient("sys0abc123", "lab-a")},
			{"every field set", used},
			{"no creator recorded (imported)", domain.SiteClient{ID: "sys0imported", SiteID: "lab-a", SecretHash: "sha256:00", CreatedAt: t0}},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				s := mk(t)
				mustCreateClient(t, s, tc.client)
				got, err := s.GetSiteClient(t.Context(), tc.client.ID)
				if err != nil {
					t.Fatalf("GetSiteClient: %v", err)
				}
				if d := diffClient(got, tc.client); d != "" {
					t.Error(d)
				}
			})
		}
	})

	t.Run("a site may have several clients", func(t *testing.T) {
		s := mk(t)
		ids := []string{"sys0one", "sys0two", "sys0three"}
		for _, id := range ids {
			mustCreateClient(t, s, newClient(id, "lab-a"))
		}
		for _, id := range ids {
			c, err := s.GetSiteClient(t.Context(), id)
			if err != nil {
				t.Fatalf("GetSiteClient(%q): %v", id, err)
			}
			if c.SiteID != "lab-a" {
				t.Errorf("client %q acts for %q, want lab-a", id, c.SiteID)
			}
		}
	})

	t.Run("CreateSiteClient of an existing id is Conflict", func(t *testing.T) {
		cases := []struct{ name, site string }{
			{"same site", "lab-a"},
			{"another site", "lab-b"},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				s := mk(t)
				orig := newClient("sys0dup", "lab-a")
				mustCreateClient(t, s, orig)
				dup := newClient("sys0dup", tc.site)
				dup.SecretHash = "sha256:" + "ff"
				wantKind(t, "CreateSiteClient", s.CreateSiteClient(t.Context(), dup), domain.Conflict, "sys0dup")
				got, err := s.GetSiteClient(t.Context(), "sys0dup")
				if err != nil {
					t.Fatal(err)
				}
				if d := diffClient(got, orig); d != "" {
					t.Errorf("existing client changed: %s", d)
				}
			})
		}
	})

	t.Run("CreateSiteClient for a missing site is NotFound and writes nothing", func(t *testing.T) {
		cases := []struct{ name, site string }{
			{"never created", "lab-z"},
			{"differs in case", "LAB-A"},
			{"named in a site_admin list only", "future-site"},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				s := mk(t)
				mustCreateUser(t, s, newUser("bob", "future-site"))
				err := s.CreateSiteClient(t.Context(), newClient("sys0orphan", tc.site))
				wantKind(t, "CreateSiteClient", err, domain.NotFound, tc.site)
				_, err = s.GetSiteClient(t.Context(), "sys0orphan")
				wantKind(t, "GetSiteClient of the refused client", err, domain.NotFound, "")
				// Nothing half-written blocks a valid create with the same id.
				mustCreateClient(t, s, newClient("sys0orphan", "lab-a"))
			})
		}
	})

	t.Run("GetSiteClient of a missing id is NotFound", func(t *testing.T) {
		cases := []struct{ name, key string }{
			{"never created", "sys0missing"},
			{"differs in case", "SYS0ABC"},
			{"a site id", "lab-a"},
		}
		for _, k := range oddKeys {
			cases = append(cases, struct{ name, key string }{k.name, k.key})
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				s := mk(t)
				mustCreateClient(t, s, newClient("sys0abc", "lab-a"))
				c, err := s.GetSiteClient(t.Context(), tc.key)
				wantKind(t, "GetSiteClient", err, domain.NotFound, "")
				if c.ID != "" || c.SecretHash != "" || c.SiteID != "" {
					t.Errorf("GetSiteClient(%q) returned a non-zero client %+v with NotFound", tc.key, c)
				}
			})
		}
	})
}
