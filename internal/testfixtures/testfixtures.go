// Package testfixtures finds the shared fixtures (../shared/fixtures beside
// the repository) for tests. In CI the clone lives in another folder with a
// copy of shared/ beside it, so the path is resolved from the module root,
// never from a fixed location. It imports only the standard library.
package testfixtures

import (
	"os"
	"path/filepath"
	"testing"
)

// Dir returns the fixtures directory, failing the test with a message
// saying where it looked when it is missing.
func Dir(t testing.TB) string {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatalf("fixtures: %v", err)
	}
	root := wd
	for {
		if _, err := os.Stat(filepath.Join(root, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(root)
		if parent == root {
			t.Fatalf("fixtures: no go.mod above %s, so the module root (beside which ../shared/fixtures lives) is unknown", wd)
		}
		root = parent
	}
	dir := filepath.Join(filepath.Dir(root), "shared", "fixtures")
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		t.Fatalf("fixtures: %s is missing: the tests need a copy of shared/ beside the repository (module root %s)", dir, root)
	}
	return dir
}

// Path returns a file or directory inside the fixtures directory, failing
// the test when it is missing.
func Path(t testing.TB, elem ...string) string {
	t.Helper()
	p := filepath.Join(append([]string{Dir(t)}, elem...)...)
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("fixtures: %v", err)
	}
	return p
}
