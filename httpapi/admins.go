package httpapi

import (
	"net/http"

	"github.com/nmdc-runtime/server/domain"
)

// siteAdminOut is one admin of a site.
type siteAdminOut struct {
	SiteID   string `json:"site_id"`
	Username string `json:"username"`
}

type siteAdminIn struct {
	Username string `json:"username"`
}

// listSiteAdmins is GET /sites/{site_id}/admins.
func (s *Server) listSiteAdmins(w http.ResponseWriter, r *http.Request, p domain.Principal) error {
	site := r.PathValue("site_id")
	names, err := s.svc.ListSiteAdmins(r.Context(), p, site)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, whole(names, func(n string) siteAdminOut { return siteAdminOut{SiteID: site, Username: n} }))
	return nil
}

// addSiteAdmin is POST /sites/{site_id}/admins.
func (s *Server) addSiteAdmin(w http.ResponseWriter, r *http.Request, p domain.Principal) error {
	var in siteAdminIn
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	site := r.PathValue("site_id")
	if err := s.svc.AddSiteAdmin(r.Context(), p, site, in.Username); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, siteAdminOut{SiteID: site, Username: in.Username})
	return nil
}

// removeSiteAdmin is DELETE /sites/{site_id}/admins/{username}.
func (s *Server) removeSiteAdmin(w http.ResponseWriter, r *http.Request, p domain.Principal) error {
	if err := s.svc.RemoveSiteAdmin(r.Context(), p, r.PathValue("site_id"), r.PathValue("username")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
