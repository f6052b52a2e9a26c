package domain

import (
	"context"
	"slices"
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
	revoked map[string]cached[bool] // by revocation key
}

type cached[T any] struct {
	v       T
	fetched time.Time
}

// maxCached bounds memory; past it the map is emptied (cheap, and rare:
// only this many distinct principals within one TTL).
const maxCached = 10000

func newAuthCache(ttl time.Duration) *authCache {
	return &authCache{ttl: ttl, users: map[string]cached[User]{}, clients: map[string]cached[SiteClient]{}, revoked: map[string]cached[bool]{}}
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

// grantCachedSiteAdmin records in a cached user the site it was just made
// admin of (CreateSite), instead of evicting it: a user who creates many
// sites (automation) would otherwise be re-read, with its whole grant
// list, on every call. The entry keeps its read time, so the TTL still
// bounds every other field's staleness.
func (s *Service) grantCachedSiteAdmin(name, siteID string) {
	c := s.cache()
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.users[name]
	if !ok {
		return
	}
	if !slices.Contains(e.v.SiteAdmin, siteID) {
		// A new slice: principals handed out earlier share the old one.
		e.v.SiteAdmin = append(slices.Clip(e.v.SiteAdmin), siteID)
	}
	c.users[name] = e
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

// tokenRevoked asks the deny-list whether a token was revoked. With
// RevocationCacheTTL set (a store only this process writes, such as
// SQLite), an answer is reused for that long, and revocations made here
// update it at once, so the answer is still exact; a polling client then
// costs one deny-list read per TTL, not one per request. Without it every
// check reads the shared database, so a revocation through any instance is
// refused at once by all.
func (s *Service) tokenRevoked(ctx context.Context, key string) (bool, error) {
	c := s.cache()
	if c == nil || s.RevocationCacheTTL <= 0 {
		return s.Store.TokenRevoked(ctx, key)
	}
	now := s.now()
	c.mu.Lock()
	e, ok := c.revoked[key]
	c.mu.Unlock()
	if ok && now.Sub(e.fetched) < s.RevocationCacheTTL && !now.Before(e.fetched) {
		return e.v, nil
	}
	r, err := s.Store.TokenRevoked(ctx, key)
	if err == nil {
		cachePut(c, c.revoked, key, r, now)
	}
	return r, err
}

// revokedHere records a revocation made through this instance.
func (s *Service) revokedHere(key string) {
	if c := s.cache(); c != nil {
		cachePut(c, c.revoked, key, true, s.now())
	}
}
