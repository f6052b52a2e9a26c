package httpapi

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/nmdc-runtime/server/domain"
)

type siteOut struct {
	ID            string   `json:"id"`
	CapabilityIDs []string `json:"capability_ids"`
}

func newSiteOut(s domain.Site) siteOut {
	out := siteOut{ID: s.ID, CapabilityIDs: s.CapabilityIDs}
	if out.CapabilityIDs == nil {
		out.CapabilityIDs = []string{}
	}
	return out
}

type siteIn struct {
	ID            string   `json:"id"`
	CapabilityIDs []string `json:"capability_ids"`
}

type listOut[T any] struct {
	Resources     []T     `json:"resources"`
	NextPageToken *string `json:"next_page_token"`
}

func newListOut[I, O any](p domain.Page[I], conv func(I) O) listOut[O] {
	out := listOut[O]{Resources: make([]O, 0, len(p.Items))}
	for _, it := range p.Items {
		out.Resources = append(out.Resources, conv(it))
	}
	if p.NextPageToken != "" {
		out.NextPageToken = &p.NextPageToken
	}
	return out
}

// pageParams reads max_page_size and page_token.
func pageParams(r *http.Request) (int, string, error) {
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return 0, "", domain.InvalidFields(domain.FieldError{Loc: []string{"query"}, Msg: "the query string is not valid URL encoding", Type: "value_error"})
	}
	for _, k := range []string{"max_page_size", "page_token"} {
		if len(q[k]) > 1 {
			return 0, "", domain.InvalidFields(domain.FieldError{Loc: []string{"query", k}, Msg: k + " is given more than once", Type: "value_error"})
		}
	}
	size := 0
	if v := q.Get("max_page_size"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return 0, "", domain.InvalidFields(domain.FieldError{Loc: []string{"query", "max_page_size"}, Msg: "max_page_size must be an integer between 1 and 1000", Type: "type_error.integer"})
		}
		if n < 1 {
			n = -1 // out of range either way; let the service name the rule
		}
		size = n
	}
	return size, q.Get("page_token"), nil
}

type credentialsOut struct {
	ClientID     string `json:"client_id"`
	ClientSecret string `json:"client_secret"`
}

// createSite is POST /sites.
func (s *Server) createSite(w http.ResponseWriter, r *http.Request, p domain.Principal) error {
	var in siteIn
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	site, err := s.svc.CreateSite(r.Context(), p, domain.NewSite(in))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, newSiteOut(site))
	return nil
}

// listSites is GET /sites.
func (s *Server) listSites(w http.ResponseWriter, r *http.Request) error {
	size, tok, err := pageParams(r)
	if err != nil {
		return err
	}
	page, err := s.svc.ListSites(r.Context(), size, tok)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newListOut(page, newSiteOut))
	return nil
}

// getSite is GET /sites/{site_id}.
func (s *Server) getSite(w http.ResponseWriter, r *http.Request) error {
	site, err := s.svc.GetSite(r.Context(), r.PathValue("site_id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newSiteOut(site))
	return nil
}

// siteActions are the custom methods on a site (AIP-136 style
// "/sites/{id}:verb"). The verb follows the last ':'; new site ids never
// contain one.
var siteActions = map[string]func(*Server, http.ResponseWriter, *http.Request, domain.Principal, string) error{
	"generateCredentials": (*Server).generateCredentials,
}

// siteAction is POST /sites/{site_id}:{verb}.
func (s *Server) siteAction(w http.ResponseWriter, r *http.Request) error {
	seg := r.PathValue("site_action")
	i := strings.LastIndexByte(seg, ':')
	if i <= 0 {
		return domain.Errorf(domain.NotFound, "Not Found: to act on a site, POST /sites/{site_id}:generateCredentials")
	}
	action, ok := siteActions[seg[i+1:]]
	if !ok {
		return domain.Errorf(domain.NotFound, "Not Found: unknown site action %q", truncate(seg[i+1:], 50))
	}
	return s.authed(func(w http.ResponseWriter, r *http.Request, p domain.Principal) error {
		return action(s, w, r, p, seg[:i])
	})(w, r)
}

// generateCredentials is POST /sites/{site_id}:generateCredentials.
func (s *Server) generateCredentials(w http.ResponseWriter, r *http.Request, p domain.Principal, siteID string) error {
	c, secret, err := s.svc.GenerateCredentials(r.Context(), p, siteID)
	if err != nil {
		return err
	}
	w.Header().Set("Pragma", "no-cache")
	writeJSON(w, http.StatusOK, credentialsOut{ClientID: c.ID, ClientSecret: secret})
	return nil
}
