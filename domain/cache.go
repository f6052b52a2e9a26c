package domain

import (
	"context"
	"sync"
	"time"
)

// DefaultAuthCacheTTL bounds how stale an authenticated principal may be:
// a user disabled or a client deleted on another instance is refused
// within this time. Writes made through this Service evict at once.
const DefaultAuthCacheTTL = time.Second

// authCache keeps recently read users and site clients for token checks,
// so that an API call costs no database read in the common case.
type authCache struct {
	mu      sync.Mutex
	ttl     time.Duration
	users   map[string]cached[User]
	clients map[string]cached[SiteClient]
}

type cached[T any] struct {
	v       T
	fetched time.Time
}

// maxCached bounds memory; past it the map is emptied (cheap, and rare:
// only this many distinct principals within one TTL).
const maxCached = 10000

func newAuthCache(ttl time.Duration) *authCache {
	return &authCache{ttl: ttl, users: map[string]cached[User]{}, clients: map[string]cached[SiteClient]{}}
}

func cacheGet[T any](c *authCache, m map[string]cached[T], key string, now time.Time) (T, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := m[key]
	if !ok || now.Sub(e.fetched) >= c.ttl || now.Before(e.fetched) {
		var zero T
		return zero, false
	}
	return e.v, true
}

func cachePut[T any](c *authCache, m map[string]cached[T], key string, v T, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(m) >= maxCached {
		clear(m)
	}
	m[key] = cached[T]{v: v, fetched: now}
}

// forgetUser and forgetClient evict after a local write.
func (s *Service) forgetUser(name string) {
	if c := s.cache(); c != nil {
		c.mu.Lock()
		delete(c.users, name)
		c.mu.Unlock()
	}
}

func (s *Service) forgetClient(id string) {
	if c := s.cache(); c != nil {
		c.mu.Lock()
		delete(c.clients, id)
		c.mu.Unlock()
	}
}

func (s *Service) cache() *authCache {
	if s.AuthCacheTTL < 0 {
		return nil
	}
	s.cacheOnce.Do(func() {
		ttl := s.AuthCacheTTL
		if ttl == 0 {
			ttl = DefaultAuthCacheTTL
		}
		s.authCache = newAuthCache(ttl)
	})
	return s.authCache
}

// principalUser reads a user for a token check, from the cache when fresh.
func (s *Service) principalUser(ctx context.Context, name string) (User, error) {
	c := s.cache()
	if c == nil {
		return s.Store.GetUser(ctx, name)
	}
	now := s.now()
	if u, ok := cacheGet(c, c.users, name, now); ok {
		return u, nil
	}
	u, err := s.Store.GetUser(ctx, name)
	if err == nil {
		cachePut(c, c.users, name, u, now)
	}
	return u, err
}

// principalClient reads a site client for a token check, from the cache
// when fresh.
func (s *Service) principalClient(ctx context.Context, id string) (SiteClient, error) {
	c := s.cache()
	if c == nil {
		return s.Store.GetSiteClient(ctx, id)
	}
	now := s.now()
	if sc, ok := cacheGet(c, c.clients, id, now); ok {
		return sc, nil
	}
	sc, err := s.Store.GetSiteClient(ctx, id)
	if err == nil {
		cachePut(c, c.clients, id, sc, now)
	}
	return sc, err
}

// freshSiteAdmin re-reads a user whose cached grants lack siteID before a
// refusal, so a grant made on another instance a moment ago counts.
func (s *Service) freshSiteAdmin(ctx context.Context, p Principal, siteID string) bool {
	if p.User == nil {
		return false
	}
	if p.User.IsSiteAdmin(siteID) {
		return true
	}
	u, err := s.Store.GetUser(ctx, p.User.Username)
	if err != nil || u.Disabled {
		return false
	}
	s.forgetUser(u.Username)
	return u.IsSiteAdmin(siteID)
}
