package sqlite_test

import (
	"path/filepath"
	"testing"

	"github.com/nmdc-runtime/server/domain"
	"github.com/nmdc-runtime/server/sqlite"
	"github.com/nmdc-runtime/server/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) domain.Store {
		s, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "runtime.db"))
		if err != nil {
			t.Fatalf("open: %v", err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
}
