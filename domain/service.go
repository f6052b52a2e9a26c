package domain

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/nmdc-runtime/server/auth"
)

// DefaultTokenTTL is how long an access token lives, as in the existing
// deployment.
const DefaultTokenTTL = 24 * time.Hour

// Service enforces who may do what, once, for every backend and transport.
type Service struct {
	Store      Store
	Signer     *auth.Signer
	Now        func() time.Time
	BcryptCost int
	TokenTTL   time.Duration
	// ShareTTL is how long a one-time share link stays valid
	// (DefaultShareTTL when zero).
	ShareTTL time.Duration
	// AuthCacheTTL: how long a token check may reuse a user or client
	// read; 0 means DefaultAuthCacheTTL, negative disables the cache.
	AuthCacheTTL time.Duration
	// RevocationCacheTTL lets token checks reuse a deny-list answer; set
	// it only when no other process revokes tokens in this store.
	RevocationCacheTTL time.Duration
	// Throttle configures brute-force protection of logins.
	Throttle LoginThrottle
	// Log receives failures that must not fail a request (an audit record
	// that could not be written); nil discards them.
	Log *slog.Logger

	cacheOnce sync.Once
	authCache *authCache

	tallyMu      sync.Mutex
	clientLogins map[string]*clientLoginTally
}

func (s *Service) logger() *slog.Logger {
	if s.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return s.Log
}

// Principal is whoever presented a valid token: a user, or a site client.
type Principal struct {
	User   *User
	Client *SiteClient
	Token  auth.Claims
}

// Name identifies the principal in logs and audit records.
func (p Principal) Name() string {
	switch {
	case p.User != nil:
		return auth.SubjectUser + p.User.Username
	case p.Client != nil:
		return auth.SubjectClient + p.Client.ID
	}
	return "anonymous"
}

// Token is an issued access token.
type Token struct {
	AccessToken string
	ExpiresIn   time.Duration
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Service) ttl() time.Duration {
	if s.TokenTTL > 0 {
		return s.TokenTTL
	}
	return DefaultTokenTTL
}

var errBadLogin = Errorf(Unauthenticated, "Incorrect username or password")
var errBadClient = Errorf(Unauthenticated, "Incorrect client_id or client_secret")

// LoginPassword checks a username and password and issues a user token.
// An unknown username costs the same time as a wrong password. Attempts
// are counted per username and per source address; past the limit they
// are refused with Throttled before the password is looked at.
func (s *Service) LoginPassword(ctx context.Context, username, password string) (Token, error) {
	target := auth.SubjectUser + username
	limits := s.loginLimits(ctx, loginKeyUserPrefix, username)
	counts, err := s.beginLogin(ctx, limits, target)
	if err != nil {
		return Token{}, err
	}
	if username == "" || password == "" || len(password) > MaxPasswordBytes || len(username) > 4*MaxUsernameLen || !storable(username) {
		auth.DummyVerify(s.BcryptCost, password)
		return Token{}, s.failLogin(ctx, limits, counts, target, "malformed username or password", errBadLogin)
	}
	u, err := s.Store.GetUser(ctx, username)
	if IsKind(err, NotFound) {
		auth.DummyVerify(s.BcryptCost, password)
		return Token{}, s.failLogin(ctx, limits, counts, target, "unknown username", errBadLogin)
	}
	if err != nil {
		return Token{}, err
	}
	if err := auth.VerifyPassword(u.PasswordHash, password); err != nil {
		return Token{}, s.failLogin(ctx, limits, counts, target, "wrong password", errBadLogin)
	}
	// Only after the password is proven do we say why a valid login fails.
	if u.Disabled {
		return Token{}, s.failLogin(ctx, limits, counts, target, "account disabled", Errorf(Unauthenticated, "This account is disabled; ask a runtime administrator to enable it"))
	}
	tok, err := s.issue(auth.SubjectUser+u.Username, u.TokensValidAfter)
	if err == nil {
		s.succeedLogin(ctx, limits, counts, target)
	}
	return tok, err
}

