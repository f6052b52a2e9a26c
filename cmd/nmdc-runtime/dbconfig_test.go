package main

import (
	"flag"
	"io"
	"strings"
	"testing"
	"time"
)

func TestDatabasePoolSettings(t *testing.T) {
	cases := []struct {
		name        string
		env         map[string]string
		args        []string
		wantConns   int
		wantTimeout time.Duration
		wantErr     string
	}{
		{name: "defaults", wantConns: 0, wantTimeout: 30 * time.Second},
		{name: "from the environment",
			env:       map[string]string{"NMDC_RUNTIME_DB_MAX_CONNS": "12", "NMDC_RUNTIME_DB_STATEMENT_TIMEOUT": "2s"},
			wantConns: 12, wantTimeout: 2 * time.Second},
		{name: "flags win over the environment",
			env:       map[string]string{"NMDC_RUNTIME_DB_MAX_CONNS": "12", "NMDC_RUNTIME_DB_STATEMENT_TIMEOUT": "2s"},
			args:      []string{"--db-max-conns", "3", "--db-statement-timeout", "750ms"},
			wantConns: 3, wantTimeout: 750 * time.Millisecond},
		{name: "zero timeout keeps the server's", args: []string{"--db-statement-timeout", "0"}, wantTimeout: 0},
		{name: "negative conns", args: []string{"--db-max-conns", "-1"}, wantErr: "db max conns"},
		{name: "conns not a number", env: map[string]string{"NMDC_RUNTIME_DB_MAX_CONNS": "many"}, wantErr: "db max conns"},
		{name: "timeout without unit", args: []string{"--db-statement-timeout", "30"}, wantErr: "db statement timeout"},
		{name: "timeout under a millisecond", args: []string{"--db-statement-timeout", "10us"}, wantErr: "db statement timeout"},
		{name: "both wrong are both reported",
			args:    []string{"--db-max-conns", "x", "--db-statement-timeout", "-1s"},
			wantErr: "db max conns"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := loadServeConfig(tc.args, func(k string) string { return tc.env[k] }, flag.NewFlagSet("serve", flag.ContinueOnError),
				func(fs *flag.FlagSet, a []string) error { return parseFlags(fs, a, io.Discard) })
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("got %v, want an error about %s", err, tc.wantErr)
				}
				if tc.name == "both wrong are both reported" && !strings.Contains(err.Error(), "db statement timeout") {
					t.Errorf("error %q does not report the timeout too", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if cfg.DBMaxConns != tc.wantConns || cfg.DBStatementTimeout != tc.wantTimeout {
				t.Errorf("got conns %d, timeout %v; want %d, %v", cfg.DBMaxConns, cfg.DBStatementTimeout, tc.wantConns, tc.wantTimeout)
			}
		})
	}
}

func TestIsPostgresURL(t *testing.T) {
	cases := []struct {
		db   string
		want bool
	}{
		{"postgres://u@db.example.org:5432/runtime", true},
		{"postgresql://u@db/runtime?sslmode=require", true},
		{"/var/lib/nmdc-runtime/runtime.db", false},
		{"runtime.db", false},
		{"postgres.db", false},
		{"./postgres://odd-file-name", false},
	}
	for _, tc := range cases {
		if got := isPostgresURL(tc.db); got != tc.want {
			t.Errorf("isPostgresURL(%q) = %v, want %v", tc.db, got, tc.want)
		}
	}
}
