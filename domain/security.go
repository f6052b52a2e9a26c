package domain

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/nmdc-runtime/server/auth"
)

// Audit actions. They are stable strings: admins filter on them.
const (
	AuditLoginSucceeded      = "login.succeeded"
	AuditLoginFailed         = "login.failed"
	AuditLoginThrottled      = "login.throttled"
	AuditUserCreated         = "user.created"
	AuditUserUpdated         = "user.updated"
	AuditUserDisabled        = "user.disabled"
	AuditUserEnabled         = "user.enabled"
	AuditPasswordChanged     = "user.password_changed"
	AuditSiteCreated         = "site.created"
	AuditCredentialsCreated  = "credentials.generated"
	AuditCredentialsRotated  = "credentials.rotated"
	AuditCredentialsRevoked  = "credentials.revoked"
	AuditTokenRevoked        = "token.revoked"
	AuditSiteAdminAdded      = "site.admin_added"
	AuditSiteAdminRemoved    = "site.admin_removed"
	AuditAllowanceGranted    = "allowance.granted"
	AuditAllowanceRevoked    = "allowance.revoked"
	AuditShareOpened         = "share.opened"
	AuditAccountsImported    = "accounts.imported"
	AuditActorBootstrap      = "system:bootstrap"
	AuditActorAdminCommand   = "offline:admin-command"
	AuditActorImport         = "offline:import"
	AuditActorAnonymous      = "anonymous"
	maxAuditFieldRunes       = 300
	revocationKeyHashPrefix  = "sha256:"
	loginKeyUserPrefix       = "user:"
	loginKeyClientPrefix     = "client:"
	loginKeyAddrPrefix       = "addr:"
	defaultLoginMaxFailures  = 10
	defaultLoginMaxPerSource = 100
	defaultLoginWindow       = 15 * time.Minute
)

// AuditActions lists every audit action, for documentation and filters.
var AuditActions = []string{
	AuditLoginSucceeded, AuditLoginFailed, AuditLoginThrottled,
	AuditUserCreated, AuditUserUpdated, AuditUserDisabled, AuditUserEnabled, AuditPasswordChanged,
	AuditSiteCreated, AuditSiteAdminAdded, AuditSiteAdminRemoved,
	AuditCredentialsCreated, AuditCredentialsRotated, AuditCredentialsRevoked,
	AuditAllowanceGranted, AuditAllowanceRevoked, AuditShareOpened, AuditTokenRevoked,
	AuditAccountsImported,
}

// auditUserUpdate records a user update: which fields changed (never
// their values when secret), and disabling, enabling and password changes
// as their own events so that admins can filter on them.
func (s *Service) auditUserUpdate(ctx context.Context, p Principal, in UserUpdate, u User, wasDisabled bool) {
	target := auth.SubjectUser + u.Username
	var changed []string
	for name, set := range map[string]bool{"email": in.Email != nil, "full_name": in.FullName != nil, "site_admin": in.SiteAdmin != nil, "disabled": in.Disabled != nil, "password": in.Password != nil} {
		if set {
			changed = append(changed, name)
		}
	}
	slices.Sort(changed)
	s.Audit(ctx, p.Name(), AuditUserUpdated, target, "fields: "+strings.Join(changed, ", "))
	switch {
	case u.Disabled && !wasDisabled:
		s.Audit(ctx, p.Name(), AuditUserDisabled, target, "earlier tokens refused")
	case !u.Disabled && wasDisabled:
		s.Audit(ctx, p.Name(), AuditUserEnabled, target, "")
	}
	if in.Password != nil {
		s.Audit(ctx, p.Name(), AuditPasswordChanged, target, "set by a runtime admin; earlier tokens refused")
	}
}