// ClientCredentials is one reading of a client's id and secret.
type ClientCredentials struct {
	ClientID string
	Secret   string
}

// LoginClient checks site-client credentials and issues a client token.
// HTTP Basic credentials can be read two ways (RFC 6749 §2.3.1 decoded,
// and raw); alternatives are tried in order within one counted attempt.
func (s *Service) LoginClient(ctx context.Context, clientID, secret string, alternatives ...ClientCredentials) (Token, error) {
	creds := append([]ClientCredentials{{clientID, secret}}, alternatives...)
	// Fast path: a generated secret (256 random bits, stored as SHA-256)
	// cannot be guessed, so a correct one needs no throttle bookkeeping and
	// cannot be locked out by someone else's failures. Workflow automation
	// logs in this way, often and in parallel; it costs one read.
	for _, cr := range creds {
		if c, ok := s.generatedClientLogin(ctx, cr); ok {
			tok, err := s.issue(auth.SubjectClient+c.ID, c.TokensValidAfter)
			if err == nil {
				s.auditClientLogin(ctx, c.ID)
			}
			return tok, err
		}
	}
	target := auth.SubjectClient + clientID
	limits := s.loginLimits(ctx, loginKeyClientPrefix, clientID)
	counts, err := s.beginLogin(ctx, limits, target)
	if err != nil {
		return Token{}, err
	}
	reason := "malformed client_id or client_secret"
	for _, cr := range creds {
		c, why, err := s.checkClient(ctx, cr.ClientID, cr.Secret)
		if err != nil {
			return Token{}, err
		}
		if why != "" {
			reason = why
			continue
		}
		tok, err := s.issue(auth.SubjectClient+c.ID, c.TokensValidAfter)
		if err == nil {
			s.succeedLogin(ctx, limits, counts, auth.SubjectClient+c.ID)
		}
		return tok, err
	}
	return Token{}, s.failLogin(ctx, limits, counts, target, reason, errBadClient)
}

// checkClient returns the client when the secret matches, else why not.
func (s *Service) checkClient(ctx context.Context, clientID, secret string) (SiteClient, string, error) {
	if clientID == "" || secret == "" || len(secret) > MaxPasswordBytes || len(clientID) > 4*MaxUsernameLen || !storable(clientID) {
		return SiteClient{}, "malformed client_id or client_secret", nil
	}
	c, err := s.Store.GetSiteClient(ctx, clientID)
	if IsKind(err, NotFound) {
		// Spend one fast hash, as a generated secret would.
		_ = auth.VerifySecret(auth.HashSecret(""), secret)
		return SiteClient{}, "unknown client_id", nil
	}
	if err != nil {
		return SiteClient{}, "", err
	}
	if err := auth.VerifySecret(c.SecretHash, secret); err != nil {
		return SiteClient{}, "wrong client_secret", nil
	}
	s.touchClient(ctx, c)
	return c, "", nil
}

// generatedClientLogin checks credentials against a client whose secret was
// generated here; ok is false for anything else (unknown client, wrong
// secret, a bcrypt secret), which then takes the throttled path.
func (s *Service) generatedClientLogin(ctx context.Context, cr ClientCredentials) (SiteClient, bool) {
	if cr.ClientID == "" || cr.Secret == "" || len(cr.Secret) > MaxPasswordBytes || len(cr.ClientID) > 4*MaxUsernameLen || !storable(cr.ClientID) {
		return SiteClient{}, false
	}
	c, err := s.Store.GetSiteClient(ctx, cr.ClientID)
	if err != nil || !strings.HasPrefix(c.SecretHash, auth.SecretHashPrefix) || auth.VerifySecret(c.SecretHash, cr.Secret) != nil {
		return SiteClient{}, false
	}
	s.touchClient(ctx, c)
	return c, true
}

