package main

import (
	"errors"
	"flag"
	"fmt"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/nmdc-runtime/server/auth"
)

// serveConfig is the configuration of "serve". Flags override the
// environment, which overrides defaults; every secret also accepts NAME_FILE.
type serveConfig struct {
	Addr         string
	Database     string
	AdminUser    string
	AdminPass    string
	JWTSecretKey string
	Issuer       string
	BcryptCost   int
	TokenTTL     time.Duration
	ShareTTL     time.Duration
	PublicURL    string
	LogFormat    string
	LogLevel     string
	ShutdownWait time.Duration
	// Brute-force protection of POST /token.
	LoginMaxFailures          int
	LoginMaxFailuresPerSource int
	LoginWindow               time.Duration
	// CORSOrigins may call the API from a browser; none by default.
	CORSOrigins []string
	// TrustedProxies: peers whose X-Forwarded-For is believed.
	TrustedProxies []netip.Prefix

	// now replaces the clock in tests.
	now          func() time.Time
	AuthCacheTTL time.Duration

	// DBMaxConns and DBStatementTimeout tune the PostgreSQL pool; 0 keeps
	// the URL's setting, else the driver's and server's defaults. SQLite
	// ignores them.
	DBMaxConns         int
	DBStatementTimeout time.Duration
	// clock replaces time.Now in the service; tests set it.
	clock func() time.Time
}

// defaultDatabasePath is $XDG_DATA_HOME/nmdc-runtime/runtime.db, else
// ~/.local/share/nmdc-runtime/runtime.db, else ./nmdc-runtime.db.
func defaultDatabasePath(getenv env) string {
	if d := getenv("XDG_DATA_HOME"); d != "" {
		return filepath.Join(d, "nmdc-runtime", "runtime.db")
	}
	if h := getenv("HOME"); h != "" {
		return filepath.Join(h, ".local", "share", "nmdc-runtime", "runtime.db")
	}
	return "nmdc-runtime.db"
}

// secret reads NAME, or the file named by NAME_FILE.
func secret(getenv env, name string) (string, error) {
	if v := getenv(name); v != "" {
		return v, nil
	}
	if f := getenv(name + "_FILE"); f != "" {
		b, err := os.ReadFile(f)
		if err != nil {
			return "", fmt.Errorf("%s_FILE: %w", name, err)
		}
		return strings.TrimRight(string(b), "\r\n"), nil
	}
	return "", nil
}

// splitList splits a comma-separated setting, dropping empty items.
func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

func envOr(getenv env, name, def string) string {
	if v := getenv(name); v != "" {
		return v
	}
	return def
}

