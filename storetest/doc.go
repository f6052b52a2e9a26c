// Package storetest is the conformance suite that every domain.Store must
// pass: Run(t, open) exercises each method of the interface, its error
// kinds, ordering and paging, atomicity, and concurrent writers racing on one
// key. Each backend calls Run from its own tests with a function that opens
// a fresh, empty store.
//
// It imports domain and the standard library only; never a backend, so a
// backend cannot bend the suite to itself.
package storetest