// touchClient records last_used_at at most once per LastUsedGranularity.
func (s *Service) touchClient(ctx context.Context, c SiteClient) {
	now := s.now()
	if now.Sub(c.LastUsedAt) < LastUsedGranularity && !now.Before(c.LastUsedAt) {
		return
	}
	// Best effort: a failure to record the time must not refuse a login.
	_ = s.Store.TouchSiteClient(ctx, c.ID, now, LastUsedGranularity)
}

// LastUsedGranularity bounds how often a client login writes last_used_at.
const LastUsedGranularity = time.Minute

// issue signs a token for subject. Its iat is never before validAfter, the
// subject's revocation cut-off, so a token issued in the same second as a
// revocation (iat has whole seconds) still counts as issued after it.
func (s *Service) issue(subject string, validAfter time.Time) (Token, error) {
	now := s.now()
	iat := now
	if iat.Before(validAfter) {
		iat = validAfter
	}
	tok, err := s.Signer.Sign(auth.Claims{
		Subject:   subject,
		IssuedAt:  iat,
		ExpiresAt: now.Add(s.ttl()),
		ID:        auth.RandomToken(16),
	})
	if err != nil {
		return Token{}, err
	}
	return Token{AccessToken: tok, ExpiresIn: s.ttl()}, nil
}

// Authenticate verifies a bearer token and returns who presented it. The
// Unauthenticated error says which check failed.
func (s *Service) Authenticate(ctx context.Context, token string) (Principal, error) {
	if token == "" {
		return Principal{}, Errorf(Unauthenticated, "Not authenticated: send an access token as 'Authorization: Bearer <token>' (get one from POST /token)")
	}
	if len(token) > maxTokenBytes {
		return Principal{}, Errorf(Unauthenticated, "Could not validate credentials: %v", auth.ErrTokenMalformed)
	}
	c, err := s.Signer.Verify(token)
	if err != nil {
		return Principal{}, &Error{Kind: Unauthenticated, Message: "Could not validate credentials: " + err.Error()}
	}
	// RFC 7009: a revoked token is refused at once, on every instance
	// (see tokenRevoked).
	revoked, err := s.tokenRevoked(ctx, revocationKey(token, c))
	if err != nil {
		return Principal{}, err
	}
	if revoked {
		return Principal{}, Errorf(Unauthenticated, "Could not validate credentials: the token was revoked (logged out); log in again")
	}
	issued := c.IssuedAt
	if issued.IsZero() {
		// Tokens of the existing deployment carry no iat, so when they
		// were issued is unknown: once the subject has a cut-off (password
		// changed, account disabled, secret rotated) they are all refused.
		// Before any cut-off they are accepted as the existing deployment
		// would.
		issued = time.Time{}
	}
	switch {
	case strings.HasPrefix(c.Subject, auth.SubjectUser):
		u, err := s.principalUser(ctx, strings.TrimPrefix(c.Subject, auth.SubjectUser))
		if IsKind(err, NotFound) {
			return Principal{}, Errorf(Unauthenticated, "Could not validate credentials: the token's user no longer exists")
		}
		if err != nil {
			return Principal{}, err
		}
		if u.Disabled {
			return Principal{}, Errorf(Unauthenticated, "Could not validate credentials: the token's user is disabled")
		}
		if issued.Before(u.TokensValidAfter) {
			return Principal{}, Errorf(Unauthenticated, "Could not validate credentials: the token was revoked (password changed or account disabled since it was issued); log in again")
		}
		return Principal{User: &u, Token: c}, nil
	case strings.HasPrefix(c.Subject, auth.SubjectClient):
		sc, err := s.principalClient(ctx, strings.TrimPrefix(c.Subject, auth.SubjectClient))
		if IsKind(err, NotFound) {
			return Principal{}, Errorf(Unauthenticated, "Could not validate credentials: the token's site client no longer exists")
		}
		if err != nil {
			return Principal{}, err
		}
		if issued.Before(sc.TokensValidAfter) {
			return Principal{}, Errorf(Unauthenticated, "Could not validate credentials: the token was revoked (client secret changed since it was issued); log in again")
		}
		return Principal{Client: &sc, Token: c}, nil
	}
	return Principal{}, Errorf(Unauthenticated, "Could not validate credentials: the token's subject is neither a user nor a site client")
}

