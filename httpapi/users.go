package httpapi

import (
	"net/http"

	"github.com/nmdc-runtime/server/domain"
)

// userOut is a user on the wire, as the existing deployment shows it.
// SiteID is set only for the ephemeral user of a site client.
type userOut struct {
	Username  string   `json:"username"`
	Email     *string  `json:"email"`
	FullName  *string  `json:"full_name"`
	SiteAdmin []string `json:"site_admin"`
	Disabled  bool     `json:"disabled"`
	SiteID    string   `json:"site_id,omitempty"`
}

func newUserOut(u domain.User) userOut {
	out := userOut{Username: u.Username, SiteAdmin: u.SiteAdmin, Disabled: u.Disabled}
	if out.SiteAdmin == nil {
		out.SiteAdmin = []string{}
	}
	if u.Email != "" {
		out.Email = &u.Email
	}
	if u.FullName != "" {
		out.FullName = &u.FullName
	}
	return out
}

type userIn struct {
	Username  string   `json:"username"`
	Password  string   `json:"password"`
	Email     string   `json:"email"`
	FullName  string   `json:"full_name"`
	SiteAdmin []string `json:"site_admin"`
	Disabled  bool     `json:"disabled"`
}

// getMe is GET /users/me: the user, or for a site client an ephemeral user
// named after the client with the site it acts for.
func (s *Server) getMe(w http.ResponseWriter, r *http.Request, p domain.Principal) error {
	if p.Client != nil {
		writeJSON(w, http.StatusOK, userOut{Username: p.Client.ID, SiteAdmin: []string{}, SiteID: p.Client.SiteID})
		return nil
	}
	writeJSON(w, http.StatusOK, newUserOut(*p.User))
	return nil
}

// createUser is POST /users.
func (s *Server) createUser(w http.ResponseWriter, r *http.Request, p domain.Principal) error {
	var in userIn
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	u, err := s.svc.CreateUser(r.Context(), p, domain.NewUser(in))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, newUserOut(u))
	return nil
}
