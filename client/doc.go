// Package client is a Go client for the Runtime API, used by the
// command-line client and by the end-to-end tests. It is an outside
// consumer: it keeps its own wire structs and must not import httpapi,
// domain or any store, so that tests catch drift in the wire contract.
package client
