package httpapi

import (
	"encoding/base64"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"github.com/nmdc-runtime/server/domain"
)

// tokenRequest is a parsed POST /token form (RFC 6749 §4.3, §4.4).
type tokenRequest struct {
	GrantType    string
	Username     string
	Password     string
	ClientID     string
	ClientSecret string
	// basic holds the HTTP Basic credentials as pairs to try: the RFC 6749
	// §2.3.1 form-decoded reading first, then the raw one (Swagger UI
	// sends raw), without repeats.
	basic [][2]string
}

// tokenError is an OAuth2 error (RFC 6749 §5.2) that also carries the
// existing deployment's "detail".
type tokenError struct {
	status      int
	code        string
	description string
}

func (e *tokenError) Error() string { return e.description }

type tokenErrorBody struct {
	Detail           string `json:"detail"`
	Error            string `json:"error"`
	ErrorDescription string `json:"error_description"`
}

type tokenResponse struct {
	AccessToken string         `json:"access_token"`
	TokenType   string         `json:"token_type"`
	Expires     tokenExpiresIn `json:"expires"`
	ExpiresIn   int64          `json:"expires_in"`
}

type tokenExpiresIn struct {
	Days    int64 `json:"days"`
	Hours   int64 `json:"hours"`
	Minutes int64 `json:"minutes"`
}

func invalidRequest(msg string) *tokenError {
	return &tokenError{status: http.StatusBadRequest, code: "invalid_request", description: msg}
}

// credentialFields may never come in the query string, where they end up
// in logs and browser history (RFC 6749 §3.2 requires POST bodies).
var credentialFields = []string{"password", "client_secret", "username", "client_id", "grant_type"}

// parseTokenRequest reads the form once and validates its shape.
func parseTokenRequest(w http.ResponseWriter, r *http.Request) (tokenRequest, error) {
	var req tokenRequest
	q := r.URL.Query()
	for _, f := range credentialFields {
		if q.Has(f) {
			return req, invalidRequest("Credentials in the query string are not accepted; send " + f + " in the form body")
		}
	}
	if len(r.Header.Values("Authorization")) > 1 {
		return req, invalidRequest("Send one Authorization header, not several")
	}
	form, err := readForm(w, r)
	if err != nil {
		return req, err
	}
	// RFC 6749 §3.2: parameters must not be included more than once.
	for k, v := range form {
		if len(v) > 1 {
			return req, invalidRequest("The form field " + truncate(k, 50) + " is given more than once")
		}
	}
	req.GrantType = form.Get("grant_type")
	req.Username = form.Get("username")
	req.Password = form.Get("password")
	req.ClientID = form.Get("client_id")
	req.ClientSecret = form.Get("client_secret")
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, rest, _ := strings.Cut(h, " ")
		if strings.EqualFold(scheme, "Basic") {
			pairs, ok := parseBasic(strings.TrimSpace(rest))
			if !ok {
				return req, &tokenError{status: http.StatusUnauthorized, code: "invalid_client", description: "The Authorization header is not valid HTTP Basic: expected base64 of client_id:client_secret"}
			}
			req.basic = pairs
		}
	}
	return req, nil
}

// maxFormFields bounds the fields of a token request; it has at most five.
const maxFormFields = 100

// readForm reads an application/x-www-form-urlencoded body, or a
// multipart/form-data one as the existing deployment's form accepted.
func readForm(w http.ResponseWriter, r *http.Request) (url.Values, error) {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || (mt != "application/x-www-form-urlencoded" && mt != "multipart/form-data") {
		return nil, invalidRequest("Content-Type must be application/x-www-form-urlencoded (or multipart/form-data)")
	}
	tooLarge := func() error {
		return &tokenError{status: http.StatusRequestEntityTooLarge, code: "invalid_request", description: fmt.Sprintf("The request body is larger than %d bytes", MaxBodyBytes)}
	}
	if mt == "multipart/form-data" {
		r.Body = http.MaxBytesReader(w, r.Body, MaxBodyBytes)
		if err := r.ParseMultipartForm(MaxBodyBytes); err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				return nil, tooLarge()
			}
			return nil, invalidRequest("The multipart/form-data body is malformed")
		}
		if len(r.MultipartForm.File) > 0 {
			return nil, invalidRequest("File uploads are not accepted by POST /token")
		}
		return url.Values(r.MultipartForm.Value), nil
	}
	body, err := readBody(w, r)
	if err != nil {
		if domain.KindOf(err) == domain.TooLarge {
			return nil, tooLarge()
		}
		return nil, invalidRequest("The request body could not be read")
	}
	if n := strings.Count(string(body), "&") + 1; n > maxFormFields {
		return nil, invalidRequest(fmt.Sprintf("The form has %d fields; a token request has at most %d", n, maxFormFields))
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, invalidRequest("The form body is not valid application/x-www-form-urlencoded")
	}
	return form, nil
}

