package storetest

import (
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nmdc-runtime/server/domain"
)

// testImport holds the cases of Store.Import: new items are written,
// identical ones are unchanged, a conflict or a failure writes nothing, a
// dry run writes nothing, and imports racing on one batch write each item
// once. Every case opens its own store.
func testImport(t *testing.T, open Opener) {
	t.Run("imported sites that differ only in case from a stored or imported one are conflicts", func(t *testing.T) {
		s := open(t)
		mustCreateUser(t, s, newUser("alice"))
		mustCreateSite(t, s, "lab", "alice")
		b := domain.ImportBatch{Sites: []domain.ImportSite{
			{Site: domain.Site{ID: "Lab", CreatedAt: impT0}, Source: impSrc("sites", 1)},
			{Site: domain.Site{ID: "OLD-LAB", CreatedAt: impT0}, Source: impSrc("sites", 2)},
			{Site: domain.Site{ID: "old-lab", CreatedAt: impT0}, Source: impSrc("sites", 3)},
			{Site: domain.Site{ID: "new-lab", CreatedAt: impT0}, Source: impSrc("sites", 4)},
		}}
		rep, err := s.Import(t.Context(), b, false)
		wantKind(t, "Import", err, domain.Conflict, "conflicting")
		impWantCounts(t, rep, [4]int{0, 2, 0, 0}, [4]int{}, [4]int{0, 2, 0, 0})
		for _, c := range rep.Conflicts {
			if !strings.Contains(c.Reason, "letter case") {
				t.Errorf("conflict %s does not name the case", c)
			}
		}
		for _, id := range []string{"Lab", "OLD-LAB", "old-lab", "new-lab"} {
			if _, err := s.GetSite(t.Context(), id); !domain.IsKind(err, domain.NotFound) {
				t.Errorf("GetSite %s after a refused import: %v", id, err)
			}
		}
	})

	t.Run("new items are written as given", func(t *testing.T) {
		s := open(t)
		rep, err := s.Import(t.Context(), impBatch(), false)
		if err != nil {
			t.Fatalf("Import: %v", err)
		}
		impWantCounts(t, rep, [4]int{2, 2, 2, 1}, [4]int{}, [4]int{})
		if !rep.Written || rep.DryRun {
			t.Fatalf("report %+v", rep)
		}
		u, err := s.GetUser(t.Context(), "ann")
		if err != nil {
			t.Fatal(err)
		}
		if u.PasswordHash != impHash1 || u.Email != "ann@example.org" || u.FullName != "Ann" || !slices.Equal(u.SiteAdmin, []string{"lab", "nowhere", domain.AdminSiteID}) || u.Disabled || !u.CreatedAt.Equal(impT0) {
			t.Fatalf("ann = %+v", u)
		}
		if u, err := s.GetUser(t.Context(), "ben"); err != nil || !u.Disabled {
			t.Fatalf("ben = %+v, %v", u, err)
		}
		site, err := s.GetSite(t.Context(), "lab")
		if err != nil || !slices.Equal(site.CapabilityIDs, []string{"cap-1"}) || !site.CreatedAt.Equal(impT0) {
			t.Fatalf("lab = %+v, %v", site, err)
		}
		c, err := s.GetSiteClient(t.Context(), "sys0lab1")
		if err != nil || c.SiteID != "lab" || c.SecretHash != impHash2 {
			t.Fatalf("sys0lab1 = %+v, %v", c, err)
		}
	})

	t.Run("a second import changes nothing", func(t *testing.T) {
		s := open(t)
		if _, err := s.Import(t.Context(), impBatch(), false); err != nil {
			t.Fatal(err)
		}
		b := impBatch()
		// Same contents, site_admin in another order: unchanged.
		slices.Reverse(b.Users[0].SiteAdmin)
		rep, err := s.Import(t.Context(), b, false)
		if err != nil {
			t.Fatalf("second Import: %v", err)
		}
		impWantCounts(t, rep, [4]int{}, [4]int{2, 2, 2, 1}, [4]int{})
		if u := impGetUser(t, s, "ann"); !slices.Equal(u.SiteAdmin, []string{"lab", "nowhere", domain.AdminSiteID}) {
			t.Fatalf("the second import reordered site_admin: %v", u.SiteAdmin)
		}
	})

	t.Run("a dry run writes nothing", func(t *testing.T) {
		s := open(t)
		rep, err := s.Import(t.Context(), impBatch(), true)
		if err != nil {
			t.Fatal(err)
		}
		impWantCounts(t, rep, [4]int{2, 2, 2, 1}, [4]int{}, [4]int{})
		if rep.Written || !rep.DryRun {
			t.Fatalf("report %+v", rep)
		}
		impWantNotFound(t, s)
	})

	t.Run("items added beside stored ones", func(t *testing.T) {
		s := open(t)
		// A stored site gets a new client; a stored user a new allowance.
		if err := s.CreateUser(t.Context(), domain.User{Username: "zoe", PasswordHash: impHash1, CreatedAt: impT0}); err != nil {
			t.Fatal(err)
		}
		if err := s.CreateSite(t.Context(), domain.Site{ID: "zoe-lab", CreatedAt: impT0}, "zoe"); err != nil {
			t.Fatal(err)
		}
		b := domain.ImportBatch{
			Sites:      []domain.ImportSite{{Site: domain.Site{ID: "zoe-lab", CreatedAt: impT0}, Source: impSrc("sites", 1)}},
			Clients:    []domain.ImportClient{{SiteClient: domain.SiteClient{ID: "sys0zoe1", SiteID: "zoe-lab", SecretHash: impHash2, CreatedAt: impT0}, Source: impSrc("sites", 1)}},
			Allowances: []domain.ImportAllowance{{Allowance: domain.Allowance{Username: "zoe", Action: domain.ActionAdminSiteClients}, Source: impSrc("allowances", 1)}},
		}
		rep, err := s.Import(t.Context(), b, false)
		if err != nil {
			t.Fatal(err)
		}
		impWantCounts(t, rep, [4]int{0, 0, 1, 1}, [4]int{0, 1, 0, 0}, [4]int{})
		if c, err := s.GetSiteClient(t.Context(), "sys0zoe1"); err != nil || c.SiteID != "zoe-lab" {
			t.Fatalf("client = %+v, %v", c, err)
		}
	})

	conflicts := []struct {
		name   string
		setup  func(t *testing.T, s domain.Store)
		change func(b *domain.ImportBatch)
		kind   string
	}{
		{
			name:  "user with another password hash",
			setup: func(t *testing.T, s domain.Store) { impMustCreateUser(t, s, "ann", impHash2) },
			kind:  "user",
		},
		{
			name:  "user with other site_admin",
			setup: func(t *testing.T, s domain.Store) { impMustCreateUser(t, s, "ann", impHash1) },
			kind:  "user",
		},
		{
			name:  "look-alike of a stored user",
			setup: func(t *testing.T, s domain.Store) { impMustCreateUser(t, s, "ANN", impHash1) },
			kind:  "user",
		},
		{
			name:   "look-alikes within the batch",
			change: func(b *domain.ImportBatch) { b.Users[1].Username = "Ａnn" },
			kind:   "user",
		},
		{
			name: "site with other capabilities",
			setup: func(t *testing.T, s domain.Store) {
				impMustCreateUser(t, s, "zoe", impHash1)
				if err := s.CreateSite(t.Context(), domain.Site{ID: "lab", CapabilityIDs: []string{"cap-2"}, CreatedAt: impT0}, "zoe"); err != nil {
					t.Fatal(err)
				}
			},
			kind: "site",
		},
		{
			name: "client of another site",
			setup: func(t *testing.T, s domain.Store) {
				impMustCreateUser(t, s, "zoe", impHash1)
				if err := s.CreateSite(t.Context(), domain.Site{ID: "zoe-lab", CreatedAt: impT0}, "zoe"); err != nil {
					t.Fatal(err)
				}
				if err := s.CreateSiteClient(t.Context(), domain.SiteClient{ID: "sys0lab1", SiteID: "zoe-lab", SecretHash: impHash2, CreatedAt: impT0}); err != nil {
					t.Fatal(err)
				}
			},
			kind: "client",
		},
		{
			name:   "allowance for a user nobody has",
			change: func(b *domain.ImportBatch) { b.Allowances[0].Username = "ghost" },
			kind:   "allowance",
		},
	}
	for _, tc := range conflicts {
		t.Run("conflict: "+tc.name+" writes nothing", func(t *testing.T) {
			s := open(t)
			if tc.setup != nil {
				tc.setup(t, s)
			}
			b := impBatch()
			if tc.change != nil {
				tc.change(&b)
			}
			for _, dry := range []bool{true, false} {
				rep, err := s.Import(t.Context(), b, dry)
				if !domain.IsKind(err, domain.Conflict) {
					t.Fatalf("dry run %v: err = %v, want Conflict", dry, err)
				}
				if rep.Written || len(rep.Conflicts) != 1 || rep.Conflicts[0].Kind != tc.kind || rep.Conflicts[0].Source.Line == 0 {
					t.Fatalf("dry run %v: report %+v", dry, rep)
				}
			}
			// The batch's new items are not there.
			if _, err := s.GetSite(t.Context(), "lab"); tc.kind != "site" && !domain.IsKind(err, domain.NotFound) {
				t.Fatalf("site lab after a refused import: %v", err)
			}
			if _, err := s.GetUser(t.Context(), "ben"); !domain.IsKind(err, domain.NotFound) {
				t.Fatalf("user ben after a refused import: %v", err)
			}
		})
	}

	t.Run("a failure part way writes nothing", func(t *testing.T) {
		s := open(t)
		b := impBatch()
		// A client whose site is neither imported nor stored fails at
		// insert time, after the users and sites of the batch.
		b.Clients = append(b.Clients, domain.ImportClient{SiteClient: domain.SiteClient{ID: "sys0orphan", SiteID: "no-such-site", SecretHash: impHash2, CreatedAt: impT0}, Source: impSrc("sites", 9)})
		rep, err := s.Import(t.Context(), b, false)
		if err == nil || rep.Written {
			t.Fatalf("Import = %+v, %v; want an error", rep, err)
		}
		impWantNotFound(t, s)
	})

	t.Run("racing imports write each item once", func(t *testing.T) {
		s := open(t)
		var wg sync.WaitGroup
		reps := make([]domain.ImportReport, 4)
		errs := make([]error, len(reps))
		for i := range reps {
			wg.Add(1)
			go func() {
				defer wg.Done()
				reps[i], errs[i] = s.Import(t.Context(), impBatch(), false)
			}()
		}
		wg.Wait()
		imported, unchanged := 0, 0
		for i := range reps {
			if errs[i] != nil {
				t.Fatalf("import %d: %v", i, errs[i])
			}
			imported += reps[i].Users.Imported
			unchanged += reps[i].Users.Unchanged
		}
		if imported != 2 || unchanged != 2*(len(reps)-1) {
			t.Fatalf("users imported %d times, unchanged %d times", imported, unchanged)
		}
	})
}

