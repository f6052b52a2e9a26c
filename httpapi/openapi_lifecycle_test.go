package httpapi

import (
	"io"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/nmdc-runtime/server/domain"
)

// TestLifecycleResponsesMatchOpenAPI runs the account and credential
// lifecycle (users, passwords, share links, allowances, site admins, site
// clients, capabilities), its successes and its usual mistakes, and checks
// every answer against the document, as TestResponsesMatchOpenAPI does.
// The documented request examples are sent as they are.
func TestLifecycleResponsesMatchOpenAPI(t *testing.T) {
	srv, store := startTestAPIStore(t)
	doc := strictResponses(servedDocument(t, srv.URL))
	run := func(s step) testResponse {
		t.Helper()
		return runStep(t, srv.URL, doc, s)
	}
	bearer := func(tok string) []string {
		return []string{"Authorization", "Bearer " + tok, "Content-Type", "application/json"}
	}
	// openShare opens a share_url once (200), then again (410).
	openShare := func(name, shareURL string) shareOut {
		t.Helper()
		u, err := url.Parse(shareURL)
		if err != nil || u.Host == "" {
			t.Fatalf("%s: share_url %q is not an absolute URL", name, shareURL)
		}
		out := decode[shareOut](t, run(step{name + ": open the link", "GET", u.Path, "/share/{token}", "", nil, 200}))
		run(step{name + ": open the link again", "GET", u.Path, "/share/{token}", "", nil, 410})
		return out
	}
	asAdmin := bearer(login(t, srv.URL, testAdmin, testAdminPassword))

	// Users: alice administers alice-lab; bob is the documented example.
	run(step{"create alice", "POST", "/users", "/users", `{"username":"alice","password":"alice-password"}`, asAdmin, 201})
	asAlice := bearer(login(t, srv.URL, "alice", "alice-password"))
	run(step{"create alice-lab", "POST", "/sites", "/sites", `{"id":"alice-lab"}`, asAlice, 201})
	run(step{"create the example user", "POST", "/users", "/users", exampleBody(t, doc, "UserIn"), asAdmin, 201})
	bobPassword := doc.Components.Schemas["UserIn"].Value.Properties["password"].Value.Example.(string)
	bob := login(t, srv.URL, "bob_the_bioinformatician", bobPassword)
	cred := decode[credentialsOut](t, run(step{"generate credentials", "POST", "/sites/alice-lab:generateCredentials", "/sites/{site_id}:generateCredentials", "", asAlice, 200}))
	if cred.ClientSecret == "" || cred.ShareURL != "" {
		t.Fatalf("generateCredentials without share: %+v", cred)
	}
	asClient := bearer(clientLogin(t, srv.URL, cred))

	// A user without a password gets it by a one-time link.
	carol := decode[createdUserOut](t, run(step{"create carol without a password", "POST", "/users", "/users", `{"username":"carol"}`, asAdmin, 201}))
	if carol.ShareURL == "" || carol.ShareExpiresAt == nil {
		t.Fatalf("no share_url for a generated password: %+v", carol)
	}
	shared := openShare("carol's password", carol.ShareURL)
	if shared.Kind != domain.ShareUserPassword || shared.Username != "carol" || shared.Password == "" {
		t.Fatalf("carol's link shows %+v", shared)
	}
	login(t, srv.URL, "carol", shared.Password)
	run(step{"a share link that never existed", "GET", "/share/no-such-link", "/share/{token}", "", nil, 404})

	// Change my password, with the documented example.
	for _, s := range []step{
		{"change password: wrong current", "POST", "/users/me:changePassword", "/users/me:changePassword", `{"current_password":"not my password","new_password":"a fine new password"}`, bearer(bob), 403},
		{"change password: too short", "POST", "/users/me:changePassword", "/users/me:changePassword", `{"current_password":"` + bobPassword + `","new_password":"short"}`, bearer(bob), 422},
		{"change password: unchanged", "POST", "/users/me:changePassword", "/users/me:changePassword", `{"current_password":"` + bobPassword + `","new_password":"` + bobPassword + `"}`, bearer(bob), 422},
		{"change password: unknown field", "POST", "/users/me:changePassword", "/users/me:changePassword", `{"password":"x"}`, bearer(bob), 422},
		{"change password: a site client", "POST", "/users/me:changePassword", "/users/me:changePassword", `{"current_password":"x","new_password":"a fine new password"}`, asClient, 403},
		{"change password: no token", "POST", "/users/me:changePassword", "/users/me:changePassword", `{}`, nil, 401},
	} {
		run(s)
	}
	fresh := decode[tokenResponse](t, run(step{"change password (example)", "POST", "/users/me:changePassword", "/users/me:changePassword", exampleBody(t, doc, "PasswordChange"), bearer(bob), 200}))
	run(step{"the old token is refused", "GET", "/users/me", "/users/me", "", bearer(bob), 401})
	run(step{"the fresh token works", "GET", "/users/me", "/users/me", "", bearer(fresh.AccessToken), 200})

	// Update, list and get users.
	for _, s := range []step{
		{"update a user (example)", "PUT", "/users", "/users", exampleBody(t, doc, "UserUpdate"), asAdmin, 200},
		{"update: clear the email", "PUT", "/users", "/users", `{"username":"carol","email":"","full_name":null}`, asAdmin, 200},
		{"update: no username", "PUT", "/users", "/users", `{"disabled":true}`, asAdmin, 422},
		{"update: bad email", "PUT", "/users", "/users", `{"username":"carol","email":"not an address"}`, asAdmin, 422},
		{"update: no such user", "PUT", "/users", "/users", `{"username":"nobody","disabled":true}`, asAdmin, 404},
		{"update: disable myself", "PUT", "/users", "/users", `{"username":"` + testAdmin + `","disabled":true}`, asAdmin, 409},
		{"update: by a non-admin", "PUT", "/users", "/users", `{"username":"carol","disabled":true}`, asAlice, 403},
		{"update: not JSON", "PUT", "/users", "/users", `username=carol`, []string{"Authorization", asAdmin[1], "Content-Type", "text/plain"}, 415},
		{"list users", "GET", "/admin/users", "/admin/users", "", asAdmin, 200},
		{"list users: bad page token", "GET", "/admin/users?page_token=%21", "/admin/users", "", asAdmin, 422},
		{"list users: by a non-admin", "GET", "/admin/users", "/admin/users", "", asAlice, 403},
		{"get a user", "GET", "/admin/users/carol", "/admin/users/{username}", "", asAdmin, 200},
		{"get a user: none such", "GET", "/admin/users/nobody", "/admin/users/{username}", "", asAdmin, 404},
		{"get a user: by a non-admin", "GET", "/admin/users/carol", "/admin/users/{username}", "", asAlice, 403},
	} {
		run(s)
	}
	page := decode[listOut[userOut]](t, run(step{"list users, one a page", "GET", "/admin/users?max_page_size=1", "/admin/users", "", asAdmin, 200}))
	if len(page.Resources) != 1 || page.NextPageToken == nil {
		t.Fatalf("first page of users: %+v", page)
	}
	run(step{"list users, next page", "GET", "/admin/users?max_page_size=1&page_token=" + url.QueryEscape(*page.NextPageToken), "/admin/users", "", asAdmin, 200})

	// Reset a password: a new one by link; the user's tokens are refused.
	carolToken := login(t, srv.URL, "carol", shared.Password)
	reset := decode[resetOut](t, run(step{"reset a password", "POST", "/users/carol:resetPassword", "/users/{username}:resetPassword", "", asAdmin, 200}))
	run(step{"the reset user's token is refused", "GET", "/users/me", "/users/me", "", bearer(carolToken), 401})
	if shared := openShare("carol's new password", reset.ShareURL); shared.Username != "carol" || shared.Password == "" {
		t.Fatalf("the reset link shows %+v", shared)
	}
	run(step{"reset: no such user", "POST", "/users/nobody:resetPassword", "/users/{username}:resetPassword", "", asAdmin, 404})
	run(step{"reset: by a non-admin", "POST", "/users/carol:resetPassword", "/users/{username}:resetPassword", "", asAlice, 403})

	// Allowances (the bootstrap admin holds them all).
	for _, s := range []step{
		{"grant an allowance (example)", "POST", "/admin/allowances", "/admin/allowances", exampleBody(t, doc, "AllowanceIn"), asAdmin, 201},
		{"grant it again", "POST", "/admin/allowances", "/admin/allowances", exampleBody(t, doc, "AllowanceIn"), asAdmin, 409},
		{"grant: no such user", "POST", "/admin/allowances", "/admin/allowances", `{"username":"nobody","action":"/wf_file_staging"}`, asAdmin, 404},
		{"grant: unknown action", "POST", "/admin/allowances", "/admin/allowances", `{"username":"carol","action":"/everything"}`, asAdmin, 422},
		{"grant: by a non-holder", "POST", "/admin/allowances", "/admin/allowances", `{"username":"carol","action":"/wf_file_staging"}`, asAlice, 403},
		{"list allowances", "GET", "/admin/allowances?max_page_size=2", "/admin/allowances", "", asAdmin, 200},
		{"list allowances of a user", "GET", "/admin/allowances?username=bob_the_bioinformatician", "/admin/allowances", "", asAdmin, 200},
		{"list allowances of an action", "GET", "/admin/allowances?action=" + url.QueryEscape(domain.ActionSubmitJSON), "/admin/allowances", "", asAdmin, 200},
		{"list allowances: unknown action", "GET", "/admin/allowances?action=bogus", "/admin/allowances", "", asAdmin, 422},
		{"list allowances: by a non-holder", "GET", "/admin/allowances", "/admin/allowances", "", asAlice, 403},
		{"list actions", "GET", "/admin/allowances/actions", "/admin/allowances/actions", "", asAdmin, 200},
		{"list actions: by a non-holder", "GET", "/admin/allowances/actions", "/admin/allowances/actions", "", asClient, 403},
		{"revoke an allowance", "DELETE", "/admin/allowances?username=bob_the_bioinformatician&action=" + url.QueryEscape(domain.ActionSubmitJSON), "/admin/allowances", "", asAdmin, 204},
		{"revoke it again", "DELETE", "/admin/allowances?username=bob_the_bioinformatician&action=" + url.QueryEscape(domain.ActionSubmitJSON), "/admin/allowances", "", asAdmin, 404},
		{"revoke: no action", "DELETE", "/admin/allowances?username=carol", "/admin/allowances", "", asAdmin, 422},
		{"revoke: by a non-holder", "DELETE", "/admin/allowances?username=carol&action=x", "/admin/allowances", "", asAlice, 403},
	} {
		run(s)
	}

	// Site admins.
	for _, s := range []step{
		{"list site admins", "GET", "/sites/alice-lab/admins", "/sites/{site_id}/admins", "", asAlice, 200},
		{"list site admins: not an admin", "GET", "/sites/alice-lab/admins", "/sites/{site_id}/admins", "", asAdmin, 403},
		{"list site admins: a site client", "GET", "/sites/alice-lab/admins", "/sites/{site_id}/admins", "", asClient, 403},
		{"list site admins: no such site", "GET", "/sites/nope/admins", "/sites/{site_id}/admins", "", asAlice, 404},
		{"add a site admin (example)", "POST", "/sites/alice-lab/admins", "/sites/{site_id}/admins", exampleBody(t, doc, "SiteAdminIn"), asAlice, 201},
		{"add them again", "POST", "/sites/alice-lab/admins", "/sites/{site_id}/admins", exampleBody(t, doc, "SiteAdminIn"), asAlice, 409},
		{"add: no such user", "POST", "/sites/alice-lab/admins", "/sites/{site_id}/admins", `{"username":"nobody"}`, asAlice, 404},
		{"add: no username", "POST", "/sites/alice-lab/admins", "/sites/{site_id}/admins", `{}`, asAlice, 422},
		{"add: not an admin", "POST", "/sites/alice-lab/admins", "/sites/{site_id}/admins", `{"username":"carol"}`, asAdmin, 403},
		{"remove a site admin", "DELETE", "/sites/alice-lab/admins/bob_the_bioinformatician", "/sites/{site_id}/admins/{username}", "", asAlice, 204},
		{"remove them again", "DELETE", "/sites/alice-lab/admins/bob_the_bioinformatician", "/sites/{site_id}/admins/{username}", "", asAlice, 404},
		{"remove the last admin", "DELETE", "/sites/alice-lab/admins/alice", "/sites/{site_id}/admins/{username}", "", asAlice, 409},
		{"remove: not an admin", "DELETE", "/sites/alice-lab/admins/alice", "/sites/{site_id}/admins/{username}", "", asAdmin, 403},
	} {
		run(s)
	}

	// Site clients: by link, listed, rotated, set, deleted.
	linked := decode[credentialsOut](t, run(step{"generate credentials by link", "POST", "/sites/alice-lab:generateCredentials?share=true", "/sites/{site_id}:generateCredentials", "", asAlice, 200}))
	if linked.ClientSecret != "" || linked.ShareURL == "" {
		t.Fatalf("generateCredentials?share=true: %+v", linked)
	}
	if s := openShare("a client secret", linked.ShareURL); s.Kind != domain.ShareClientSecret || s.ClientID != linked.ClientID || s.SiteID != "alice-lab" || s.ClientSecret == "" {
		t.Fatalf("the client link shows %+v", s)
	}
	clients := decode[listOut[siteClientOut]](t, run(step{"list site clients, one a page", "GET", "/sites/alice-lab/clients?max_page_size=1", "/sites/{site_id}/clients", "", asAlice, 200}))
	if len(clients.Resources) != 1 || clients.Resources[0].ID != cred.ClientID || clients.Resources[0].LastUsedAt == nil || clients.NextPageToken == nil {
		t.Fatalf("first page of clients: %+v", clients)
	}
	rotated := decode[credentialsOut](t, run(step{"rotate a secret", "POST", "/sites/alice-lab/clients/" + cred.ClientID + ":rotateSecret", "/sites/{site_id}/clients/{client_id}:rotateSecret", "", asAlice, 200}))
	if rotated.ClientID != cred.ClientID || rotated.ClientSecret == "" || rotated.ClientSecret == cred.ClientSecret {
		t.Fatalf("rotateSecret: %+v", rotated)
	}
	myClient := "/sites/alice-lab/clients/" + cred.ClientID
	for _, s := range []step{
		{"list site clients, next page", "GET", "/sites/alice-lab/clients?max_page_size=1&page_token=" + url.QueryEscape(*clients.NextPageToken), "/sites/{site_id}/clients", "", asAlice, 200},
		{"list site clients: bad page size", "GET", "/sites/alice-lab/clients?max_page_size=1001", "/sites/{site_id}/clients", "", asAlice, 422},
		{"list site clients: not an admin", "GET", "/sites/alice-lab/clients", "/sites/{site_id}/clients", "", asAdmin, 403},
		{"list site clients: no such site", "GET", "/sites/nope/clients", "/sites/{site_id}/clients", "", asAlice, 404},
		{"the rotated client's token is refused", "GET", "/users/me", "/users/me", "", asClient, 401},
		{"rotate a secret by link", "POST", myClient + ":rotateSecret?share=true", "/sites/{site_id}/clients/{client_id}:rotateSecret", "", asAlice, 200},
		{"rotate: bad share", "POST", myClient + ":rotateSecret?share=maybe", "/sites/{site_id}/clients/{client_id}:rotateSecret", "", asAlice, 422},
		{"rotate: no such client", "POST", "/sites/alice-lab/clients/sys0nope:rotateSecret", "/sites/{site_id}/clients/{client_id}:rotateSecret", "", asAlice, 404},
		{"rotate: not an admin", "POST", myClient + ":rotateSecret", "/sites/{site_id}/clients/{client_id}:rotateSecret", "", asAdmin, 403},
		{"generate: bad share", "POST", "/sites/alice-lab:generateCredentials?share=maybe", "/sites/{site_id}:generateCredentials", "", asAlice, 422},
		{"set a secret (example)", "PATCH", "/admin/site_clients/" + cred.ClientID, "/admin/site_clients/{site_client_id}", exampleBody(t, doc, "ClientSecretIn"), asAdmin, 200},
		{"set nothing", "PATCH", "/admin/site_clients/" + cred.ClientID, "/admin/site_clients/{site_client_id}", `{}`, asAdmin, 204},
		{"set a null secret", "PATCH", "/admin/site_clients/" + cred.ClientID, "/admin/site_clients/{site_client_id}", `{"secret":null}`, asAdmin, 204},
		{"set: too short", "PATCH", "/admin/site_clients/" + cred.ClientID, "/admin/site_clients/{site_client_id}", `{"secret":"short"}`, asAdmin, 422},
		{"set: no such client", "PATCH", "/admin/site_clients/sys0nope", "/admin/site_clients/{site_client_id}", `{"secret":"a long enough secret"}`, asAdmin, 404},
		{"set: by a non-holder", "PATCH", "/admin/site_clients/" + cred.ClientID, "/admin/site_clients/{site_client_id}", `{"secret":"a long enough secret"}`, asAlice, 403},
		{"delete a client: not an admin", "DELETE", myClient, "/sites/{site_id}/clients/{client_id}", "", asAdmin, 403},
		{"delete a client", "DELETE", myClient, "/sites/{site_id}/clients/{client_id}", "", asAlice, 204},
		{"delete it again", "DELETE", myClient, "/sites/{site_id}/clients/{client_id}", "", asAlice, 404},
	} {
		run(s)
	}

	// Several Authorization headers: a 400 that every operation with a
	// login documents.
	req, err := http.NewRequestWithContext(t.Context(), "GET", srv.URL+"/admin/users", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Add("Authorization", asAdmin[1])
	req.Header.Add("Authorization", asAdmin[1])
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("two Authorization headers: %d %s %v", resp.StatusCode, body, err)
	}
	checkResponse(t, doc, "GET", "/admin/users", testResponse{Status: resp.StatusCode, Header: resp.Header, Body: body})

	// Capabilities: none are seeded and the API makes none.
	if err := store.CreateCapability(t.Context(), domain.Capability{ID: "gpu", Name: "GPU", CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	for _, s := range []step{
		{"list capabilities", "GET", "/capabilities", "/capabilities", "", nil, 200},
		{"list capabilities: bad page size", "GET", "/capabilities?max_page_size=x", "/capabilities", "", nil, 422},
		{"get a capability", "GET", "/capabilities/gpu", "/capabilities/{capability_id}", "", nil, 200},
		{"get a capability: none such", "GET", "/capabilities/nope", "/capabilities/{capability_id}", "", nil, 404},
	} {
		run(s)
	}
}

// clientLogin returns an access token for a site client.
func clientLogin(t *testing.T, api string, c credentialsOut) string {
	t.Helper()
	r := call(t, "POST", api+"/token", "grant_type=client_credentials&client_id="+c.ClientID+"&client_secret="+c.ClientSecret,
		"Content-Type", "application/x-www-form-urlencoded")
	if r.Status != 200 {
		t.Fatalf("client login %s: %d %s", c.ClientID, r.Status, r.Body)
	}
	return decode[tokenResponse](t, r).AccessToken
}
