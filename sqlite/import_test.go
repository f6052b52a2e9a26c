package sqlite_test

import (
	"path/filepath"
	"testing"

	"github.com/nmdc-runtime/server/domain"
	"github.com/nmdc-runtime/server/sqlite"
	"github.com/nmdc-runtime/server/storetest"
)

// TestImportConformance runs the Store.Import cases of the conformance
// suite on a SQLite file.
func TestImportConformance(t *testing.T) {
	storetest.RunImport(t, func(t *testing.T) domain.Store {
		s, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "runtime.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = s.Close() })
		return s
	})
}