var impT0 = time.Date(2024, 5, 1, 12, 0, 0, 123_000_000, time.UTC)

// Two bcrypt hashes as an existing deployment stores them.
const (
	impHash1 = "$2b$10$HM5006ZSjKsGOInmJSj2Qerxo0JEJeGI70drOwpnafZgXT6aYNOhC"
	impHash2 = "$2b$10$tdU.R1yGqFN0rWdPVEzjkeRC05N7IuZVo0kRo97ZugH/j7mo5FG2u"
)

func impSrc(file string, line int) domain.Source {
	return domain.Source{File: file + ".json", Line: line}
}

// impBatch is a small valid batch: users ann (runtime admin) and ben
// (disabled), sites lab and nmdc-runtime-useradmin, two clients of lab,
// one allowance of ann.
func impBatch() domain.ImportBatch {
	return domain.ImportBatch{
		Users: []domain.ImportUser{
			{User: domain.User{Username: "ann", Email: "ann@example.org", FullName: "Ann", SiteAdmin: []string{"lab", "nowhere", domain.AdminSiteID}, PasswordHash: impHash1, CreatedAt: impT0}, Source: impSrc("users", 1)},
			{User: domain.User{Username: "ben", Disabled: true, PasswordHash: impHash2, CreatedAt: impT0}, Source: impSrc("users", 2)},
		},
		Sites: []domain.ImportSite{
			{Site: domain.Site{ID: "lab", CapabilityIDs: []string{"cap-1"}, CreatedAt: impT0}, Source: impSrc("sites", 1)},
			{Site: domain.Site{ID: domain.AdminSiteID, CreatedAt: impT0}, Source: impSrc("sites", 2)},
		},
		Clients: []domain.ImportClient{
			{SiteClient: domain.SiteClient{ID: "sys0lab1", SiteID: "lab", SecretHash: impHash2, CreatedAt: impT0}, Source: impSrc("sites", 1)},
			{SiteClient: domain.SiteClient{ID: "sys0lab2", SiteID: "lab", SecretHash: impHash1, CreatedAt: impT0}, Source: impSrc("sites", 1)},
		},
		Allowances: []domain.ImportAllowance{
			{Allowance: domain.Allowance{Username: "ann", Action: domain.ActionAdminAllowances}, Source: impSrc("allowances", 1)},
		},
	}
}

