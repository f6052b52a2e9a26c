package main

import (
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func loadForTest(args []string, vars map[string]string) (serveConfig, error) {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	return loadServeConfig(args, func(k string) string { return vars[k] }, fs, func(fs *flag.FlagSet, a []string) error { return parseFlags(fs, a, io.Discard) })
}

// TestConfigPrecedence: flags win over env, env over defaults, and
// secrets can come from NAME_FILE.
func TestConfigPrecedence(t *testing.T) {
	keyFile := filepath.Join(t.TempDir(), "key")
	if err := os.WriteFile(keyFile, []byte("key-from-a-file-0123456789\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := loadForTest(nil, map[string]string{"HOME": "/home/x"})
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != "127.0.0.1:8000" || c.Database != "/home/x/.local/share/nmdc-runtime/runtime.db" || c.BcryptCost != 12 || c.TokenTTL != 24*time.Hour {
		t.Fatalf("defaults = %+v", c)
	}
	env := map[string]string{"NMDC_RUNTIME_ADDR": "127.0.0.1:9000", "NMDC_RUNTIME_DATABASE": "/tmp/env.db", "JWT_SECRET_KEY_FILE": keyFile, "API_ADMIN_USER": "root", "NMDC_RUNTIME_BCRYPT_COST": "10"}
	c, err = loadForTest([]string{"--addr", "127.0.0.1:9001"}, env)
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != "127.0.0.1:9001" || c.Database != "/tmp/env.db" || c.JWTSecretKey != "key-from-a-file-0123456789" || c.AdminUser != "root" || c.BcryptCost != 10 {
		t.Fatalf("config = %+v", c)
	}
}

// TestConfigReportsEveryProblem: Validate-style errors all at once.
func TestConfigReportsEveryProblem(t *testing.T) {
	_, err := loadForTest([]string{"--bcrypt-cost", "99", "--token-ttl", "soon", "--log-format", "xml"}, map[string]string{"JWT_SECRET_KEY": "short"})
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{"bcrypt cost", "token TTL", "log format", "JWT_SECRET_KEY"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
	if strings.Contains(err.Error(), "short") {
		t.Error("the error repeats the secret")
	}
}

// TestServeCommandGracefulShutdown runs "serve" through run() as main does
// and stops it by cancelling its context, as SIGTERM does.
func TestServeCommandGracefulShutdown(t *testing.T) {
	dir := t.TempDir()
	vars := map[string]string{"HOME": dir, "NMDC_RUNTIME_ADDR": "127.0.0.1:0", "NMDC_RUNTIME_BCRYPT_COST": "4", "API_ADMIN_PASS": "admin-password-1"}
	ctx, cancel := contextWithCancel(t)
	var out, logs syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve"}, func(k string) string { return vars[k] }, nil, &out, &logs)
	}()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(logs.String(), "serving the Runtime API") {
		if time.Now().After(deadline) {
			t.Fatalf("server did not start: %s", logs.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	if _, err := os.Stat(filepath.Join(dir, ".local/share/nmdc-runtime/runtime.db")); err != nil {
		t.Fatalf("database not at the documented default path: %v", err)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve returned %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not stop")
	}
	if !strings.Contains(logs.String(), "stopped") {
		t.Fatalf("no stop line in %s", logs.String())
	}
}

// TestShareSettings: the share-link lifetime and public URL, from env or
// flags, and their refusals.
func TestShareSettings(t *testing.T) {
	c, err := loadForTest(nil, map[string]string{"HOME": "/home/x"})
	if err != nil || c.ShareTTL != 7*24*time.Hour || c.PublicURL != "" {
		t.Fatalf("defaults: %+v, %v", c, err)
	}
	c, err = loadForTest([]string{"--share-ttl", "48h"}, map[string]string{"NMDC_RUNTIME_SHARE_TTL": "1h", "NMDC_RUNTIME_PUBLIC_URL": "https://api.example.org"})
	if err != nil || c.ShareTTL != 48*time.Hour || c.PublicURL != "https://api.example.org" {
		t.Fatalf("config: %+v, %v", c, err)
	}
	_, err = loadForTest([]string{"--share-ttl", "1s", "--public-url", "ftp://x"}, nil)
	for _, want := range []string{"share TTL", "public URL"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v does not mention %q", err, want)
		}
	}
}

func TestRedactDatabase(t *testing.T) {
	for in, want := range map[string]string{
		"postgres://u:secret@db:5432/x?sslmode=disable":     "postgres://u:***@db:5432/x?sslmode=disable",
		"postgres://u@db/x?password=secret&sslmode=disable": "postgres://u@db/x?password=***&sslmode=disable",
		"/var/lib/nmdc-runtime/runtime.db":                  "/var/lib/nmdc-runtime/runtime.db",
	} {
		if got := redactDatabase(in); got != want || strings.Contains(got, "secret") {
			t.Errorf("redactDatabase(%q) = %q, want %q", in, got, want)
		}
	}
	if _, err := loadForTest([]string{"--database", "host=db user=u password=secret dbname=x"}, nil); err == nil || !strings.Contains(err.Error(), "postgres://") || strings.Contains(err.Error(), "secret") {
		t.Fatalf("keyword/value DSN: %v", err)
	}
}
