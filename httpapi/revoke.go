package httpapi

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/nmdc-runtime/server/domain"
)

// revoke is POST /token/revoke (RFC 7009 §2.1): form field token, optional
// token_type_hint. The answer is 200 whether or not the token was known or
// valid (§2.2), so it reveals nothing about tokens; a malformed request is
// a 400 with an OAuth2 error.
func (s *Server) revoke(w http.ResponseWriter, r *http.Request) error {
	form, err := readRevokeForm(w, r)
	if err != nil {
		s.writeTokenError(w, r, err)
		return nil
	}
	tok := form.Get("token")
	if tok == "" {
		s.writeTokenError(w, r, invalidRequest("The form field token is required: the access token to revoke"))
		return nil
	}
	// §2.1: the hint only helps a server find the token; ours has one
	// kind. An unknown hint is ignored, as the RFC allows.
	if err := s.svc.RevokeToken(r.Context(), strings.TrimSpace(tok), "revoked at /token/revoke"); err != nil {
		return err
	}
	w.Header().Set("Pragma", "no-cache")
	writeJSON(w, http.StatusOK, struct{}{})
	return nil
}

// logout is POST /logout: revokes the bearer token that authenticates it.
func (s *Server) logout(w http.ResponseWriter, r *http.Request, p domain.Principal) error {
	if err := s.svc.Logout(r.Context(), p, bearerToken(r)); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// readRevokeForm reads the form of a revocation request with the rules of
// the token endpoint: no token in the query string, each field once.
func readRevokeForm(w http.ResponseWriter, r *http.Request) (url.Values, error) {
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, invalidRequest("The query string is not valid URL encoding")
	}
	for _, f := range credentialFields {
		if q.Has(f) {
			return nil, invalidRequest("Tokens and credentials in the query string are not accepted; send " + f + " in the form body")
		}
	}
	form, err := readForm(w, r)
	if err != nil {
		return nil, err
	}
	for k, v := range form {
		if len(v) > 1 {
			return nil, invalidRequest("The form field " + truncate(k, 50) + " is given more than once")
		}
	}
	return form, nil
}
