// Package postgres implements domain.Store on PostgreSQL through pgx and
// its connection pool, for facilities that run several server instances on
// one (possibly replicated) database. Everything that instances must share
// (users, sites, clients, the generated signing key) lives in the database;
// the Store keeps no state of its own beyond the pool.
//
// Migrations live in migrations/*.sql, embedded, and are applied at Open in
// one transaction under an advisory lock, so that instances starting at once
// do not collide. Driver errors are translated by SQLSTATE code, never by
// message text: a unique violation is a domain Conflict, a foreign-key
// violation NotFound, and a lost connection or a timeout Unavailable.
//
// It imports domain and pgx only; never httpapi or sqlite.
package postgres
