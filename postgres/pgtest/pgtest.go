// Package pgtest gives tests a fresh, empty PostgreSQL schema on the server
// that RUNTIME_TEST_POSTGRES_DSN names. Without that variable the tests
// skip, except under CI=true, where they fail: CI must cover PostgreSQL.
//
// It is imported by tests only.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// EnvDSN names the variable holding the test server's connection URL, such
// as postgres://postgres@127.0.0.1:5432/test?sslmode=disable.
const EnvDSN = "RUNTIME_TEST_POSTGRES_DSN"

// BaseDSN returns the test server's connection string. When EnvDSN is unset
// it skips t with one line naming the variable, or fails t under CI=true.
func BaseDSN(t testing.TB) string {
	t.Helper()
	dsn := os.Getenv(EnvDSN)
	if dsn == "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is not set: CI must run the PostgreSQL tests (set it to a postgres:// URL)", EnvDSN)
		}
		t.Skipf("skipping PostgreSQL tests: set %s to a postgres:// URL to run them", EnvDSN)
	}
	return dsn
}

// FreshSchema creates an empty schema on the server at base and returns a
// connection string whose search_path is that schema. The schema is dropped
// when t ends, after cleanups registered later (such as closing stores).
func FreshSchema(t testing.TB, base string) string {
	t.Helper()
	var b [8]byte
	_, _ = rand.Read(b[:])
	schema := "runtime_test_" + hex.EncodeToString(b[:])
	exec(t, base, `CREATE SCHEMA `+schema)
	t.Cleanup(func() { exec(t, base, `DROP SCHEMA IF EXISTS `+schema+` CASCADE`) })
	return WithSearchPath(t, base, schema)
}

// FreshDatabase creates a database with the given CREATE DATABASE options
// (such as a locale) and returns a connection string for it; it is dropped
// when t ends. It skips t when the server refuses the options, so a test
// of a locale the server lacks does not fail.
func FreshDatabase(t testing.TB, base, options string) string {
	t.Helper()
	var b [8]byte
	_, _ = rand.Read(b[:])
	name := "runtime_test_" + hex.EncodeToString(b[:])
	if err := tryExec(base, `CREATE DATABASE `+name+` `+options); err != nil {
		t.Skipf("the test server cannot create a database with %s: %v", options, err)
	}
	t.Cleanup(func() { exec(t, base, `DROP DATABASE IF EXISTS `+name+` WITH (FORCE)`) })
	if strings.HasPrefix(base, "postgres://") || strings.HasPrefix(base, "postgresql://") {
		u, err := url.Parse(base)
		if err != nil {
			t.Fatalf("%s: %v", EnvDSN, err)
		}
		u.Path = "/" + name
		return u.String()
	}
	return base + " dbname=" + name
}

// WithSearchPath returns dsn with its search_path set to schema.
func WithSearchPath(t testing.TB, dsn, schema string) string {
	t.Helper()
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			t.Fatalf("%s: %v", EnvDSN, err)
		}
		q := u.Query()
		q.Set("search_path", schema)
		u.RawQuery = q.Encode()
		return u.String()
	}
	return dsn + " search_path=" + schema
}

// exec runs one statement on its own connection. It does not use t's
// context, which has ended by the time cleanups run.
func exec(t testing.TB, dsn, sql string) {
	t.Helper()
	if err := tryExec(dsn, sql); err != nil {
		t.Fatalf("test PostgreSQL server (%s): %s: %v", EnvDSN, sql, err)
	}
}

func tryExec(dsn, sql string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, sql)
	return err
}
