package storetest

import (
	"bytes"
	"testing"

	"github.com/nmdc-runtime/server/domain"
)

var allowances = []string{domain.ActionAdminAllowances, domain.ActionAdminSiteClients}

func bootstrapAdmin(name string) domain.User {
	u := newUser(name, domain.AdminSiteID)
	u.FullName = "Runtime admin"
	return u
}

func testBootstrap(t *testing.T, open Opener) {
	later := t0.Add(3600e9)

	t.Run("on an empty store creates the admin site and user", func(t *testing.T) {
		s := open(t)
		created, err := s.Bootstrap(t.Context(), bootstrapAdmin("root"), allowances, later)
		if err != nil {
			t.Fatalf("Bootstrap: %v", err)
		}
		if !created {
			t.Fatal("Bootstrap on an empty store reported that it created nothing")
		}
		if d := diffUser(mustGetUser(t, s, "root"), bootstrapAdmin("root")); d != "" {
			t.Errorf("admin user: %s", d)
		}
		if d := diffSite(mustGetSite(t, s, domain.AdminSiteID), domain.Site{ID: domain.AdminSiteID, CreatedAt: later}); d != "" {
			t.Errorf("admin site: %s", d)
		}
	})

	t.Run("changes nothing once the store has a user", func(t *testing.T) {
		cases := []struct {
			name  string
			setup func(t *testing.T, s domain.Store)
			admin string
		}{
			{"second bootstrap, same admin", func(t *testing.T, s domain.Store) {
				if _, err := s.Bootstrap(t.Context(), bootstrapAdmin("root"), allowances, t0); err != nil {
					t.Fatal(err)
				}
			}, "root"},
			{"second bootstrap, another admin", func(t *testing.T, s domain.Store) {
				if _, err := s.Bootstrap(t.Context(), bootstrapAdmin("root"), allowances, t0); err != nil {
					t.Fatal(err)
				}
			}, "intruder"},
			{"a user but no admin site", func(t *testing.T, s domain.Store) {
				mustCreateUser(t, s, newUser("alice", "lab-a"))
			}, "root"},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				s := open(t)
				tc.setup(t, s)
				before := listAll(t, s)
				_, siteErrBefore := s.GetSite(t.Context(), domain.AdminSiteID)

				admin := bootstrapAdmin(tc.admin)
				admin.PasswordHash = "$2b$04$a.different.hash"
				created, err := s.Bootstrap(t.Context(), admin, allowances, later)
				if err != nil {
					t.Fatalf("Bootstrap: %v", err)
				}
				if created {
					t.Error("Bootstrap on a store with users reported that it created something")
				}
				after := listAll(t, s)
				if len(after) != len(before) {
					t.Fatalf("users went from %d to %d", len(before), len(after))
				}
				for i := range after {
					if d := diffUser(after[i], before[i]); d != "" {
						t.Errorf("user %q changed: %s", before[i].Username, d)
					}
				}
				site, siteErr := s.GetSite(t.Context(), domain.AdminSiteID)
				if domain.KindOf(siteErr) != domain.KindOf(siteErrBefore) {
					t.Errorf("admin site: error was %v, now %v", siteErrBefore, siteErr)
				}
				if siteErr == nil && !site.CreatedAt.Equal(t0) {
					t.Errorf("admin site was rewritten: created %v", site.CreatedAt)
				}
			})
		}
	})
}

func listAll(t *testing.T, s domain.Store) []domain.User {
	t.Helper()
	p, err := s.ListUsers(t.Context(), domain.ListFilter{Limit: 1000})
	if err != nil {
		t.Fatalf("ListUsers: %v", err)
	}
	return p.Items
}

func testSetting(t *testing.T, open Opener) {
	cases := []struct {
		name          string
		first, second []byte
	}{
		{"text value", []byte("key-one"), []byte("key-two")},
		{"binary value with NUL and high bytes", []byte{0, 1, 2, 0xff, 0xfe, 0}, []byte{9}},
		{"second caller offers the same value", []byte("same"), []byte("same")},
	}
	for _, tc := range cases {
		t.Run("first writer wins: "+tc.name, func(t *testing.T) {
			s := open(t)
			got, err := s.Setting(t.Context(), "jwt_signing_key", tc.first)
			if err != nil {
				t.Fatalf("first Setting: %v", err)
			}
			if !bytes.Equal(got, tc.first) {
				t.Fatalf("first Setting returned %q, want the offered %q", got, tc.first)
			}
			got, err = s.Setting(t.Context(), "jwt_signing_key", tc.second)
			if err != nil {
				t.Fatalf("second Setting: %v", err)
			}
			if !bytes.Equal(got, tc.first) {
				t.Errorf("second Setting returned %q, want the first value %q", got, tc.first)
			}
		})
	}

	t.Run("names are independent", func(t *testing.T) {
		s := open(t)
		for _, kv := range [][2]string{{"a", "1"}, {"b", "2"}, {"A", "3"}} {
			got, err := s.Setting(t.Context(), kv[0], []byte(kv[1]))
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != kv[1] {
				t.Errorf("Setting(%q) = %q, want %q", kv[0], got, kv[1])
			}
		}
	})
}

func testLifecycle(t *testing.T, open Opener) {
	t.Run("Ping answers on an open store", func(t *testing.T) {
		s := open(t)
		if err := s.Ping(t.Context()); err != nil {
			t.Fatalf("Ping: %v", err)
		}
	})
	t.Run("Ping after Close is Unavailable", func(t *testing.T) {
		s := open(t)
		if err := s.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
		wantKind(t, "Ping after Close", s.Ping(t.Context()), domain.Unavailable, "")
	})
}
