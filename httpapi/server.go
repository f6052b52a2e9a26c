package httpapi

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"net/netip"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"github.com/nmdc-runtime/server/domain"
)

// Server serves the Runtime API.
type Server struct {
	svc       *domain.Service
	log       *slog.Logger
	publicURL string
	version   string
	mux       *http.ServeMux
	handler   http.Handler
	// patterns are the registered routes, in registration order (see
	// Routes), and verbs the custom methods of each dispatching wildcard.
	patterns []string
	verbs    map[string][]string
	openAPI  servedFile
	cors     corsPolicy
	proxies  []netip.Prefix
}

// Config holds what a Server needs.
type Config struct {
	Service *domain.Service
	Logger  *slog.Logger
	Version string
	// PublicURL is the base of links the server hands out (share links);
	// when empty, the scheme and Host of each request are used.
	PublicURL string
	// CORSOrigins are the browser origins (scheme://host[:port]) allowed to
	// call the API from scripts; none by default. "*" allows any origin,
	// without credentials.
	CORSOrigins []string
	// TrustedProxies are the addresses of reverse proxies whose
	// X-Forwarded-For header is believed; none by default, so the source
	// address of a request is its TCP peer.
	TrustedProxies []netip.Prefix
}

// New returns a Server with every route registered.
func New(cfg Config) *Server {
	s := &Server{svc: cfg.Service, log: cfg.Logger, version: cfg.Version, publicURL: cfg.PublicURL, mux: http.NewServeMux(),
		verbs: map[string][]string{}, cors: newCORSPolicy(cfg.CORSOrigins), proxies: cfg.TrustedProxies}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	doc, err := openAPIJSON(s.version)
	if err != nil {
		// The tables in openapi.go are wrong: a programming error that
		// every test reports.
		panic(err)
	}
	s.openAPI = newServedFile("openapi.json", doc)
	s.routes()
	s.mux.HandleFunc(unmatchedPattern, s.unmatched)
	s.handler = s.recoverPanics(s.accessLog(s.corsHandler(http.HandlerFunc(s.dispatch))))
	return s
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// routes registers every route of the API, so the whole API reads here.
func (s *Server) routes() {
	s.handle("POST /token", s.token)
	s.handle("POST /token/revoke", s.revoke)
	s.handle("POST /logout", s.authed(s.logout))
	s.handle("GET /users/me", s.authed(s.getMe))
	s.handle("POST /users", s.authed(s.createUser))
	s.handle("PUT /users", s.authed(s.updateUser))
	// Custom methods "POST /x/{id}:verb": ServeMux wildcards take whole
	// segments, so customMethods splits off the verb, in one place.
	// /users/me:changePassword, /users/{username}:resetPassword
	s.handle("POST /users/{user_action}", s.customMethods("user_action", "/users/{username}", userMethods))
	s.handle("GET /admin/users", s.authed(s.listUsers))
	s.handle("GET /admin/audit", s.authed(s.listAudit))
	s.handle("GET /admin/users/{username}", s.authed(s.getUser))

	s.handle("POST /sites", s.authed(s.createSite))
	s.handle("GET /sites", s.listSites)
	s.handle("GET /sites/{site_id}", s.getSite)
	// /sites/{site_id}:generateCredentials[?share=true]
	s.handle("POST /sites/{site_action}", s.customMethods("site_action", "/sites/{site_id}", siteMethods))
	s.handle("GET /sites/{site_id}/admins", s.authed(s.listSiteAdmins))
	s.handle("POST /sites/{site_id}/admins", s.authed(s.addSiteAdmin))
	s.handle("DELETE /sites/{site_id}/admins/{username}", s.authed(s.removeSiteAdmin))
	s.handle("GET /sites/{site_id}/clients", s.authed(s.listSiteClients))
	s.handle("DELETE /sites/{site_id}/clients/{client_id}", s.authed(s.deleteSiteClient))
	// /sites/{site_id}/clients/{client_id}:rotateSecret[?share=true]
	s.handle("POST /sites/{site_id}/clients/{client_action}", s.customMethods("client_action", "/sites/{site_id}/clients/{client_id}", clientMethods))
	s.handle("PATCH /admin/site_clients/{site_client_id}", s.authed(s.patchSiteClient))

	s.handle("GET /admin/allowances", s.authed(s.listAllowances))
	s.handle("POST /admin/allowances", s.authed(s.createAllowance))
	s.handle("DELETE /admin/allowances", s.authed(s.deleteAllowance))
	s.handle("GET /admin/allowances/actions", s.authed(s.listActions))
	s.handle("GET /capabilities", s.listCapabilities)
	s.handle("GET /capabilities/{capability_id}", s.getCapability)
	s.handle("GET /share/{token}", s.openShare)

	s.handle("GET /health", s.health)
	s.handle("GET /version", s.getVersion)
	s.handle("GET /{$}", s.root)
	// Not part of the API itself (see notInSpec in openapi.go).
	s.handle("GET /openapi.json", s.getOpenAPI)
	s.handle("GET /docs", s.docsPage)
	s.handle("GET /docs/{$}", s.root)
	s.handle("GET /docs/{asset}", s.docsAsset)
}

// Routes returns the patterns that routes() registered, in order, so that
// tests can hold them against the OpenAPI document and the authorization
// matrix (CustomMethods spells out the custom methods behind a dispatching
// pattern).
func (s *Server) Routes() []string { return slices.Clone(s.patterns) }

// CustomMethods maps each pattern that dispatches custom methods, such as
// "POST /sites/{site_action}", to the routes it serves, written out:
// "POST /sites/{site_id}:generateCredentials".
func (s *Server) CustomMethods() map[string][]string {
	out := map[string][]string{}
	for _, p := range s.patterns {
		i := strings.LastIndex(p, "/{")
		if i < 0 || !strings.HasSuffix(p, "}") {
			continue
		}
		if verbs, ok := s.verbs[p[i+2:len(p)-1]]; ok {
			out[p] = slices.Clone(verbs)
		}
	}
	return out
}

// handlerFunc is a handler that returns its error, so that every error is
// written by one function.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

func (s *Server) handle(pattern string, h handlerFunc) {
	s.patterns = append(s.patterns, pattern)
	s.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			s.writeError(w, r, err)
		}
	})
}

