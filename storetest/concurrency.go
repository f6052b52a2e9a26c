package storetest

import (
	"fmt"
	"sync"
	"testing"

	"github.com/nmdc-runtime/server/domain"
)

// racers is how many goroutines race on one key.
const racers = 50

// race runs fn(i) for i in [0, n) in n goroutines released at once, and
// returns their errors by i.
func race(n int, fn func(i int) error) []error {
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			errs[i] = fn(i)
		})
	}
	close(start)
	wg.Wait()
	return errs
}

// exactlyOneWins checks that one racer succeeded and every other got a
// Conflict, and returns the winner's index.
func exactlyOneWins(t *testing.T, errs []error) int {
	t.Helper()
	winner := -1
	for i, err := range errs {
		switch {
		case err == nil && winner >= 0:
			t.Errorf("racers %d and %d both succeeded", winner, i)
		case err == nil:
			winner = i
		case domain.KindOf(err) != domain.Conflict:
			t.Errorf("racer %d: got %q of kind %s, want Conflict", i, err, kindName(domain.KindOf(err)))
		}
	}
	if winner < 0 {
		t.Fatal("no racer succeeded")
	}
	return winner
}

// warmUp has n goroutines use the store at once, so that a pooled store
// holds n connections ready and a race that follows is not serialised by
// connections opening one after another.
func warmUp(t *testing.T, s domain.Store, n int) {
	t.Helper()
	for i, err := range race(n, func(int) error {
		_, err := s.ListUsers(t.Context(), domain.ListFilter{Limit: 1})
		return err
	}) {
		if err != nil {
			t.Fatalf("warm-up %d: %v", i, err)
		}
	}
}

func testConcurrency(t *testing.T, open Opener) {
	t.Run("one username, many creators: exactly one wins", func(t *testing.T) {
		s := open(t)
		warmUp(t, s, racers)
		errs := race(racers, func(i int) error {
			u := newUser("alice", fmt.Sprintf("lab-%d", i))
			return s.CreateUser(t.Context(), u)
		})
		w := exactlyOneWins(t, errs)
		if got := mustGetUser(t, s, "alice").SiteAdmin; !sameIDs(got, []string{fmt.Sprintf("lab-%d", w)}) {
			t.Errorf("site_admin = %q, want only the winner's [lab-%d]", got, w)
		}
	})

	t.Run("look-alike usernames, many creators: exactly one wins", func(t *testing.T) {
		s := open(t)
		warmUp(t, s, racers)
		variants := []string{"alice", "Alice", "ALICE", "ａｌｉｃｅ", "aLiCe"}
		errs := race(racers, func(i int) error {
			return s.CreateUser(t.Context(), newUser(variants[i%len(variants)]))
		})
		exactlyOneWins(t, errs)
		if n := len(listAll(t, s)); n != 1 {
			t.Errorf("%d users stored, want 1", n)
		}
	})

	t.Run("one site id, many creators: exactly one wins and only it is granted", func(t *testing.T) {
		s := open(t)
		for i := range racers {
			mustCreateUser(t, s, newUser(fmt.Sprintf("user%02d", i)))
		}
		warmUp(t, s, racers)
		errs := race(racers, func(i int) error {
			return s.CreateSite(t.Context(), domain.Site{ID: "contested", CreatedAt: t0}, fmt.Sprintf("user%02d", i))
		})
		w := exactlyOneWins(t, errs)
		for i := range racers {
			got := mustGetUser(t, s, fmt.Sprintf("user%02d", i)).SiteAdmin
			want := []string(nil)
			if i == w {
				want = []string{"contested"}
			}
			if !sameIDs(got, want) {
				t.Errorf("user%02d site_admin = %q, want %q", i, got, want)
			}
		}
	})

	t.Run("many clients for one site: all succeed and all are retrievable", func(t *testing.T) {
		s := open(t)
		mustCreateUser(t, s, newUser("alice"))
		mustCreateSite(t, s, "lab-a", "alice")
		warmUp(t, s, racers)
		id := func(i int) string { return fmt.Sprintf("sys0client%02d", i) }
		errs := race(racers, func(i int) error {
			return s.CreateSiteClient(t.Context(), newClient(id(i), "lab-a"))
		})
		for i, err := range errs {
			if err != nil {
				t.Errorf("client %d: %v", i, err)
			}
		}
		for i := range racers {
			c, err := s.GetSiteClient(t.Context(), id(i))
			if err != nil {
				t.Errorf("GetSiteClient(%q): %v", id(i), err)
				continue
			}
			if d := diffClient(c, newClient(id(i), "lab-a")); d != "" {
				t.Errorf("client %q: %s", id(i), d)
			}
		}
	})

	t.Run("many first starts bootstrap once", func(t *testing.T) {
		s := open(t)
		const n = 10
		warmUp(t, s, n)
		created := make([]bool, n)
		errs := race(n, func(i int) error {
			var err error
			created[i], err = s.Bootstrap(t.Context(), bootstrapAdmin(fmt.Sprintf("admin%d", i)), allowances, t0)
			return err
		})
		winners := 0
		for i, err := range errs {
			if err != nil {
				t.Errorf("Bootstrap %d: %v", i, err)
			}
			if created[i] {
				winners++
			}
		}
		if winners != 1 {
			t.Errorf("%d bootstraps reported creating the admin, want 1", winners)
		}
		if n := len(listAll(t, s)); n != 1 {
			t.Errorf("%d users stored after concurrent bootstraps, want 1", n)
		}
	})

	t.Run("many first starts agree on one setting", func(t *testing.T) {
		s := open(t)
		warmUp(t, s, racers)
		got := make([][]byte, racers)
		errs := race(racers, func(i int) error {
			var err error
			got[i], err = s.Setting(t.Context(), "jwt_signing_key", fmt.Appendf(nil, "key-%d", i))
			return err
		})
		for i, err := range errs {
			if err != nil {
				t.Fatalf("Setting %d: %v", i, err)
			}
			if string(got[i]) != string(got[0]) {
				t.Errorf("racer %d got %q, racer 0 got %q", i, got[i], got[0])
			}
		}
	})
}
