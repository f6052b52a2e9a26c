package main

import (
	"context"
	"encoding/json"
	"runtime"
	"strings"

	"github.com/nmdc-runtime/server/domain"
	"github.com/nmdc-runtime/server/postgres"
	"github.com/nmdc-runtime/server/sqlite"
)

// openStore opens the database the bench seeds before the server starts.
func openStore(ctx context.Context, db string) (domain.Store, error) {
	if strings.HasPrefix(db, "postgres://") || strings.HasPrefix(db, "postgresql://") {
		return postgres.Open(ctx, db, postgres.Options{})
	}
	return sqlite.Open(ctx, db)
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

func numCPU() int { return runtime.NumCPU() }
