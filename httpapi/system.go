package httpapi

import (
	"context"
	"net/http"
	"strings"
	"time"
)

type healthOut struct {
	WebServer bool `json:"web_server"`
	Database  bool `json:"database"`
}

// health is GET /health: 503 while the database does not answer.
func (s *Server) health(w http.ResponseWriter, r *http.Request) error {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.svc.Store.Ping(ctx); err != nil {
		s.log.Warn("health: database unavailable", "error", err.Error())
		writeJSON(w, http.StatusServiceUnavailable, healthOut{WebServer: true, Database: false})
		return nil
	}
	writeJSON(w, http.StatusOK, healthOut{WebServer: true, Database: true})
	return nil
}

// getVersion is GET /version, in the existing deployment's shape.
func (s *Server) getVersion(w http.ResponseWriter, r *http.Request) error {
	writeJSON(w, http.StatusOK, map[string]string{"nmdc-runtime": s.version})
	return nil
}

// root is GET / (and GET /docs/): people land on the docs.
func (s *Server) root(w http.ResponseWriter, r *http.Request) error {
	http.Redirect(w, r, "/docs", http.StatusTemporaryRedirect)
	return nil
}

// bearerToken returns the token of an "Authorization: Bearer" header.
func bearerToken(r *http.Request) string {
	scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return ""
	}
	return strings.TrimSpace(tok)
}
