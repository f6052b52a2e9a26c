// Package domain holds the Runtime API's types (User, Site, SiteClient,
// Allowance), its rules (who may do what, what a valid id is), its error
// kinds, the Store interface that every storage backend implements, and the
// Service that enforces the rules once for all backends and transports.
//
// It must not import storage drivers or net/http; only auth and the
// standard library (plus text normalization).
package domain
