package httpapi

import (
	"net/http"
	"strconv"

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
	q, err := queryValues(r)
	if err != nil {
		return 0, "", err
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

// credentialsOut is a newly generated client secret: given directly as
// {client_id, client_secret} (the existing deployment's shape), or, when
// asked with ?share=true, as {client_id, share_url, share_expires_at}.
type credentialsOut struct {
	ClientID       string  `json:"client_id"`
	ClientSecret   string  `json:"client_secret,omitempty"`
	ShareURL       string  `json:"share_url,omitempty"`
	ShareExpiresAt *string `json:"share_expires_at,omitempty"`
}

func (s *Server) newCredentialsOut(r *http.Request, c domain.SiteClient, issued domain.IssuedSecret) credentialsOut {
	out := credentialsOut{ClientID: c.ID, ClientSecret: issued.Secret}
	if issued.Share != nil {
		out.ShareURL, out.ShareExpiresAt = s.shareURL(r, issued.Share)
	}
	return out
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

// siteMethods are the custom methods of POST /sites/{site_id}:verb.
var siteMethods = map[string]verbFunc{
	"generateCredentials": (*Server).generateCredentials,
}

// generateCredentials is POST /sites/{site_id}:generateCredentials
// [?share=true].
func (s *Server) generateCredentials(w http.ResponseWriter, r *http.Request, p domain.Principal, siteID string) error {
	if err := noBody(w, r); err != nil {
		return err
	}
	share, err := shareParam(r)
	if err != nil {
		return err
	}
	c, issued, err := s.svc.GenerateCredentials(r.Context(), p, siteID, share)
	if err != nil {
		return err
	}
	w.Header().Set("Pragma", "no-cache")
	writeJSON(w, http.StatusOK, s.newCredentialsOut(r, c, issued))
	return nil
}
