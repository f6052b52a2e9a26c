package httpapi

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// corsPolicy is the allow-list of browser origins (Fetch standard, CORS
// protocol). Tokens travel in the Authorization header, never in cookies,
// so the API never sends Access-Control-Allow-Credentials; "*" therefore
// never meets credentials.
type corsPolicy struct {
	any     bool
	origins map[string]bool
}

func newCORSPolicy(origins []string) corsPolicy {
	p := corsPolicy{origins: map[string]bool{}}
	for _, o := range origins {
		o = strings.TrimRight(strings.TrimSpace(o), "/")
		switch o {
		case "":
		case "*":
			p.any = true
		default:
			p.origins[strings.ToLower(o)] = true
		}
	}
	return p
}

// allow returns the Access-Control-Allow-Origin value for origin, or "".
func (p corsPolicy) allow(origin string) string {
	switch {
	case origin == "" || origin == "null":
		return ""
	case p.origins[strings.ToLower(origin)]:
		return origin
	case p.any:
		return "*"
	}
	return ""
}

// corsMethods and corsHeaders are what a preflight may ask for.
const (
	corsMethods       = "GET, POST, PUT, PATCH, DELETE"
	corsHeaders       = "Authorization, Content-Type"
	corsExposeHeaders = "Retry-After, WWW-Authenticate, X-Request-Id"
)

// corsHandler answers preflights and marks responses to allowed origins.
// A request from an origin not on the list gets no CORS headers, so the
// browser keeps the response from the page.
func (s *Server) corsHandler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		if origin == "" {
			next.ServeHTTP(w, r)
			return
		}
		h := w.Header()
		h.Add("Vary", "Origin")
		allowed := s.cors.allow(origin)
		preflight := r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != ""
		if preflight {
			h.Add("Vary", "Access-Control-Request-Method")
			h.Add("Vary", "Access-Control-Request-Headers")
			if allowed == "" {
				writeJSON(w, http.StatusForbidden, errorBody{Detail: "Origin " + truncate(origin, 100) + " may not call this API from a browser; the server's --cors-origins setting lists the origins that may"})
				return
			}
			h.Set("Access-Control-Allow-Origin", allowed)
			h.Set("Access-Control-Allow-Methods", corsMethods)
			h.Set("Access-Control-Allow-Headers", corsHeaders)
			h.Set("Access-Control-Max-Age", "600")
			w.WriteHeader(http.StatusNoContent)
			return
		}
		if allowed != "" {
			h.Set("Access-Control-Allow-Origin", allowed)
			h.Set("Access-Control-Expose-Headers", corsExposeHeaders)
		}
		next.ServeHTTP(w, r)
	})
}

// sourceAddr is the client's address for throttling and the audit log:
// the TCP peer, or, when the peer is a trusted proxy, the nearest untrusted
// address of X-Forwarded-For (read from the right, since a client can write
// anything on the left).
func (s *Server) sourceAddr(r *http.Request) string {
	addr := peerAddr(r.RemoteAddr)
	if addr.IsValid() && s.trusted(addr) {
		hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
		for i := len(hops) - 1; i >= 0; i-- {
			a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
			if err != nil {
				break
			}
			addr = a.Unmap()
			if !s.trusted(addr) {
				break
			}
		}
	}
	if !addr.IsValid() {
		return ""
	}
	return addr.String()
}

func peerAddr(remote string) netip.Addr {
	host, _, err := net.SplitHostPort(remote)
	if err != nil {
		host = remote
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}
	}
	return a.Unmap()
}

func (s *Server) trusted(a netip.Addr) bool {
	for _, p := range s.proxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}
