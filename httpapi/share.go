package httpapi

import (
	"bytes"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/nmdc-runtime/server/domain"
)

// queryValues parses the query string strictly: invalid encoding, and any
// parameter given more than once (which would otherwise silently take its
// first value), are 422s naming the parameter. Every handler that reads
// the query reads it through here.
func queryValues(r *http.Request) (url.Values, error) {
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, domain.InvalidFields(domain.FieldError{Loc: []string{"query"}, Msg: "the query string is not valid URL encoding", Type: "value_error"})
	}
	var fields []domain.FieldError
	for _, k := range slices.Sorted(maps.Keys(q)) {
		if len(q[k]) > 1 {
			name := truncate(k, 100)
			fields = append(fields, domain.FieldError{Loc: []string{"query", name}, Msg: name + " is given more than once; give it once", Type: "value_error"})
		}
	}
	if len(fields) > 0 {
		return nil, domain.InvalidFields(fields...)
	}
	return q, nil
}

// shareParam reads the optional ?share=true|false (also 1|0); any other
// value, an empty one included, is a 422.
func shareParam(r *http.Request) (bool, error) {
	q, err := queryValues(r)
	if err != nil {
		return false, err
	}
	if !q.Has("share") {
		return false, nil
	}
	switch q.Get("share") {
	case "false", "0":
		return false, nil
	case "true", "1":
		return true, nil
	}
	return false, domain.InvalidFields(domain.FieldError{Loc: []string{"query", "share"}, Msg: "share must be true or false (or 1 or 0)", Type: "type_error.bool"})
}

// noBody refuses a request body on a call that takes none (a custom
// method such as :resetPassword), rather than ignore what the caller
// meant to say. White space alone counts as no body.
func noBody(w http.ResponseWriter, r *http.Request) error {
	b, err := readBody(w, r)
	if err != nil {
		return err
	}
	if len(bytes.TrimSpace(b)) > 0 {
		return domain.InvalidFields(domain.FieldError{Loc: []string{"body"}, Msg: "this call takes no body; send the request without one", Type: "value_error.extra"})
	}
	return nil
}

// shareURL returns the absolute link of a share and its expiry. The base is
// the configured public URL, else the scheme and Host of the request, which
// are those the caller used to reach this server.
func (s *Server) shareURL(r *http.Request, sh *domain.Share) (string, *string) {
	base := s.publicURL
	if base == "" {
		scheme := "http"
		if r.TLS != nil {
			scheme = "https"
		}
		base = scheme + "://" + r.Host
	}
	exp := sh.ExpiresAt.UTC().Format(time.RFC3339)
	return strings.TrimRight(base, "/") + "/share/" + sh.Token, &exp
}

// shareOut is what a one-time link reveals.
type shareOut struct {
	Kind         string `json:"kind"`
	Username     string `json:"username,omitempty"`
	Password     string `json:"password,omitempty"`
	SiteID       string `json:"site_id,omitempty"`
	ClientID     string `json:"client_id,omitempty"`
	ClientSecret string `json:"client_secret,omitempty"`
}

// openShare is GET /share/{token}: the secret once, then 410 Gone; 404 for
// a token that never existed. Like every response it carries
// Cache-Control: no-store, so no cache can show it a second time.
func (s *Server) openShare(w http.ResponseWriter, r *http.Request) error {
	if r.Method != http.MethodGet {
		// A GET pattern also matches HEAD; link checkers send HEAD, and it
		// must not use the link up.
		w.Header().Set("Allow", "GET")
		return domain.Errorf(kindMethodNotAllowed, "Open a share link with GET; HEAD would use it up without showing it")
	}
	sec, err := s.svc.OpenShare(r.Context(), r.PathValue("token"))
	if err != nil {
		return err
	}
	out := shareOut{Kind: sec.Kind}
	switch sec.Kind {
	case domain.ShareUserPassword:
		out.Username, out.Password = sec.Username, sec.Secret
	case domain.ShareClientSecret:
		out.SiteID, out.ClientID, out.ClientSecret = sec.SiteID, sec.ClientID, sec.Secret
	}
	w.Header().Set("Pragma", "no-cache")
	writeJSON(w, http.StatusOK, out)
	return nil
}