// parseBasic decodes a Basic credential into the pairs to try.
func parseBasic(enc string) ([][2]string, bool) {
	raw, err := base64.StdEncoding.DecodeString(enc)
	if err != nil {
		// Some clients leave out the '=' padding.
		if raw, err = base64.RawStdEncoding.DecodeString(enc); err != nil {
			return nil, false
		}
	}
	id, secret, ok := strings.Cut(string(raw), ":")
	if !ok {
		return nil, false
	}
	pairs := [][2]string{}
	// RFC 6749 §2.3.1: both parts are form-urlencoded before Basic encoding.
	did, err1 := url.QueryUnescape(id)
	dsecret, err2 := url.QueryUnescape(secret)
	if err1 == nil && err2 == nil {
		pairs = append(pairs, [2]string{did, dsecret})
	}
	if len(pairs) == 0 || pairs[0] != [2]string{id, secret} {
		pairs = append(pairs, [2]string{id, secret})
	}
	return pairs, true
}

// token is POST /token: both grants of the existing deployment.
func (s *Server) token(w http.ResponseWriter, r *http.Request) error {
	tok, err := s.grant(w, r)
	if err != nil {
		s.writeTokenError(w, r, err)
		return nil
	}
	writeToken(w, tok)
	return nil
}

// writeToken writes a token in the shape of the existing deployment plus
// expires_in.
func writeToken(w http.ResponseWriter, tok domain.Token) {
	w.Header().Set("Pragma", "no-cache")
	secs := int64(tok.ExpiresIn.Seconds())
	writeJSON(w, http.StatusOK, tokenResponse{
		AccessToken: tok.AccessToken,
		TokenType:   "bearer",
		Expires:     tokenExpiresIn{Days: secs / 86400, Hours: secs % 86400 / 3600, Minutes: secs % 3600 / 60},
		ExpiresIn:   secs,
	})
}

func (s *Server) grant(w http.ResponseWriter, r *http.Request) (domain.Token, error) {
	req, err := parseTokenRequest(w, r)
	if err != nil {
		return domain.Token{}, err
	}
	switch req.GrantType {
	case "":
		return domain.Token{}, invalidRequest("The form field grant_type is required: password or client_credentials")
	case "password":
		return s.passwordGrant(r, req)
	case "client_credentials":
		return s.clientCredentialsGrant(r, req)
	}
	return domain.Token{}, &tokenError{status: http.StatusBadRequest, code: "unsupported_grant_type",
		description: "grant_type " + truncate(req.GrantType, 40) + " is not supported: use password or client_credentials"}
}

func (s *Server) passwordGrant(r *http.Request, req tokenRequest) (domain.Token, error) {
	switch {
	case req.Username == "":
		return domain.Token{}, invalidRequest("The form field username is required for grant_type=password")
	case req.Password == "":
		return domain.Token{}, invalidRequest("The form field password is required for grant_type=password")
	}
	tok, err := s.svc.LoginPassword(r.Context(), req.Username, req.Password)
	return tok, asOAuth(err, "invalid_grant")
}

// asOAuth gives a failed login its OAuth2 error code; other errors keep
// their kind (429, 503, 500).
func asOAuth(err error, code string) error {
	if domain.KindOf(err) == domain.Unauthenticated {
		return &tokenError{status: http.StatusUnauthorized, code: code, description: err.Error()}
	}
	return err
}

func (s *Server) clientCredentialsGrant(r *http.Request, req tokenRequest) (domain.Token, error) {
	if req.basic != nil {
		// RFC 6749 §2.3: a client uses one authentication method.
		if req.ClientSecret != "" {
			return domain.Token{}, invalidRequest("Send client credentials either as HTTP Basic or as form fields, not both")
		}
		var err error
		for _, p := range req.basic {
			var tok domain.Token
			if tok, err = s.svc.LoginClient(r.Context(), p[0], p[1]); err == nil {
				return tok, nil
			}
		}
		return domain.Token{}, asOAuth(err, "invalid_client")
	}
	switch {
	case req.ClientID == "":
		return domain.Token{}, invalidRequest("The form field client_id is required for grant_type=client_credentials (or send HTTP Basic credentials)")
	case req.ClientSecret == "":
		return domain.Token{}, invalidRequest("The form field client_secret is required for grant_type=client_credentials (or send HTTP Basic credentials)")
	}
	tok, err := s.svc.LoginClient(r.Context(), req.ClientID, req.ClientSecret)
	return tok, asOAuth(err, "invalid_client")
}

// writeTokenError writes an OAuth2 error with both error styles.
func (s *Server) writeTokenError(w http.ResponseWriter, r *http.Request, err error) {
	te, ok := err.(*tokenError)
	if !ok {
		// Throttled, Unavailable and internal errors keep their usual mapping.
		s.writeError(w, r, err)
		return
	}
	if te.status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", "Bearer")
	}
	writeJSON(w, te.status, tokenErrorBody{Detail: te.description, Error: te.code, ErrorDescription: te.description})
}