// NewUser is a request to create a user.
type NewUser struct {
	Username  string
	Password  string
	Email     string
	FullName  string
	SiteAdmin []string
	Disabled  bool
}

func (s *Service) requireRuntimeAdmin(p Principal) error {
	if p.User == nil || !p.User.IsRuntimeAdmin() {
		return Errorf(Forbidden, "Only runtime administrators (admins of site %q) may manage user accounts", AdminSiteID)
	}
	return nil
}

func (s *Service) requireUser(p Principal, what string) error {
	if p.User == nil {
		return Errorf(Forbidden, "A site client cannot %s; log in as a user", what)
	}
	return nil
}

// CreateUser creates a user account; only runtime admins may. Without a
// password the server generates one and returns a one-time link that
// reveals it (nil when a password was given).
func (s *Service) CreateUser(ctx context.Context, p Principal, in NewUser) (User, *Share, error) {
	if err := s.requireRuntimeAdmin(p); err != nil {
		return User{}, nil, err
	}
	generated := in.Password == ""
	if generated {
		in.Password = NewPassword()
	}
	var fields []FieldError
	for _, fe := range []*FieldError{
		ValidateUsername(in.Username),
		ValidatePassword("password", in.Password),
		ValidateEmail(in.Email),
		ValidateText("full_name", in.FullName),
		ValidateSiteIDList("site_admin", in.SiteAdmin),
	} {
		if fe != nil {
			fields = append(fields, *fe)
		}
	}
	if len(fields) > 0 {
		return User{}, nil, InvalidFields(fields...)
	}
	hash, err := auth.HashPassword(in.Password, s.BcryptCost)
	if err != nil {
		return User{}, nil, err
	}
	now := s.now()
	u := User{
		Username:     in.Username,
		Email:        in.Email,
		FullName:     in.FullName,
		SiteAdmin:    dedupe(in.SiteAdmin),
		Disabled:     in.Disabled,
		PasswordHash: hash,
		CreatedAt:    now,
	}
	if err := s.Store.CreateUser(ctx, u); err != nil {
		return User{}, nil, err
	}
	s.Audit(ctx, p.Name(), AuditUserCreated, auth.SubjectUser+u.Username, "")
	if !generated {
		return u, nil, nil
	}
	// The account exists even if the link cannot be stored; a runtime
	// admin can then reset the password for a new link.
	share, err := s.shareSecret(ctx, p, ShareLink{Kind: ShareUserPassword, Username: u.Username, SecretHash: u.PasswordHash}, in.Password)
	if err != nil {
		return User{}, nil, err
	}
	return u, share, nil
}

// NewSite is a request to create a site.
type NewSite struct {
	ID            string
	CapabilityIDs []string
}

// CreateSite creates a site and makes its creator an admin of it, in one
// transaction. Any logged-in user may.
func (s *Service) CreateSite(ctx context.Context, p Principal, in NewSite) (Site, error) {
	if err := s.requireUser(p, "create sites"); err != nil {
		return Site{}, err
	}
	var fields []FieldError
	if fe := ValidateSiteID("id", in.ID); fe != nil {
		fields = append(fields, *fe)
	}
	if fe := ValidateIDList("capability_ids", in.CapabilityIDs); fe != nil {
		fields = append(fields, *fe)
	}
	if len(fields) > 0 {
		return Site{}, InvalidFields(fields...)
	}
	if err := s.checkReservedSiteID(ctx, p, in.ID); err != nil {
		return Site{}, err
	}
	site := Site{ID: in.ID, CapabilityIDs: dedupe(in.CapabilityIDs), CreatedAt: s.now()}
	if err := s.Store.CreateSite(ctx, site, p.User.Username); err != nil {
		return Site{}, err
	}
	s.grantCachedSiteAdmin(p.User.Username, site.ID)
	s.Audit(ctx, p.Name(), AuditSiteCreated, "site:"+site.ID, "")
	return site, nil
}

