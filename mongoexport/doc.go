// Package mongoexport reads the users, sites and allowances collections of
// an existing deployment as the mongoexport tool writes them (MongoDB
// Extended JSON, canonical or relaxed; one document per line, or one JSON
// array with --jsonArray, detected by itself) into a domain.ImportBatch.
// Every item remembers its file and line, and every error names them.
//
// It checks the shape of each document (types, required fields, Extended
// JSON wrappers); the rules on contents are domain.ValidateImport's. It
// imports domain and JSON packages only.
package mongoexport