// LoginThrottle configures brute-force protection of the token endpoint.
// Zero fields take the defaults: 10 failures per username or client id and
// 100 per source address within 15 minutes.
type LoginThrottle struct {
	// MaxFailures per username or client id within Window.
	MaxFailures int
	// MaxFailuresPerSource per source address within Window.
	MaxFailuresPerSource int
	// Window is how long failures are remembered, and so the longest time
	// an attacker can lock a real user out.
	Window time.Duration
	// Disabled turns throttling off (tests of other features).
	Disabled bool
}

func (t LoginThrottle) withDefaults() LoginThrottle {
	if t.MaxFailures <= 0 {
		t.MaxFailures = defaultLoginMaxFailures
	}
	if t.MaxFailuresPerSource <= 0 {
		t.MaxFailuresPerSource = defaultLoginMaxPerSource
	}
	if t.Window <= 0 {
		t.Window = defaultLoginWindow
	}
	return t
}

type sourceAddrKey struct{}

// WithSourceAddr returns a context that carries the client's address, as
// the transport determined it, for throttling and audit records.
func WithSourceAddr(ctx context.Context, addr string) context.Context {
	return context.WithValue(ctx, sourceAddrKey{}, addr)
}

// SourceAddr returns the client's address carried by ctx, or "".
func SourceAddr(ctx context.Context) string {
	a, _ := ctx.Value(sourceAddrKey{}).(string)
	return a
}

// Audit records that actor did action to target. It is the one call that
// emits an audit event. A failure to record is logged, not returned: the
// act it describes has already happened.
func (s *Service) Audit(ctx context.Context, actor, action, target, detail string) {
	now := s.now().UTC()
	e := AuditEvent{
		ID:         fmt.Sprintf("%016x%s", now.UnixNano(), auth.RandomHex(4)),
		Time:       now,
		Actor:      auditText(actor),
		Action:     action,
		Target:     auditText(target),
		SourceAddr: auditText(SourceAddr(ctx)),
		Detail:     auditText(detail),
	}
	if e.Actor == "" {
		e.Actor = AuditActorAnonymous
	}
	// The event must outlive a client that hangs up mid-request.
	if err := s.Store.AddAuditEvent(context.WithoutCancel(ctx), e); err != nil {
		s.logger().Error("could not record an audit event", "action", action, "error", err.Error())
	}
}

// auditText makes client-supplied text safe to store on every backend and
// to show: valid UTF-8, no control characters (PostgreSQL refuses NUL),
// bounded length.
func auditText(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return '\uFFFD'
		}
		return r
	}, s)
	if utf8.RuneCountInString(s) > maxAuditFieldRunes {
		s = string([]rune(s)[:maxAuditFieldRunes]) + "…"
	}
	return s
}

// ListAuditEvents returns one page of audit events, newest first, for
// runtime admins.
func (s *Service) ListAuditEvents(ctx context.Context, p Principal, actor, action string, pageSize int, pageToken string) (Page[AuditEvent], error) {
	if p.User == nil || !p.User.IsRuntimeAdmin() {
		return Page[AuditEvent]{}, Errorf(Forbidden, "Only runtime administrators (admins of site %q) may read the audit log", AdminSiteID)
	}
	f, err := listFilter(pageSize, pageToken)
	if err != nil {
		return Page[AuditEvent]{}, err
	}
	var fields []FieldError
	for name, v := range map[string]string{"actor": actor, "action": action} {
		if !utf8.ValidString(v) || len(v) > 4*maxAuditFieldRunes || hasControl(v) {
			fields = append(fields, FieldError{Loc: []string{"query", name}, Msg: name + " must be valid UTF-8 of at most 300 characters, without control characters", Type: "value_error"})
		}
	}
	if len(fields) > 0 {
		return Page[AuditEvent]{}, InvalidFields(fields...)
	}
	return s.Store.ListAuditEvents(ctx, AuditFilter{Actor: actor, Action: action, Before: f.After, Limit: f.Limit})
}