// checkReservedSiteID refuses to let a user create a site whose id a
// runtime admin granted to other users in advance (site_admin may name
// sites not created yet): otherwise anyone could claim it, become its admin
// and act for it. Those users, and runtime admins, may create it. Ids
// compare after FoldSiteID, so "Bob-Future" cannot squat "bob-future".
func (s *Service) checkReservedSiteID(ctx context.Context, p Principal, id string) error {
	if p.User.IsRuntimeAdmin() {
		return nil
	}
	grants, err := s.Store.ListSiteAdminsFolded(ctx, id)
	if err != nil || len(grants) == 0 {
		return err
	}
	for _, g := range grants {
		if g.Username == p.User.Username {
			return nil
		}
	}
	// A site that exists already is a Conflict, not a reservation; the
	// store says which (the same id, or one differing only in case).
	for _, g := range grants {
		if _, err := s.Store.GetSite(ctx, g.SiteID); err == nil {
			if g.SiteID == id {
				return Errorf(Conflict, "site %q already exists", id)
			}
			return Errorf(Conflict, "site id %q is too similar to existing site %q: they differ only in letter case; choose another id", id, g.SiteID)
		}
	}
	return Errorf(Forbidden, "Site id %q is reserved: a runtime admin made other users its admins before it was created; one of them (or a runtime admin) must create it", id)
}

// GetSite returns a site.
func (s *Service) GetSite(ctx context.Context, id string) (Site, error) {
	if !storable(id) || len(id) > 4*MaxTextLen {
		// No such id can exist; do not hand it to a database that may
		// refuse it (PostgreSQL text holds neither NUL nor invalid UTF-8).
		return Site{}, Errorf(NotFound, "site %q not found", truncateRunes(id, 100))
	}
	return s.Store.GetSite(ctx, id)
}

// ListSites returns one page of sites ordered by id.
func (s *Service) ListSites(ctx context.Context, pageSize int, pageToken string) (Page[Site], error) {
	f, err := listFilter(pageSize, pageToken)
	if err != nil {
		return Page[Site]{}, err
	}
	return s.Store.ListSites(ctx, f)
}

// ListUsers returns one page of users ordered by username; runtime admins only.
func (s *Service) ListUsers(ctx context.Context, p Principal, pageSize int, pageToken string) (Page[User], error) {
	if err := s.requireRuntimeAdmin(p); err != nil {
		return Page[User]{}, err
	}
	f, err := listFilter(pageSize, pageToken)
	if err != nil {
		return Page[User]{}, err
	}
	return s.Store.ListUsers(ctx, f)
}

// MaxPageSize bounds max_page_size.
const MaxPageSize = 1000

// DefaultPageSize is max_page_size when the client sends none.
const DefaultPageSize = 20

func listFilter(pageSize int, pageToken string) (ListFilter, error) {
	if pageSize == 0 {
		pageSize = DefaultPageSize
	}
	if pageSize < 1 || pageSize > MaxPageSize {
		return ListFilter{}, InvalidFields(FieldError{Loc: []string{"query", "max_page_size"}, Msg: "max_page_size must be between 1 and 1000", Type: "value_error"})
	}
	after, err := DecodePageToken(pageToken)
	if err != nil {
		return ListFilter{}, err
	}
	return ListFilter{After: after, Limit: pageSize}, nil
}

// EncodePageToken makes an opaque page token from the last key of a page:
// the key as a JSON string, in URL-safe base64. The JSON form makes a
// token this server did not issue fail to decode (a bare base64 key would
// accept almost any text as a key, so a garbage token gave a page).
func EncodePageToken(lastKey string) string {
	b, _ := json.Marshal(lastKey)
	return base64.RawURLEncoding.EncodeToString(b)
}

