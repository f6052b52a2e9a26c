package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

// savedToken is what "login" keeps for one server.
type savedToken struct {
	URL         string    `json:"url"`
	AccessToken string    `json:"access_token"`
	Username    string    `json:"username,omitempty"`
	ClientID    string    `json:"client_id,omitempty"`
	ExpiresAt   time.Time `json:"expires_at"`
}

// who names the principal of a saved token.
func (t savedToken) who() string {
	if t.ClientID != "" {
		return "site client " + t.ClientID
	}
	return t.Username
}

// tokenStore keeps one token file per server URL in a directory only its
// owner can read.
type tokenStore struct {
	dir string
	now func() time.Time
	// warn receives warnings, such as a token file others could read.
	warn io.Writer
}

// userConfigDir is os.UserConfigDir, reading the environment through
// getenv on Unix so that tests can point it at a temp dir.
func userConfigDir(getenv env) (string, error) {
	switch runtime.GOOS {
	case "windows", "darwin", "ios", "plan9":
		return os.UserConfigDir()
	}
	if d := getenv("XDG_CONFIG_HOME"); d != "" {
		if !filepath.IsAbs(d) {
			return "", errors.New("XDG_CONFIG_HOME must be an absolute path")
		}
		return d, nil
	}
	if h := getenv("HOME"); h != "" {
		return filepath.Join(h, ".config"), nil
	}
	return "", errors.New("neither $XDG_CONFIG_HOME nor $HOME is set: cannot find where to keep the login token")
}

func (c *cli) tokens() (*tokenStore, error) {
	d, err := userConfigDir(c.getenv)
	if err != nil {
		return nil, err
	}
	return &tokenStore{dir: filepath.Join(d, "nmdc-runtime"), now: time.Now, warn: c.stderr}, nil
}

// path names the token file of a server: readable host and port, and a
// hash of the whole URL so that two servers never share a file.
func (s *tokenStore) path(serverURL string) string {
	sum := sha256.Sum256([]byte(serverURL))
	host := serverURL
	if u, err := url.Parse(serverURL); err == nil {
		host = u.Host
	}
	host = strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '.' || r == '-' {
			return r
		}
		return '_'
	}, strings.ToLower(host))
	return filepath.Join(s.dir, "token-"+host+"-"+hex.EncodeToString(sum[:6])+".json")
}

// save writes the token atomically, readable by its owner only.
func (s *tokenStore) save(t savedToken) (string, error) {
	if err := os.MkdirAll(s.dir, 0o700); err != nil {
		return "", err
	}
	b, err := json.MarshalIndent(t, "", "  ")
	if err != nil {
		return "", err
	}
	f, err := os.CreateTemp(s.dir, ".token-*") // created 0600
	if err != nil {
		return "", err
	}
	defer os.Remove(f.Name()) // a no-op once renamed
	if err := f.Chmod(0o600); err != nil && runtime.GOOS != "windows" {
		f.Close()
		return "", err
	}
	if _, err := f.Write(append(b, '\n')); err != nil {
		f.Close()
		return "", err
	}
	if err := f.Close(); err != nil {
		return "", err
	}
	p := s.path(t.URL)
	return p, os.Rename(f.Name(), p)
}

// errNotLoggedIn says how to log in.
func errNotLoggedIn(serverURL string) error {
	return fmt.Errorf("not logged in to %s: run \"nmdc-runtime login USERNAME\" (or --client-id CLIENT_ID) first", serverURL)
}

// load returns the saved token of a server; an expired one is an error
// that says to log in again.
func (s *tokenStore) load(serverURL string) (savedToken, error) {
	p := s.path(serverURL)
	b, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return savedToken{}, errNotLoggedIn(serverURL)
	}
	if err != nil {
		return savedToken{}, err
	}
	s.restrict(p)
	var t savedToken
	if err := json.Unmarshal(b, &t); err != nil || t.AccessToken == "" || t.URL != serverURL {
		return savedToken{}, fmt.Errorf("the token file %s is damaged; log in again", p)
	}
	if !t.ExpiresAt.IsZero() && !s.now().Before(t.ExpiresAt) {
		return savedToken{}, fmt.Errorf("the token for %s (%s) expired at %s; log in again", serverURL, t.who(), t.ExpiresAt.UTC().Format(time.RFC3339))
	}
	return t, nil
}

// restrict makes a token file that others may read or write its owner's
// only, and says so: the token was exposed meanwhile.
func (s *tokenStore) restrict(p string) {
	if runtime.GOOS == "windows" {
		return
	}
	fi, err := os.Stat(p)
	if err != nil || fi.Mode().Perm()&0o077 == 0 {
		return
	}
	if s.warn == nil {
		s.warn = io.Discard
	}
	if err := os.Chmod(p, 0o600); err != nil {
		fmt.Fprintf(s.warn, "warning: the token file %s has mode %04o (others may read it) and could not be restricted: %v\n", p, fi.Mode().Perm(), err)
		return
	}
	fmt.Fprintf(s.warn, "warning: the token file %s had mode %04o (others may read it); it is now 0600. Log out and in again if others may have copied the token.\n", p, fi.Mode().Perm())
}

// remove deletes the saved token of a server and reports whether there
// was one.
func (s *tokenStore) remove(serverURL string) (bool, error) {
	err := os.Remove(s.path(serverURL))
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	return err == nil, err
}
