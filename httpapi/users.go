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

// createdUserOut is the 201 of POST /users: the user, plus, when the
// server generated the password, the one-time link that reveals it.
type createdUserOut struct {
	userOut
	ShareURL       string  `json:"share_url,omitempty"`
	ShareExpiresAt *string `json:"share_expires_at,omitempty"`
}

// createUser is POST /users. Without a password the server generates one
// and answers with share_url, a one-time link that reveals it.
func (s *Server) createUser(w http.ResponseWriter, r *http.Request, p domain.Principal) error {
	var in userIn
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	u, share, err := s.svc.CreateUser(r.Context(), p, domain.NewUser(in))
	if err != nil {
		return err
	}
	out := createdUserOut{userOut: newUserOut(u)}
	if share != nil {
		out.ShareURL, out.ShareExpiresAt = s.shareURL(r, share)
	}
	writeJSON(w, http.StatusCreated, out)
	return nil
}

// userUpdateIn is the body of PUT /users: absent (or null) fields stay as
// they are; site_admin replaces the whole list.
type userUpdateIn struct {
	Username  string    `json:"username"`
	Email     *string   `json:"email"`
	FullName  *string   `json:"full_name"`
	SiteAdmin *[]string `json:"site_admin"`
	Disabled  *bool     `json:"disabled"`
	Password  *string   `json:"password"`
}

// updateUser is PUT /users.
func (s *Server) updateUser(w http.ResponseWriter, r *http.Request, p domain.Principal) error {
	var in userUpdateIn
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	u, err := s.svc.UpdateUser(r.Context(), p, domain.UserUpdate(in))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newUserOut(u))
	return nil
}

// listUsers is GET /admin/users.
func (s *Server) listUsers(w http.ResponseWriter, r *http.Request, p domain.Principal) error {
	size, tok, err := pageParams(r)
	if err != nil {
		return err
	}
	page, err := s.svc.ListUsers(r.Context(), p, size, tok)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newListOut(page, newUserOut))
	return nil
}

// getUser is GET /admin/users/{username}.
func (s *Server) getUser(w http.ResponseWriter, r *http.Request, p domain.Principal) error {
	u, err := s.svc.GetUser(r.Context(), p, r.PathValue("username"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newUserOut(u))
	return nil
}

// userMethods are the custom methods of POST /users/{username}:verb.
var userMethods = map[string]verbFunc{
	"changePassword": (*Server).changePassword,
	"resetPassword":  (*Server).resetPassword,
}

type changePasswordIn struct {
	CurrentPassword string `json:"current_password"`
	NewPassword     string `json:"new_password"`
}

// changePassword is POST /users/me:changePassword. It answers with a fresh
// token (the POST /token shape): every earlier token of the user is
// refused from now on.
func (s *Server) changePassword(w http.ResponseWriter, r *http.Request, p domain.Principal, who string) error {
	if who != "me" {
		return domain.Errorf(domain.NotFound, "Not Found: a user changes their own password with POST /users/me:changePassword; runtime admins set others' with PUT /users or POST /users/{username}:resetPassword")
	}
	var in changePasswordIn
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	tok, err := s.svc.ChangePassword(r.Context(), p, in.CurrentPassword, in.NewPassword)
	if err != nil {
		return err
	}
	writeToken(w, tok)
	return nil
}

// resetOut is the answer of :resetPassword.
type resetOut struct {
	Username       string  `json:"username"`
	ShareURL       string  `json:"share_url"`
	ShareExpiresAt *string `json:"share_expires_at"`
}

// resetPassword is POST /users/{username}:resetPassword.
func (s *Server) resetPassword(w http.ResponseWriter, r *http.Request, p domain.Principal, username string) error {
	if err := noBody(w, r); err != nil {
		return err
	}
	u, share, err := s.svc.ResetPassword(r.Context(), p, username)
	if err != nil {
		return err
	}
	out := resetOut{Username: u.Username}
	out.ShareURL, out.ShareExpiresAt = s.shareURL(r, share)
	writeJSON(w, http.StatusOK, out)
	return nil
}
