package httpapi

import (
	"net/http"
	"time"

	"github.com/nmdc-runtime/server/domain"
)

// siteClientOut is the public view of a site client: never its secret or
// hash. last_used_at is null until the client first logs in.
type siteClientOut struct {
	ID         string  `json:"id"`
	SiteID     string  `json:"site_id"`
	CreatedAt  string  `json:"created_at"`
	CreatedBy  string  `json:"created_by"`
	LastUsedAt *string `json:"last_used_at"`
}

func newSiteClientOut(c domain.SiteClient) siteClientOut {
	out := siteClientOut{ID: c.ID, SiteID: c.SiteID, CreatedAt: timeText(c.CreatedAt), CreatedBy: c.CreatedBy}
	if !c.LastUsedAt.IsZero() {
		t := timeText(c.LastUsedAt)
		out.LastUsedAt = &t
	}
	return out
}

func timeText(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// whole wraps a complete list in the list shape.
func whole[I, O any](items []I, conv func(I) O) listOut[O] {
	return newListOut(domain.Page[I]{Items: items}, conv)
}

// listSiteClients is GET /sites/{site_id}/clients, in creation order,
// paged with max_page_size and page_token.
func (s *Server) listSiteClients(w http.ResponseWriter, r *http.Request, p domain.Principal) error {
	size, tok, err := pageParams(r)
	if err != nil {
		return err
	}
	page, err := s.svc.ListSiteClients(r.Context(), p, r.PathValue("site_id"), size, tok)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newListOut(page, newSiteClientOut))
	return nil
}

// deleteSiteClient is DELETE /sites/{site_id}/clients/{client_id}.
func (s *Server) deleteSiteClient(w http.ResponseWriter, r *http.Request, p domain.Principal) error {
	if err := s.svc.DeleteSiteClient(r.Context(), p, r.PathValue("site_id"), r.PathValue("client_id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// clientMethods are the custom methods of
// POST /sites/{site_id}/clients/{client_id}:verb.
var clientMethods = map[string]verbFunc{
	"rotateSecret": (*Server).rotateSecret,
}

// rotateSecret is POST /sites/{site_id}/clients/{client_id}:rotateSecret
// [?share=true]: a new generated secret, shown once (or by link); the
// client's earlier tokens are refused.
func (s *Server) rotateSecret(w http.ResponseWriter, r *http.Request, p domain.Principal, clientID string) error {
	if err := noBody(w, r); err != nil {
		return err
	}
	share, err := shareParam(r)
	if err != nil {
		return err
	}
	c, issued, err := s.svc.RotateSecret(r.Context(), p, r.PathValue("site_id"), clientID, share)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s.newCredentialsOut(r, c, issued))
	return nil
}

type clientSecretIn struct {
	Secret *string `json:"secret"`
}

// patchedClientOut keeps the existing deployment's "message" beside the
// client's public view.
type patchedClientOut struct {
	siteClientOut
	Message string `json:"message"`
}

// patchSiteClient is PATCH /admin/site_clients/{site_client_id}: set a
// user-chosen secret. A body that changes nothing ({} or a null secret)
// is a 204, as in the existing deployment.
func (s *Server) patchSiteClient(w http.ResponseWriter, r *http.Request, p domain.Principal) error {
	var in clientSecretIn
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	id := r.PathValue("site_client_id")
	if in.Secret == nil {
		// Still answer 403/404 as a change would, so 204 means "allowed, exists".
		if _, err := s.svc.GetSiteClient(r.Context(), p, id); err != nil {
			return err
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
	c, err := s.svc.SetClientSecret(r.Context(), p, id, *in.Secret)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, patchedClientOut{siteClientOut: newSiteClientOut(c), Message: "Secret updated for site client " + c.ID + "; its earlier tokens are refused"})
	return nil
}
