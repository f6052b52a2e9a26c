package storetest

import (
	"slices"
	"strconv"
	"testing"

	"github.com/nmdc-runtime/server/domain"
)

func testUsers(t *testing.T, open Opener) {
	t.Run("CreateUser then GetUser returns every field", func(t *testing.T) {
		full := newUser("Zoë Quinn-O'Brien", "lab-b", "not-a-site-yet", "lab-a")
		full.Email = "zoe@example.org"
		full.FullName = "Zoë Quinn-O'Brien"
		full.Disabled = true
		full.TokensValidAfter = t0.Add(90 * 60e9)
		cases := []struct {
			name string
			user domain.User
		}{
			{"minimal", newUser("alice")},
			{"every field set, site_admin order kept, sites need not exist", full},
			{"one site_admin entry", newUser("bob", domain.AdminSiteID)},
			{"non-ASCII username", newUser("数据科学家")},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				s := open(t)
				mustCreateUser(t, s, tc.user)
				if d := diffUser(mustGetUser(t, s, tc.user.Username), tc.user); d != "" {
					t.Error(d)
				}
			})
		}
	})

	t.Run("GetUser of a missing user is NotFound", func(t *testing.T) {
		cases := []struct{ name, key string }{
			{"never created", "nobody"},
			{"differs in case only (usernames match exactly)", "Alice"},
			{"fullwidth form", "ａｌｉｃｅ"},
			{"trailing space", "alice "},
		}
		for _, k := range oddKeys {
			cases = append(cases, struct{ name, key string }{k.name, k.key})
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				s := open(t)
				mustCreateUser(t, s, newUser("alice"))
				u, err := s.GetUser(t.Context(), tc.key)
				wantKind(t, "GetUser", err, domain.NotFound, "")
				if u.Username != "" || u.PasswordHash != "" || u.SiteAdmin != nil {
					t.Errorf("GetUser(%q) returned a non-zero user %+v with NotFound", tc.key, u)
				}
			})
		}
	})

	t.Run("CreateUser refuses a taken or look-alike username with Conflict", func(t *testing.T) {
		cases := []struct {
			name, existing, new string
		}{
			{"same username", "alice", "alice"},
			{"differs in case", "alice", "Alice"},
			{"all capitals", "alice", "ALICE"},
			{"fullwidth letters", "alice", "ａｌｉｃｅ"},
			{"existing is the upper-case one", "Alice", "alice"},
			{"full case folding (ß and SS)", "straße", "STRASSE"},
			{"compatibility ligature", "ﬀoo", "ffoo"},
			{"composed and decomposed accents", "émile", "e\u0301mile"},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				s := open(t)
				orig := newUser(tc.existing, "lab-a")
				mustCreateUser(t, s, orig)
				dup := newUser(tc.new, "lab-z", domain.AdminSiteID)
				dup.Email = "intruder@example.org"
				wantKind(t, "CreateUser", s.CreateUser(t.Context(), dup), domain.Conflict, tc.new)
				// The refused create changed nothing.
				if d := diffUser(mustGetUser(t, s, tc.existing), orig); d != "" {
					t.Errorf("existing user changed: %s", d)
				}
				if tc.new != tc.existing {
					_, err := s.GetUser(t.Context(), tc.new)
					wantKind(t, "GetUser of the refused username", err, domain.NotFound, "")
				}
				p, err := s.ListUsers(t.Context(), domain.ListFilter{Limit: 10})
				if err != nil {
					t.Fatal(err)
				}
				if len(p.Items) != 1 {
					t.Errorf("ListUsers has %d users after a refused create, want 1", len(p.Items))
				}
			})
		}
	})

	t.Run("CreateUser accepts usernames that only look alike to a person", func(t *testing.T) {
		// Folding is case and compatibility only: different letters stay
		// different accounts.
		s := open(t)
		for _, name := range []string{"alice", "alice2", "alice.smith", "alicé", "bob"} {
			mustCreateUser(t, s, newUser(name))
		}
	})

	t.Run("UpdateUser replaces every field", func(t *testing.T) {
		cases := []struct {
			name   string
			change func(u *domain.User)
		}{
			{"email and full name", func(u *domain.User) { u.Email, u.FullName = "new@example.org", "New Name" }},
			{"clear email and full name", func(u *domain.User) { u.Email, u.FullName = "", "" }},
			{"disable", func(u *domain.User) { u.Disabled = true; u.TokensValidAfter = t0.Add(3600e9) }},
			{"password hash", func(u *domain.User) { u.PasswordHash = "$2b$04$another.hash" }},
			{"site_admin reordered", func(u *domain.User) { u.SiteAdmin = []string{"lab-c", "lab-a", "lab-b"} }},
			{"site_admin emptied", func(u *domain.User) { u.SiteAdmin = nil }},
			{"site_admin grown with a site that does not exist", func(u *domain.User) {
				u.SiteAdmin = append(slices.Clone(u.SiteAdmin), "future-site", domain.AdminSiteID)
			}},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				s := open(t)
				u := newUser("alice", "lab-a", "lab-b", "lab-c")
				u.Email, u.FullName = "alice@example.org", "Alice A."
				mustCreateUser(t, s, u)
				other := newUser("bob", "lab-a")
				mustCreateUser(t, s, other)

				tc.change(&u)
				if err := s.UpdateUser(t.Context(), u); err != nil {
					t.Fatalf("UpdateUser: %v", err)
				}
				if d := diffUser(mustGetUser(t, s, "alice"), u); d != "" {
					t.Error(d)
				}
				if d := diffUser(mustGetUser(t, s, "bob"), other); d != "" {
					t.Errorf("another user changed: %s", d)
				}
			})
		}
	})

	t.Run("UpdateUser of a missing user is NotFound and creates nothing", func(t *testing.T) {
		s := open(t)
		mustCreateUser(t, s, newUser("alice"))
		for _, name := range []string{"nobody", "Alice"} {
			wantKind(t, "UpdateUser", s.UpdateUser(t.Context(), newUser(name, "lab-a")), domain.NotFound, name)
			_, err := s.GetUser(t.Context(), name)
			wantKind(t, "GetUser after a failed update", err, domain.NotFound, "")
		}
		if d := diffUser(mustGetUser(t, s, "alice"), newUser("alice")); d != "" {
			t.Errorf("existing user changed: %s", d)
		}
	})

	t.Run("ListUsers", func(t *testing.T) {
		// Byte order of UTF-8, which is code point order: capitals before
		// lower case, ASCII before accented letters.
		sorted := []string{"Bob", "Zed", "_under", "alice", "carol", "dave", "émile", "数据"}
		mk := func(t *testing.T) domain.Store {
			s := open(t)
			for _, i := range []int{4, 0, 7, 2, 6, 1, 5, 3} {
				mustCreateUser(t, s, newUser(sorted[i], "site-of-"+sorted[i]))
			}
			return s
		}

		t.Run("empty store", func(t *testing.T) {
			s := open(t)
			p, err := s.ListUsers(t.Context(), domain.ListFilter{Limit: 10})
			if err != nil {
				t.Fatal(err)
			}
			if len(p.Items) != 0 || p.NextPageToken != "" {
				t.Errorf("got %d users and token %q, want none", len(p.Items), p.NextPageToken)
			}
		})

		t.Run("ordered by username with whole users", func(t *testing.T) {
			s := mk(t)
			p, err := s.ListUsers(t.Context(), domain.ListFilter{Limit: 100})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, u := range p.Items {
				got = append(got, u.Username)
				if d := diffUser(u, newUser(u.Username, "site-of-"+u.Username)); d != "" {
					t.Errorf("listed user %q: %s", u.Username, d)
				}
			}
			if !slices.Equal(got, sorted) {
				t.Errorf("order %q, want %q", got, sorted)
			}
			if p.NextPageToken != "" {
				t.Errorf("a page holding everything has token %q", p.NextPageToken)
			}
		})

		for _, limit := range []int{1, 2, 3, 4, 7, 8, 9, 1000} {
			t.Run("pages of "+strconv.Itoa(limit), func(t *testing.T) {
				s := mk(t)
				got := walkPages(t, limit, func(f domain.ListFilter) (domain.Page[domain.User], error) {
					return s.ListUsers(t.Context(), f)
				}, func(u domain.User) string { return u.Username })
				if !slices.Equal(got, sorted) {
					t.Errorf("paged through %q, want %q", got, sorted)
				}
			})
		}

		t.Run("After a key that is not stored", func(t *testing.T) {
			s := mk(t)
			p, err := s.ListUsers(t.Context(), domain.ListFilter{After: "b", Limit: 2})
			if err != nil {
				t.Fatal(err)
			}
			if len(p.Items) != 2 || p.Items[0].Username != "carol" || p.Items[1].Username != "dave" {
				t.Errorf("got %v, want carol and dave", usernames(p.Items))
			}
		})

		t.Run("After the last key", func(t *testing.T) {
			s := mk(t)
			p, err := s.ListUsers(t.Context(), domain.ListFilter{After: "数据", Limit: 5})
			if err != nil {
				t.Fatal(err)
			}
			if len(p.Items) != 0 || p.NextPageToken != "" {
				t.Errorf("got %v and token %q, want nothing", usernames(p.Items), p.NextPageToken)
			}
		})
	})
}

func usernames(us []domain.User) []string {
	var out []string
	for _, u := range us {
		out = append(out, u.Username)
	}
	return out
}