// loadServeConfig reads env and flags and validates the result, reporting
// every problem at once.
func loadServeConfig(args []string, getenv env, fs *flag.FlagSet, stderrParse func(*flag.FlagSet, []string) error) (serveConfig, error) {
	var c serveConfig
	var errs []error
	var err error
	if c.AdminPass, err = secret(getenv, "API_ADMIN_PASS"); err != nil {
		errs = append(errs, err)
	}
	if c.JWTSecretKey, err = secret(getenv, "JWT_SECRET_KEY"); err != nil {
		errs = append(errs, err)
	}
	c.AdminUser = getenv("API_ADMIN_USER")

	maxConns, stmtTimeout := envOr(getenv, "NMDC_RUNTIME_DB_MAX_CONNS", "0"), envOr(getenv, "NMDC_RUNTIME_DB_STATEMENT_TIMEOUT", "30s")
	cost, ttl, wait := envOr(getenv, "NMDC_RUNTIME_BCRYPT_COST", strconv.Itoa(auth.DefaultBcryptCost)), envOr(getenv, "NMDC_RUNTIME_TOKEN_TTL", "24h"), envOr(getenv, "NMDC_RUNTIME_SHUTDOWN_TIMEOUT", "20s")
	shareTTL := envOr(getenv, "NMDC_RUNTIME_SHARE_TTL", "168h")
	fs.StringVar(&c.Addr, "addr", envOr(getenv, "NMDC_RUNTIME_ADDR", "127.0.0.1:8000"), "listen address (env NMDC_RUNTIME_ADDR)")
	fs.StringVar(&c.Database, "database", envOr(getenv, "NMDC_RUNTIME_DATABASE", defaultDatabasePath(getenv)), "SQLite file path, or a postgres:// URL (env NMDC_RUNTIME_DATABASE)")
	fs.StringVar(&maxConns, "db-max-conns", maxConns, "PostgreSQL: most connections one instance opens; 0 keeps the URL's pool_max_conns, else max(4, CPUs) (env NMDC_RUNTIME_DB_MAX_CONNS)")
	fs.StringVar(&stmtTimeout, "db-statement-timeout", stmtTimeout, "PostgreSQL: cancel any statement that runs longer; 0 keeps the server's setting (env NMDC_RUNTIME_DB_STATEMENT_TIMEOUT)")
	fs.StringVar(&c.Issuer, "issuer", envOr(getenv, "NMDC_RUNTIME_ISSUER", "nmdc-runtime"), "iss claim of issued tokens (env NMDC_RUNTIME_ISSUER)")
	fs.StringVar(&cost, "bcrypt-cost", cost, "bcrypt cost for new passwords, 4-31 (env NMDC_RUNTIME_BCRYPT_COST)")
	fs.StringVar(&ttl, "token-ttl", ttl, "access token lifetime (env NMDC_RUNTIME_TOKEN_TTL)")
	fs.StringVar(&shareTTL, "share-ttl", shareTTL, "how long a one-time share link stays valid (env NMDC_RUNTIME_SHARE_TTL)")
	fs.StringVar(&c.PublicURL, "public-url", envOr(getenv, "NMDC_RUNTIME_PUBLIC_URL", ""), "base URL of links the server hands out, e.g. https://api.example.org; default: the request's scheme and host (env NMDC_RUNTIME_PUBLIC_URL)")
	fs.StringVar(&wait, "shutdown-timeout", wait, "how long to let requests finish on SIGTERM (env NMDC_RUNTIME_SHUTDOWN_TIMEOUT)")
	cacheTTL := envOr(getenv, "NMDC_RUNTIME_AUTH_CACHE_TTL", "1s")
	fs.StringVar(&cacheTTL, "auth-cache-ttl", cacheTTL, "how long a token check may reuse a user or client read; a change on another instance is seen within it; 0 disables (env NMDC_RUNTIME_AUTH_CACHE_TTL)")
	fs.StringVar(&c.LogFormat, "log-format", envOr(getenv, "NMDC_RUNTIME_LOG_FORMAT", "text"), "text or json (env NMDC_RUNTIME_LOG_FORMAT)")
	fs.StringVar(&c.LogLevel, "log-level", envOr(getenv, "NMDC_RUNTIME_LOG_LEVEL", "info"), "debug, info, warn or error (env NMDC_RUNTIME_LOG_LEVEL)")
	maxFail, maxFailSrc, window := envOr(getenv, "NMDC_RUNTIME_LOGIN_MAX_FAILURES", "10"), envOr(getenv, "NMDC_RUNTIME_LOGIN_MAX_FAILURES_PER_ADDRESS", "100"), envOr(getenv, "NMDC_RUNTIME_LOGIN_WINDOW", "15m")
	cors, proxies := getenv("NMDC_RUNTIME_CORS_ORIGINS"), getenv("NMDC_RUNTIME_TRUSTED_PROXIES")
	fs.StringVar(&maxFail, "login-max-failures", maxFail, "failed logins per username or client_id within the login window before further attempts get 429 (env NMDC_RUNTIME_LOGIN_MAX_FAILURES)")
	fs.StringVar(&maxFailSrc, "login-max-failures-per-address", maxFailSrc, "failed logins per source address within the login window before further attempts get 429 (env NMDC_RUNTIME_LOGIN_MAX_FAILURES_PER_ADDRESS)")
	fs.StringVar(&window, "login-window", window, "how long failed logins are counted, and the longest lock-out (env NMDC_RUNTIME_LOGIN_WINDOW)")
	fs.StringVar(&cors, "cors-origins", cors, "comma-separated browser origins allowed to call the API, e.g. https://app.example.org; none by default (env NMDC_RUNTIME_CORS_ORIGINS)")
	fs.StringVar(&proxies, "trusted-proxies", proxies, "comma-separated addresses or CIDR ranges of reverse proxies whose X-Forwarded-For is believed; none by default (env NMDC_RUNTIME_TRUSTED_PROXIES)")
	if err := stderrParse(fs, args); err != nil {
		return c, err
	}
	if n, err := strconv.Atoi(cost); err != nil || n < 4 || n > 31 {
		errs = append(errs, fmt.Errorf("bcrypt cost %q: must be an integer from 4 to 31", cost))
	} else {
		c.BcryptCost = n
	}
	if d, err := time.ParseDuration(ttl); err != nil || d < time.Minute {
		errs = append(errs, fmt.Errorf("token TTL %q: must be a duration of at least 1m, such as 24h", ttl))
	} else {
		c.TokenTTL = d
	}
	if d, err := time.ParseDuration(shareTTL); err != nil || d < time.Minute {
		errs = append(errs, fmt.Errorf("share TTL %q: must be a duration of at least 1m, such as 168h", shareTTL))
	} else {
		c.ShareTTL = d
	}
	if c.PublicURL != "" {
		if u, err := url.Parse(c.PublicURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
			errs = append(errs, fmt.Errorf("public URL %q: must be an http or https URL such as https://api.example.org", c.PublicURL))
		}
	}
	if n, err := strconv.Atoi(maxConns); err != nil || n < 0 || n > 10000 {
		errs = append(errs, fmt.Errorf("db max conns %q: must be an integer from 0 to 10000", maxConns))
	} else {
		c.DBMaxConns = n
	}
	if d, err := time.ParseDuration(stmtTimeout); err != nil || d < 0 || (d > 0 && d < time.Millisecond) {
		errs = append(errs, fmt.Errorf("db statement timeout %q: must be 0 or a duration of at least 1ms, such as 30s", stmtTimeout))
	} else {
		c.DBStatementTimeout = d
	}
	if d, err := time.ParseDuration(wait); err != nil || d < 0 {
		errs = append(errs, fmt.Errorf("shutdown timeout %q: must be a duration such as 20s", wait))
	} else {
		c.ShutdownWait = d
	}
	if n, err := strconv.Atoi(maxFail); err != nil || n < 1 {
		errs = append(errs, fmt.Errorf("login max failures %q: must be a positive integer", maxFail))
	} else {
		c.LoginMaxFailures = n
	}
	if n, err := strconv.Atoi(maxFailSrc); err != nil || n < 1 {
		errs = append(errs, fmt.Errorf("login max failures per address %q: must be a positive integer", maxFailSrc))
	} else {
		c.LoginMaxFailuresPerSource = n
	}
	if d, err := time.ParseDuration(window); err != nil || d < time.Second || d > 24*time.Hour {
		errs = append(errs, fmt.Errorf("login window %q: must be a duration from 1s to 24h, such as 15m", window))
	} else {
		c.LoginWindow = d
	}
	for _, o := range splitList(cors) {
		if o == "*" {
			c.CORSOrigins = append(c.CORSOrigins, o)
			continue
		}
		u, err := url.Parse(o)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.User != nil {
			errs = append(errs, fmt.Errorf("CORS origin %q: must be scheme://host[:port], such as https://app.example.org, or *", o))
			continue
		}
		c.CORSOrigins = append(c.CORSOrigins, u.Scheme+"://"+u.Host)
	}
	for _, p := range splitList(proxies) {
		pfx, err := netip.ParsePrefix(p)
		if err != nil {
			a, aerr := netip.ParseAddr(p)
			if aerr != nil {
				errs = append(errs, fmt.Errorf("trusted proxy %q: must be an IP address or CIDR range, such as 10.0.0.0/8", p))
				continue
			}
			pfx = netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen())
		}
		c.TrustedProxies = append(c.TrustedProxies, pfx.Masked())
	}
	if d, err := time.ParseDuration(cacheTTL); err != nil || d < 0 || d > time.Minute {
		errs = append(errs, fmt.Errorf("auth cache TTL %q: must be a duration from 0 to 1m, such as 1s", cacheTTL))
	} else {
		c.AuthCacheTTL = d
	}
	if c.Addr == "" {
		errs = append(errs, errors.New("addr must not be empty"))
	}
	if c.Database == "" {
		errs = append(errs, errors.New("database must not be empty"))
	}
	// A libpq keyword/value string would otherwise become a SQLite file
	// name, password and all.
	if strings.Contains(c.Database, "=") && strings.ContainsAny(c.Database, " \t") && !isPostgresURL(c.Database) {
		errs = append(errs, errors.New("database looks like a keyword/value connection string; give PostgreSQL as a postgres:// URL, or SQLite as a file path"))
	}
	if c.JWTSecretKey != "" && len(c.JWTSecretKey) < 16 {
		errs = append(errs, errors.New("JWT_SECRET_KEY must be at least 16 characters (RFC 7518 §3.2 asks for 32 bytes)"))
	}
	switch c.LogFormat {
	case "text", "json":
	default:
		errs = append(errs, fmt.Errorf("log format %q: must be text or json", c.LogFormat))
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		errs = append(errs, fmt.Errorf("log level %q: must be debug, info, warn or error", c.LogLevel))
	}
	return c, errors.Join(errs...)
}
