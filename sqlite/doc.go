// Package sqlite implements domain.Store on an embedded SQLite file through
// a pure-Go driver (no cgo), the default store of a single server.
//
// It imports domain and database drivers only; never httpapi or postgres.
// Migrations live in migrations/*.sql, embedded and applied at Open.
package sqlite