// authed wraps a handler that needs a logged-in principal.
func (s *Server) authed(h func(w http.ResponseWriter, r *http.Request, p domain.Principal) error) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if err := oneAuthorization(r); err != nil {
			return err
		}
		p, err := s.svc.Authenticate(r.Context(), bearerToken(r))
		if err != nil {
			return err
		}
		return h(w, r, p)
	}
}

// dispatch routes a request, answering unknown paths and methods in JSON
// like every other error.
func (s *Server) dispatch(w http.ResponseWriter, r *http.Request) {
	if !canonicalPath(r.URL.Path) {
		// No redirects to a cleaned path: a client must name a resource
		// exactly, and "/sites/../users" is nobody's intent.
		writeJSON(w, http.StatusNotFound, errorBody{Detail: "Not Found: the path contains empty, '.' or '..' segments"})
		return
	}
	s.mux.ServeHTTP(w, r)
}

// unmatchedPattern catches every request no route matches, so a request
// takes one router lookup; it answers 404 or 405 in JSON like every other
// error. It is registered on the mux directly, not listed among the routes.
const unmatchedPattern = "/"

// methodsProbed are the methods a 405's Allow header may list.
var methodsProbed = []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete}

// unmatched answers a request for which no route matched: 405 with Allow
// when the path has routes for other methods, else 404.
func (s *Server) unmatched(w http.ResponseWriter, r *http.Request) {
	var allow []string
	for _, m := range methodsProbed {
		probe := *r
		probe.Method = m
		if _, p := s.mux.Handler(&probe); p != "" && p != unmatchedPattern {
			allow = append(allow, m)
		}
	}
	if len(allow) == 0 {
		writeJSON(w, http.StatusNotFound, errorBody{Detail: "Not Found"})
		return
	}
	w.Header().Set("Allow", strings.Join(allow, ", "))
	writeJSON(w, http.StatusMethodNotAllowed, errorBody{Detail: "Method Not Allowed"})
}

// canonicalPath reports a path without empty, "." or ".." segments.
func canonicalPath(p string) bool {
	if p == "/" {
		return true
	}
	segs := strings.Split(strings.TrimSuffix(strings.TrimPrefix(p, "/"), "/"), "/")
	for _, s := range segs {
		if s == "" || s == "." || s == ".." {
			return false
		}
	}
	return strings.HasPrefix(p, "/")
}

// oneAuthorization refuses requests with several Authorization headers:
// a proxy and this server could read different ones.
func oneAuthorization(r *http.Request) error {
	if len(r.Header.Values("Authorization")) > 1 {
		return domain.Errorf(kindBadRequest, "Send one Authorization header, not several")
	}
	return nil
}

type ctxKey int

const requestIDKey ctxKey = 0

func requestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey).(string)
	return id
}

// statusWriter remembers the status for the access log.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// accessLog gives each request an id and logs one line for it: method,
// route pattern, status, duration, id. Never the query string, headers or
// body: they can hold credentials.
func (s *Server) accessLog(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := newRequestID()
		w.Header().Set("X-Request-Id", id)
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cache-Control", "no-store")
		ctx := context.WithValue(r.Context(), requestIDKey, id)
		r = r.WithContext(domain.WithSourceAddr(ctx, s.sourceAddr(r)))
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		route := r.Pattern
		if route == "" || route == unmatchedPattern {
			route = "unmatched"
		}
		s.log.LogAttrs(r.Context(), slog.LevelInfo, "request",
			slog.String("method", r.Method),
			slog.String("route", route),
			slog.Int("status", sw.status),
			slog.Duration("duration", time.Since(start)),
			slog.String("request_id", id),
		)
	})
}

// recoverPanics turns a panic into a logged 500 with a generic message.
func (s *Server) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.log.Error("panic", "request_id", requestID(r.Context()), "panic", v, "stack", string(debug.Stack()))
				writeJSON(w, http.StatusInternalServerError, errorBody{Detail: "Internal server error"})
			}
		}()
		next.ServeHTTP(w, r)
	})
}

func newRequestID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