// loginLimits are the counters one login attempt is charged to: the name
// it claims (hashed, so that any bytes a client sends make a safe key) and
// the source address (IPv6 by /64, the block one host usually holds).
func (s *Service) loginLimits(ctx context.Context, prefix, name string) []LoginLimit {
	t := s.Throttle.withDefaults()
	sum := sha256.Sum256([]byte(name))
	limits := []LoginLimit{{Key: prefix + hex.EncodeToString(sum[:16]), Max: t.MaxFailures}}
	if a := sourceKey(SourceAddr(ctx)); a != "" {
		limits = append(limits, LoginLimit{Key: loginKeyAddrPrefix + a, Max: t.MaxFailuresPerSource})
	}
	return limits
}

func sourceKey(addr string) string {
	ip, err := netip.ParseAddr(addr)
	if err != nil {
		return ""
	}
	ip = ip.Unmap().WithZone("")
	if ip.Is6() {
		p, _ := ip.Prefix(64)
		return p.String()
	}
	return ip.String()
}

// beginLogin refuses an attempt with Throttled, without looking at the
// password, when one of its counters is full; it returns the counts.
// Only failures are counted (failLogin), so concurrent correct logins of
// one account never throttle each other.
func (s *Service) beginLogin(ctx context.Context, limits []LoginLimit, target string) (counts []int, err error) {
	if s.Throttle.Disabled {
		return nil, nil
	}
	now := s.now()
	counts, until, err := s.Store.LoginCounts(ctx, limits, now, s.Throttle.withDefaults().Window)
	if err != nil {
		return nil, err
	}
	if !until.IsZero() {
		return nil, throttled(now, until)
	}
	return counts, nil
}

func throttled(now, until time.Time) error {
	wait := int(until.Sub(now).Seconds() + 0.999)
	if wait < 1 {
		wait = 1
	}
	return &Error{Kind: Throttled, RetryAfter: wait, Message: fmt.Sprintf(
		"Too many failed logins for this account or from this address; try again in %d seconds (after %s)", wait, until.UTC().Format(time.RFC3339))}
}

// failLogin counts and records a failed attempt and returns the error to
// answer with: fail, or Throttled when concurrent failures filled a counter
// first (the count is atomic, so parallel guesses get exactly the limit's
// worth of answers). When this failure fills a counter, the throttling it
// triggers is recorded too.
func (s *Service) failLogin(ctx context.Context, limits []LoginLimit, _ []int, target, reason string, fail error) error {
	s.Audit(ctx, AuditActorAnonymous, AuditLoginFailed, target, reason)
	if s.Throttle.Disabled {
		return fail
	}
	t := s.Throttle.withDefaults()
	now := s.now()
	counts, until, err := s.Store.TakeLoginAttempt(context.WithoutCancel(ctx), limits, now, t.Window)
	if err != nil {
		s.logger().Error("could not count a failed login", "error", err.Error())
		return fail
	}
	if !until.IsZero() {
		return throttled(now, until)
	}
	for i, c := range counts {
		if i < len(limits) && c == limits[i].Max {
			what := "this account"
			if strings.HasPrefix(limits[i].Key, loginKeyAddrPrefix) {
				what = "this source address"
			}
			s.Audit(ctx, AuditActorAnonymous, AuditLoginThrottled, target,
				fmt.Sprintf("%d failed logins for %s within %s; further attempts are refused until the window closes", c, what, t.Window))
		}
	}
	return fail
}

// succeedLogin records a login and resets the account's failure count,
// when it has one (a read told beginLogin), so a success costs no write.
func (s *Service) succeedLogin(ctx context.Context, limits []LoginLimit, counts []int, subject string) {
	s.Audit(ctx, subject, AuditLoginSucceeded, subject, "")
	if s.Throttle.Disabled || len(limits) == 0 || len(counts) == 0 || counts[0] == 0 {
		return
	}
	if err := s.Store.ReleaseLoginAttempt(context.WithoutCancel(ctx), []string{limits[0].Key}, nil); err != nil {
		s.logger().Error("could not reset login counters", "error", err.Error())
	}
}

