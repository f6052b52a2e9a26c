package sqlite_test

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/nmdc-runtime/server/domain"
	"github.com/nmdc-runtime/server/sqlite"
)

// BenchmarkGetUser is the user lookup behind a token check when the
// auth cache misses, with a user who administers a few sites.
func BenchmarkGetUser(b *testing.B) {
	store, err := sqlite.Open(b.Context(), filepath.Join(b.TempDir(), "db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { store.Close() })
	for i := range 1000 {
		u := domain.User{Username: fmt.Sprintf("user%d", i), PasswordHash: "x", SiteAdmin: []string{"a", "b", "c"}, CreatedAt: time.Now()}
		if err := store.CreateUser(b.Context(), u); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if _, err := store.GetUser(b.Context(), fmt.Sprintf("user%d", i%1000)); err != nil {
			b.Fatal(err)
		}
		i++
	}
}
