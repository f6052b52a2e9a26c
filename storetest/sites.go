package storetest

import (
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/nmdc-runtime/server/domain"
)

func testSites(t *testing.T, open Opener) {
	t.Run("CreateSite then GetSite returns every field", func(t *testing.T) {
		cases := []struct {
			name string
			site domain.Site
		}{
			{"no capabilities", domain.Site{ID: "lab-a", CreatedAt: t0}},
			{"capabilities in the order given", domain.Site{ID: "lab_b.2", CapabilityIDs: []string{"z-cap", "a-cap", "m-cap"}, CreatedAt: t0}},
			{"longest id", domain.Site{ID: string(make100()), CreatedAt: t0.Add(1e6)}},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				s := open(t)
				mustCreateUser(t, s, newUser("alice"))
				if err := s.CreateSite(t.Context(), tc.site, "alice"); err != nil {
					t.Fatalf("CreateSite: %v", err)
				}
				if d := diffSite(mustGetSite(t, s, tc.site.ID), tc.site); d != "" {
					t.Error(d)
				}
			})
		}
	})

	t.Run("CreateSite makes its creator an admin", func(t *testing.T) {
		cases := []struct {
			name   string
			before []string
			want   []string
		}{
			{"first grant", nil, []string{"new-site"}},
			{"appended after existing grants", []string{"lab-b", "lab-a"}, []string{"lab-b", "lab-a", "new-site"}},
			{"creator already named the site (site_admin may name sites that do not exist)",
				[]string{"lab-a", "new-site", "lab-b"}, []string{"lab-a", "new-site", "lab-b"}},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				s := open(t)
				mustCreateUser(t, s, newUser("alice", tc.before...))
				mustCreateUser(t, s, newUser("bob", "lab-a"))
				mustCreateSite(t, s, "new-site", "alice")
				if got := mustGetUser(t, s, "alice").SiteAdmin; !sameIDs(got, tc.want) {
					t.Errorf("creator's site_admin = %q, want %q", got, tc.want)
				}
				if got := mustGetUser(t, s, "bob").SiteAdmin; !sameIDs(got, []string{"lab-a"}) {
					t.Errorf("another user's site_admin changed to %q", got)
				}
			})
		}
	})

	t.Run("CreateSite of an existing id is Conflict and grants nothing", func(t *testing.T) {
		cases := []struct{ name, creator string }{
			{"another user", "bob"},
			{"the same creator", "alice"},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				s := open(t)
				mustCreateUser(t, s, newUser("alice", "lab-x"))
				mustCreateUser(t, s, newUser("bob", "lab-y"))
				mustCreateSite(t, s, "lab-a", "alice", "cap-1")
				err := s.CreateSite(t.Context(), domain.Site{ID: "lab-a", CapabilityIDs: []string{"cap-2"}, CreatedAt: t0.Add(5e9)}, tc.creator)
				wantKind(t, "CreateSite", err, domain.Conflict, "lab-a")
				if d := diffSite(mustGetSite(t, s, "lab-a"), domain.Site{ID: "lab-a", CapabilityIDs: []string{"cap-1"}, CreatedAt: t0}); d != "" {
					t.Errorf("existing site changed: %s", d)
				}
				if got := mustGetUser(t, s, "bob").SiteAdmin; !sameIDs(got, []string{"lab-y"}) {
					t.Errorf("bob's site_admin = %q after a refused create, want [lab-y]", got)
				}
				if got := mustGetUser(t, s, "alice").SiteAdmin; !sameIDs(got, []string{"lab-x", "lab-a"}) {
					t.Errorf("alice's site_admin = %q, want [lab-x lab-a]", got)
				}
			})
		}
	})

	t.Run("site ids match exactly but are unique after case folding", func(t *testing.T) {
		s := open(t)
		mustCreateUser(t, s, newUser("alice"))
		mustCreateUser(t, s, newUser("bob"))
		mustCreateSite(t, s, "lab", "alice")
		for _, id := range []string{"Lab", "LAB", "lAb"} {
			err := s.CreateSite(t.Context(), domain.Site{ID: id, CreatedAt: t0}, "bob")
			wantKind(t, "CreateSite "+id, err, domain.Conflict, `"lab"`)
			if !strings.Contains(err.Error(), "letter case") {
				t.Errorf("CreateSite(%q): %v, want it to say the ids differ only in letter case", id, err)
			}
			_, err = s.GetSite(t.Context(), id)
			wantKind(t, "GetSite "+id, err, domain.NotFound, "")
		}
		wantKind(t, "CreateSite exact duplicate", s.CreateSite(t.Context(), domain.Site{ID: "lab", CreatedAt: t0}, "bob"), domain.Conflict, "already exists")
		if got := mustGetUser(t, s, "bob").SiteAdmin; len(got) != 0 {
			t.Errorf("a refused CreateSite granted bob %q", got)
		}
		mustCreateSite(t, s, "lab-2", "alice")
		if got := mustGetUser(t, s, "alice").SiteAdmin; !sameIDs(got, []string{"lab", "lab-2"}) {
			t.Errorf("site_admin = %q", got)
		}
	})

	t.Run("concurrent look-alike sites: exactly one wins", func(t *testing.T) {
		s := open(t)
		mustCreateUser(t, s, newUser("alice"))
		ids := []string{"twin", "TWIN", "Twin", "tWIN", "twIN", "TWin"}
		errs := race(len(ids), func(i int) error {
			return s.CreateSite(t.Context(), domain.Site{ID: ids[i], CreatedAt: t0}, "alice")
		})
		exactlyOneWins(t, errs)
	})

	t.Run("ListSiteAdminsFolded", func(t *testing.T) {
		s := open(t)
		mustCreateUser(t, s, newUser("alice", "bob-future"))
		mustCreateUser(t, s, newUser("bob", "Bob-Future", "other"))
		mustCreateUser(t, s, newUser("carol", "bob-futures"))
		want := []domain.SiteAdminGrant{{Username: "alice", SiteID: "bob-future"}, {Username: "bob", SiteID: "Bob-Future"}}
		for _, id := range []string{"bob-future", "BOB-FUTURE", "Bob-Future"} {
			got, err := s.ListSiteAdminsFolded(t.Context(), id)
			must(t, "ListSiteAdminsFolded", err)
			if !slices.Equal(got, want) {
				t.Errorf("ListSiteAdminsFolded(%q) = %+v, want %+v", id, got, want)
			}
		}
		if got, err := s.ListSiteAdminsFolded(t.Context(), "nobody-s"); err != nil || got == nil || len(got) != 0 {
			t.Errorf("ListSiteAdminsFolded of an ungranted id = %q, %v; want an empty list", got, err)
		}
	})

	t.Run("CreateSite by a missing creator is NotFound and writes nothing", func(t *testing.T) {
		cases := []struct{ name, creator string }{
			{"never created", "ghost"},
			{"differs in case from a user", "Alice"},
			{"empty", ""},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				s := open(t)
				mustCreateUser(t, s, newUser("alice"))
				err := s.CreateSite(t.Context(), domain.Site{ID: "orphan", CreatedAt: t0}, tc.creator)
				wantKind(t, "CreateSite", err, domain.NotFound, tc.creator)
				_, err = s.GetSite(t.Context(), "orphan")
				wantKind(t, "GetSite of the refused site", err, domain.NotFound, "")
				p, err := s.ListSites(t.Context(), domain.ListFilter{Limit: 10})
				if err != nil {
					t.Fatal(err)
				}
				if len(p.Items) != 0 {
					t.Errorf("ListSites has %d sites after a refused create", len(p.Items))
				}
				// Nothing half-written blocks a later, valid create.
				mustCreateSite(t, s, "orphan", "alice")
			})
		}
	})

	t.Run("GetSite of a missing site is NotFound", func(t *testing.T) {
		cases := []struct{ name, key string }{
			{"never created", "lab-z"},
			{"differs in case", "LAB-A"},
		}
		for _, k := range oddKeys {
			cases = append(cases, struct{ name, key string }{k.name, k.key})
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				s := open(t)
				mustCreateUser(t, s, newUser("alice"))
				mustCreateSite(t, s, "lab-a", "alice")
				site, err := s.GetSite(t.Context(), tc.key)
				wantKind(t, "GetSite", err, domain.NotFound, "")
				if site.ID != "" || site.CapabilityIDs != nil {
					t.Errorf("GetSite(%q) returned a non-zero site %+v with NotFound", tc.key, site)
				}
			})
		}
	})

	t.Run("ListSites", func(t *testing.T) {
		sorted := []string{"-dash", "0lab", "LAX", "Lab_2", "_x", "lab", "lab-a", "lab.b", "z"}
		mk := func(t *testing.T) domain.Store {
			s := open(t)
			mustCreateUser(t, s, newUser("alice"))
			for _, i := range []int{5, 8, 0, 3, 7, 1, 6, 2, 4} {
				mustCreateSite(t, s, sorted[i], "alice", "cap-of-"+sorted[i])
			}
			return s
		}

		t.Run("empty store", func(t *testing.T) {
			s := open(t)
			p, err := s.ListSites(t.Context(), domain.ListFilter{Limit: 10})
			if err != nil {
				t.Fatal(err)
			}
			if len(p.Items) != 0 || p.NextPageToken != "" {
				t.Errorf("got %d sites and token %q, want none", len(p.Items), p.NextPageToken)
			}
		})

		t.Run("ordered by id with whole sites", func(t *testing.T) {
			s := mk(t)
			p, err := s.ListSites(t.Context(), domain.ListFilter{Limit: 100})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, site := range p.Items {
				got = append(got, site.ID)
				if d := diffSite(site, domain.Site{ID: site.ID, CapabilityIDs: []string{"cap-of-" + site.ID}, CreatedAt: t0}); d != "" {
					t.Errorf("listed site %q: %s", site.ID, d)
				}
			}
			if !slices.Equal(got, sorted) {
				t.Errorf("order %q, want %q", got, sorted)
			}
			if p.NextPageToken != "" {
				t.Errorf("a page holding everything has token %q", p.NextPageToken)
			}
		})

		for _, limit := range []int{1, 2, 3, 4, 8, 9, 10, 1000} {
			t.Run("pages of "+strconv.Itoa(limit), func(t *testing.T) {
				s := mk(t)
				got := walkPages(t, limit, func(f domain.ListFilter) (domain.Page[domain.Site], error) {
					return s.ListSites(t.Context(), f)
				}, func(site domain.Site) string { return site.ID })
				if !slices.Equal(got, sorted) {
					t.Errorf("paged through %q, want %q", got, sorted)
				}
			})
		}

		t.Run("After a key that is not stored", func(t *testing.T) {
			s := mk(t)
			p, err := s.ListSites(t.Context(), domain.ListFilter{After: "la", Limit: 2})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, site := range p.Items {
				got = append(got, site.ID)
			}
			if !slices.Equal(got, []string{"lab", "lab-a"}) || p.NextPageToken == "" {
				t.Errorf("got %q and token %q, want [lab lab-a] and a token", got, p.NextPageToken)
			}
		})
	})
}

func make100() []byte {
	b := make([]byte, domain.MaxSiteIDLen)
	for i := range b {
		b[i] = "abcdefghij"[i%10]
	}
	return b
}