// ClientLoginAuditInterval: successful logins of one site client are
// recorded at most once per interval per instance, with the number of
// logins since the last record. Automation may log in many times a minute;
// one record each would make the audit log (and every login) a database
// write. The first login after a quiet interval is recorded at once.
const ClientLoginAuditInterval = time.Minute

type clientLoginTally struct {
	recorded time.Time
	since    int // logins since recorded, not yet in the log
}

// auditClientLogin records a successful site-client login, coalesced.
func (s *Service) auditClientLogin(ctx context.Context, clientID string) {
	now := s.now()
	s.tallyMu.Lock()
	if s.clientLogins == nil {
		s.clientLogins = map[string]*clientLoginTally{}
	}
	t := s.clientLogins[clientID]
	if t != nil && now.Sub(t.recorded) < ClientLoginAuditInterval && !now.Before(t.recorded) {
		t.since++
		s.tallyMu.Unlock()
		return
	}
	more := 0
	if t != nil {
		more = t.since
	}
	if len(s.clientLogins) >= maxCached {
		clear(s.clientLogins)
	}
	s.clientLogins[clientID] = &clientLoginTally{recorded: now}
	s.tallyMu.Unlock()
	subject := auth.SubjectClient + clientID
	detail := ""
	if more > 0 {
		detail = fmt.Sprintf("and %d more logins of this client on this instance since the previous record", more)
	}
	s.Audit(ctx, subject, AuditLoginSucceeded, subject, detail)
}

// revocationKey names a token on the deny-list: its jti, or for tokens of
// the existing deployment (no jti) the SHA-256 of the whole token.
func revocationKey(token string, c auth.Claims) string {
	// A jti from elsewhere might not be storable text; hash those too.
	if c.ID != "" && len(c.ID) <= 200 && storable(c.ID) && !strings.HasPrefix(c.ID, revocationKeyHashPrefix) {
		return c.ID
	}
	sum := sha256.Sum256([]byte(token))
	return revocationKeyHashPrefix + hex.EncodeToString(sum[:])
}

// RevokeToken revokes an access token (RFC 7009 §2.1). Holding a token is
// proof enough to revoke it. A token that is malformed, expired, signed
// with another key or already revoked needs no revocation, and RFC 7009
// §2.2 says the answer is the same: no error.
func (s *Service) RevokeToken(ctx context.Context, token, reason string) error {
	if token == "" || len(token) > maxTokenBytes {
		return nil
	}
	c, err := s.Signer.Verify(token)
	if err != nil {
		return nil
	}
	// Keep the record while the token could still pass verification.
	key := revocationKey(token, c)
	if err := s.Store.RevokeToken(ctx, key, c.ExpiresAt.Add(auth.Leeway)); err != nil {
		return err
	}
	s.revokedHere(key)
	detail := reason
	if c.ID != "" {
		detail = strings.TrimSpace(reason + " jti " + c.ID)
	}
	s.Audit(ctx, c.Subject, AuditTokenRevoked, c.Subject, detail)
	// Purge opportunistically: revocations are rare, the delete is indexed.
	if err := s.Store.PurgeRevokedTokens(context.WithoutCancel(ctx), s.now().Add(-auth.Leeway)); err != nil {
		s.logger().Warn("could not purge expired revocations", "error", err.Error())
	}
	return nil
}

// Logout revokes the token the principal presented.
func (s *Service) Logout(ctx context.Context, p Principal, token string) error {
	key := revocationKey(token, p.Token)
	if err := s.Store.RevokeToken(ctx, key, p.Token.ExpiresAt.Add(auth.Leeway)); err != nil {
		return err
	}
	s.revokedHere(key)
	detail := "logout"
	if p.Token.ID != "" {
		detail += " jti " + p.Token.ID
	}
	s.Audit(ctx, p.Name(), AuditTokenRevoked, p.Name(), detail)
	return nil
}

// maxTokenBytes bounds a presented token; ours are a few hundred bytes.
const maxTokenBytes = 8 << 10