// impWantCounts checks users, sites, clients, allowances counts.
func impWantCounts(t *testing.T, r domain.ImportReport, imported, unchanged, conflicting [4]int) {
	t.Helper()
	got := [3][4]int{}
	for i, c := range []domain.ImportCounts{r.Users, r.Sites, r.Clients, r.Allowances} {
		got[0][i], got[1][i], got[2][i] = c.Imported, c.Unchanged, c.Conflicting
	}
	if want := [3][4]int{imported, unchanged, conflicting}; got != want {
		t.Fatalf("counts (imported, unchanged, conflicting × users, sites, clients, allowances) = %v, want %v; conflicts %v", got, want, r.Conflicts)
	}
}

func impGetUser(t *testing.T, s domain.Store, name string) domain.User {
	t.Helper()
	u, err := s.GetUser(t.Context(), name)
	if err != nil {
		t.Fatalf("GetUser(%q): %v", name, err)
	}
	return u
}

func impMustCreateUser(t *testing.T, s domain.Store, name, hash string) {
	t.Helper()
	if err := s.CreateUser(t.Context(), domain.User{Username: name, PasswordHash: hash, CreatedAt: impT0}); err != nil {
		t.Fatalf("CreateUser(%q): %v", name, err)
	}
}

// impWantNotFound checks that none of impBatch's items is stored.
func impWantNotFound(t *testing.T, s domain.Store) {
	t.Helper()
	for _, name := range []string{"ann", "ben"} {
		if _, err := s.GetUser(t.Context(), name); !domain.IsKind(err, domain.NotFound) {
			t.Fatalf("user %s: %v, want NotFound", name, err)
		}
	}
	for _, id := range []string{"lab", domain.AdminSiteID} {
		if _, err := s.GetSite(t.Context(), id); !domain.IsKind(err, domain.NotFound) {
			t.Fatalf("site %s: %v, want NotFound", id, err)
		}
	}
	if _, err := s.GetSiteClient(t.Context(), "sys0lab1"); !domain.IsKind(err, domain.NotFound) {
		t.Fatalf("client sys0lab1: %v, want NotFound", err)
	}
}