// DecodePageToken reverses EncodePageToken; anything else is Invalid
// naming page_token.
func DecodePageToken(tok string) (string, error) {
	if tok == "" {
		return "", nil
	}
	b, err := base64.RawURLEncoding.DecodeString(tok)
	var key string
	// Keys are valid UTF-8 without NUL; anything else was not issued here
	// (and PostgreSQL could not even compare it).
	if err != nil || len(b) > 4*MaxTextLen || !utf8.Valid(b) || len(b) < 2 || b[0] != '"' || json.Unmarshal(b, &key) != nil || key == "" || strings.IndexByte(key, 0) >= 0 {
		return "", errPageToken
	}
	return key, nil
}

// GenerateCredentials creates a new client for a site and returns it with
// its secret, which is shown this once (or, with share, through a one-time
// link) and stored only as a hash. Only the site's admins may.
func (s *Service) GenerateCredentials(ctx context.Context, p Principal, siteID string, share bool) (SiteClient, IssuedSecret, error) {
	if _, err := s.GetSite(ctx, siteID); err != nil {
		return SiteClient{}, IssuedSecret{}, err
	}
	if !s.freshSiteAdmin(ctx, p, siteID) {
		return SiteClient{}, IssuedSecret{}, Errorf(Forbidden, "Only admins of site %q may generate its credentials", siteID)
	}
	secret := auth.NewSecret()
	c := SiteClient{
		SiteID:     siteID,
		SecretHash: auth.HashSecret(secret),
		CreatedAt:  s.now(),
		CreatedBy:  p.User.Username,
	}
	for range 3 { // an 80-bit id collides only by a miracle; retry anyway
		c.ID = auth.NewClientID()
		err := s.Store.CreateSiteClient(ctx, c)
		if err == nil {
			s.Audit(ctx, p.Name(), AuditCredentialsCreated, auth.SubjectClient+c.ID, "site:"+siteID)
			issued, err := s.issueSecret(ctx, p, c, secret, share)
			return c, issued, err
		}
		if !IsKind(err, Conflict) {
			return SiteClient{}, IssuedSecret{}, err
		}
	}
	return SiteClient{}, IssuedSecret{}, errors.New("could not allocate a unique client id")
}

// BootstrapResult says what Bootstrap did.
type BootstrapResult struct {
	Created  bool
	Username string
	// GeneratedPassword is set when no password was configured; it is
	// shown once to the operator and never logged.
	GeneratedPassword string
}

// AllActions are the allowance actions of the existing deployment, sorted;
// the bootstrap admin receives them all.
var AllActions = []string{
	ActionAdminAllowances,
	ActionAdminSiteClients,
	ActionSubmitChangesheets,
	ActionSubmitJSON,
	ActionAggregateData,
	ActionDeleteData,
	ActionWFFileStaging,
}

// Bootstrap creates the admin site and admin user on an empty database.
func (s *Service) Bootstrap(ctx context.Context, username, password string) (BootstrapResult, error) {
	if username == "" {
		username = "admin"
	}
	res := BootstrapResult{Username: username}
	if fe := ValidateUsername(username); fe != nil {
		return res, Errorf(Invalid, "API_ADMIN_USER: %s", fe.Msg)
	}
	if password == "" {
		password = auth.RandomToken(18)
		res.GeneratedPassword = password
	} else if fe := ValidatePassword("API_ADMIN_PASS", password); fe != nil {
		return res, Errorf(Invalid, "%s", fe.Msg)
	}
	hash, err := auth.HashPassword(password, s.BcryptCost)
	if err != nil {
		return res, err
	}
	now := s.now()
	created, err := s.Store.Bootstrap(ctx, User{
		Username:     username,
		SiteAdmin:    []string{AdminSiteID},
		PasswordHash: hash,
		CreatedAt:    now,
	}, AllActions, now)
	res.Created = created
	if !created {
		res.GeneratedPassword = ""
	}
	if created && err == nil {
		s.Audit(ctx, AuditActorBootstrap, AuditUserCreated, auth.SubjectUser+username, "runtime admin created at the first start; holds every allowance")
	}
	return res, err
}
