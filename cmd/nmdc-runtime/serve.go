package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/nmdc-runtime/server/auth"
	"github.com/nmdc-runtime/server/domain"
	"github.com/nmdc-runtime/server/httpapi"
	"github.com/nmdc-runtime/server/postgres"
	"github.com/nmdc-runtime/server/sqlite"
)

func runServe(ctx context.Context, args []string, getenv env, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	cfg, err := loadServeConfig(args, getenv, fs, func(fs *flag.FlagSet, a []string) error { return parseFlags(fs, a, stderr) })
	if err != nil {
		return err
	}
	srv, err := startServer(ctx, cfg, stdout, stderr)
	if err != nil {
		return err
	}
	<-ctx.Done()
	return srv.Shutdown(cfg.ShutdownWait)
}

// runningServer is a started server; tests use it directly.
type runningServer struct {
	URL   string
	http  *http.Server
	store domain.Store
	log   *slog.Logger
	done  chan error

	stopOnce sync.Once
	stopErr  error
}

func newLogger(cfg serveConfig, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.LogLevel))
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// isPostgresURL reports whether the database setting names PostgreSQL.
func isPostgresURL(database string) bool {
	return strings.HasPrefix(database, "postgres://") || strings.HasPrefix(database, "postgresql://")
}

// openStore opens the store the database setting names: a postgres:// or
// postgresql:// URL selects PostgreSQL, anything else is a SQLite file.
func openStore(ctx context.Context, cfg serveConfig) (domain.Store, error) {
	if isPostgresURL(cfg.Database) {
		return postgres.Open(ctx, cfg.Database, postgres.Options{
			MaxConns:         int32(cfg.DBMaxConns),
			StatementTimeout: cfg.DBStatementTimeout,
		})
	}
	return sqlite.Open(ctx, cfg.Database)
}

// signingKey returns the configured key, else the one kept in the database
// (generated on first start, so restarts and other instances agree).
func signingKey(ctx context.Context, cfg serveConfig, store domain.Store) ([]byte, error) {
	if cfg.JWTSecretKey != "" {
		return []byte(cfg.JWTSecretKey), nil
	}
	return store.Setting(ctx, "jwt_signing_key", []byte(auth.RandomToken(32)))
}

// startServer opens the store, bootstraps it, and starts listening.
func startServer(ctx context.Context, cfg serveConfig, stdout, stderr io.Writer) (*runningServer, error) {
	log := newLogger(cfg, stderr)
	store, err := openStore(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	key, err := signingKey(ctx, cfg, store)
	if err != nil {
		store.Close()
		return nil, fmt.Errorf("signing key: %w", err)
	}
	svc := &domain.Service{
		Store:      store,
		Signer:     newSigner(key, cfg),
		BcryptCost: cfg.BcryptCost,
		TokenTTL:   cfg.TokenTTL,
		ShareTTL:   cfg.ShareTTL,
		Now:        cfg.clock,
		Log:        log,
		Throttle: domain.LoginThrottle{
			MaxFailures:          cfg.LoginMaxFailures,
			MaxFailuresPerSource: cfg.LoginMaxFailuresPerSource,
			Window:               cfg.LoginWindow,
		},
		// 0 in configuration means off; the service reads 0 as its default.
		AuthCacheTTL: cmp.Or(cfg.AuthCacheTTL, -1),
	}
	if !isPostgresURL(cfg.Database) {
		// A SQLite file serves one instance, which sees every revocation
		// itself; PostgreSQL instances read the shared deny-list each time.
		svc.RevocationCacheTTL = cfg.AuthCacheTTL
	}
	// Listen before bootstrapping, so a busy port fails the start before a
	// one-time admin password is printed and lost.
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		store.Close()
		return nil, err
	}
	boot, err := svc.Bootstrap(ctx, cfg.AdminUser, cfg.AdminPass)
	if err != nil {
		ln.Close()
		store.Close()
		return nil, fmt.Errorf("bootstrap: %w", err)
	}
	if boot.Created {
		log.Info("created the runtime admin", "username", boot.Username, "site", domain.AdminSiteID)
		if boot.GeneratedPassword != "" {
			// Printed once to the terminal, never to the log.
			fmt.Fprintf(stdout, "\nCreated runtime admin %q with password:\n\n    %s\n\nIt is shown only this once. Set API_ADMIN_USER/API_ADMIN_PASS before the first start to choose them.\n\n", boot.Username, boot.GeneratedPassword)
		}
	}
	api := httpapi.New(httpapi.Config{Service: svc, Logger: log, Version: buildVersion(), PublicURL: cfg.PublicURL, CORSOrigins: cfg.CORSOrigins, TrustedProxies: cfg.TrustedProxies})
	hs := &http.Server{
		Handler:           api,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	rs := &runningServer{URL: "http://" + ln.Addr().String(), http: hs, store: store, log: log, done: make(chan error, 1)}
	go func() { rs.done <- hs.Serve(ln) }()
	log.Info("serving the Runtime API", "docs", rs.URL+"/docs", "database", redactDatabase(cfg.Database))
	return rs, nil
}

// Shutdown stops accepting requests, lets those in flight finish within
// wait, then closes the store.
func (rs *runningServer) Shutdown(wait time.Duration) error {
	rs.stopOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), wait)
		defer cancel()
		err := rs.http.Shutdown(ctx)
		if e := <-rs.done; e != nil && !errors.Is(e, http.ErrServerClosed) {
			err = errors.Join(err, e)
		}
		rs.log.Info("stopped")
		rs.stopErr = errors.Join(err, rs.store.Close())
	})
	return rs.stopErr
}

// redactDatabase hides passwords in a database URL before it is logged:
// the user:password part and any password query parameter.
func redactDatabase(db string) string {
	u, err := url.Parse(db)
	if err != nil || u.Scheme == "" {
		return db
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "***")
	}
	q := u.Query()
	for k := range q {
		if strings.Contains(strings.ToLower(k), "password") {
			q.Set(k, "***")
		}
	}
	u.RawQuery = q.Encode()
	return strings.Replace(u.String(), "%2A%2A%2A", "***", -1)
}

// newSigner makes the token signer, on the injected clock when tests set one.
func newSigner(key []byte, cfg serveConfig) *auth.Signer {
	if cfg.clock != nil {
		return auth.NewSigner(key, cfg.Issuer, auth.WithClock(cfg.clock))
	}
	return auth.NewSigner(key, cfg.Issuer)
}
