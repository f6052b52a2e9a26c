package httpapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/nmdc-runtime/server/domain"
)

// The OpenAPI document served at GET /openapi.json is built from the
// tables in this file: operations (one entry per route of routes()) and
// schemas (one entry per wire struct). doc.go says how to extend them.

// Tags group the operations on the docs page, in this order.
const (
	tagUsers  = "user accounts"
	tagSites  = "sites and credentials"
	tagSystem = "system"
)

var tags = []tagDoc{
	{Name: tagUsers, Description: "Log in; manage user accounts, passwords and allowances; open one-time share links."},
	{Name: tagSites, Description: "Sites own resources; their admins manage its admins and generate, rotate and delete site-client credentials that act for the site."},
	{Name: tagSystem, Description: "Health and version of this server."},
}

// securityScheme is the name of the one OAuth2 scheme: its password flow
// is "User login" and its clientCredentials flow "Site client login" on
// the docs page.
const securityScheme = "login"

// operation documents one route. Body and Response are zero values of wire
// structs listed in schemas.
type operation struct {
	// Route is the routes() pattern, except for custom verbs dispatched
	// from one route, which are written out: "POST /sites/{site_id}:generateCredentials".
	Route       string
	ID          string
	Tag         string
	Summary     string
	Description string
	// Login: the caller sends an access token; the operation declares
	// the OAuth2 scheme and answers 401 without a valid one.
	Login bool
	Query []*parameter
	// Body is the JSON request body; FormBody names a schema for an
	// application/x-www-form-urlencoded one.
	Body     any
	FormBody string
	// Status and Response: the success answer. Response is a zero value
	// of a wire struct, the name of a schema written out in schemas, or
	// nil for no body.
	Status   int
	Response any
	// NoContent, when set, says when the operation also succeeds with
	// 204 and no body.
	NoContent string
	// Errors lists the error statuses besides 400 and 401 (which Login
	// adds: several Authorization headers, no valid token) and 500 (every operation's "default"). Each uses the response of
	// errorResponses unless ErrorResponses names another.
	Errors         []int
	ErrorResponses map[int]string
}

// jsonBodyErrors are the errors of decodeJSON: unreadable body, too large,
// wrong content type, invalid or unknown fields.
var jsonBodyErrors = []int{400, 413, 415, 422}

// operations documents every route, in the order the docs page lists
// them within a tag. TestOpenAPIMatchesRoutes fails when a route of
// routes() has no entry here or an entry has no route.
var operations = []operation{
	{
		Route: "POST /token", ID: "login", Tag: tagUsers,
		Summary: "Log in: get an access token",
		Description: "OAuth2 token endpoint (RFC 6749 §4.3, §4.4).\n\n" +
			"* `grant_type=password` with `username` and `password` logs in a user.\n" +
			"* `grant_type=client_credentials` logs in a site client, with `client_id` and `client_secret` " +
			"as form fields **or** as HTTP Basic credentials (form-urlencoded per RFC 6749 §2.3.1, or raw).\n\n" +
			"Send the returned `access_token` as `Authorization: Bearer <token>`. " +
			"Credentials in the query string are refused.",
		FormBody: "TokenRequest",
		Status:   200, Response: tokenResponse{},
		Errors:         []int{400, 401, 413, 429, 503},
		ErrorResponses: map[int]string{400: "TokenBadRequest", 401: "TokenUnauthorized", 413: "TokenTooLarge", 429: "TokenThrottled"},
	},
	{
		Route: "POST /token/revoke", ID: "revokeToken", Tag: tagUsers,
		Summary: "Revoke an access token",
		Description: "Token revocation (RFC 7009): the form field `token` names the access token to revoke; " +
			"`token_type_hint` is optional and ignored. Holding a token is proof enough to revoke it. " +
			"The answer is 200 whether or not the token was known or valid (RFC 7009 §2.2), and a revoked token " +
			"is refused at once by every instance. A malformed request is a 400.",
		FormBody: "RevocationRequest",
		Status:   200, Response: "RevocationResponse",
		Errors:         []int{400, 413, 503},
		ErrorResponses: map[int]string{400: "TokenBadRequest", 413: "TokenTooLarge"},
	},
	{
		Route: "POST /logout", ID: "logout", Tag: tagUsers, Login: true,
		Summary:     "Log out",
		Description: "Revokes the access token that authenticates this request; other tokens of the same user or client keep working.",
		Status:      204,
		Errors:      []int{503},
	},
	{
		Route: "GET /users/me", ID: "getMe", Tag: tagUsers, Login: true,
		Summary: "Who am I",
		Description: "The logged-in user. A site client gets an ephemeral user named after its `client_id`, " +
			"with no `site_admin` and with `site_id`, the site it acts for.",
		Status: 200, Response: userOut{},
		Errors: []int{503},
	},
	{
		Route: "POST /users/me:changePassword", ID: "changePassword", Tag: tagUsers, Login: true,
		Summary: "Change my password",
		Description: "A logged-in user (not a site client) sets a new password, giving the current one. " +
			"Every token issued before is refused from now on, on every device; the answer is a fresh token " +
			"(as from `POST /token`) so that you stay logged in: use it from now on.\n\n" +
			"403 when `current_password` is wrong (nothing is changed) or when called by a site client, " +
			"which rotates its secret instead.",
		Body:   changePasswordIn{},
		Status: 200, Response: tokenResponse{},
		Errors: append([]int{403, 503}, jsonBodyErrors...),
	},
	{
		Route: "POST /users", ID: "createUser", Tag: tagUsers, Login: true,
		Summary: "Create a user",
		Description: "Runtime administrators only (admins of site `" + domain.AdminSiteID + "`).\n\n" +
			"Leave out `password` to have the server generate one: the answer then adds `share_url`, " +
			"a one-time link that shows the password to whoever opens it first, until `share_expires_at`. " +
			"Send the link to the new user instead of a password.",
		Body:   userIn{},
		Status: 201, Response: createdUserOut{},
		Errors: append([]int{403, 409, 503}, jsonBodyErrors...),
	},
	{
		Route: "PUT /users", ID: "updateUser", Tag: tagUsers, Login: true,
		Summary: "Update a user",
		Description: "Runtime administrators only. Names the user by `username` and changes only the fields " +
			"the body gives: an absent or `null` field stays as it is, `\"\"` clears `email` or `full_name`, " +
			"and `site_admin` replaces the whole list.\n\n" +
			"Disabling a user or setting a password refuses every token the user holds. " +
			"409 when you would disable yourself or drop your own `" + domain.AdminSiteID + "` right: " +
			"ask another runtime admin. 409 too when the new `site_admin` list drops an existing site of which " +
			"the user is the only admin (the detail names the site): add another admin to it first.",
		Body:   userUpdateIn{},
		Status: 200, Response: userOut{},
		Errors: append([]int{403, 404, 409, 503}, jsonBodyErrors...),
	},
	{
		Route: "GET /admin/users", ID: "listUsers", Tag: tagUsers, Login: true,
		Summary:     "List users",
		Description: "Runtime administrators only. One page of users, ordered by username.",
		Query:       pageQuery,
		Status:      200, Response: listOut[userOut]{},
		Errors: []int{403, 422, 503},
	},
	{
		Route: "GET /admin/audit", ID: "listAuditEvents", Tag: tagUsers, Login: true,
		Summary: "Read the audit log",
		Description: "Runtime administrators only. One page of audit events, newest first: logins, account, site, " +
			"credential and allowance changes, opened share links and revoked tokens, each with time, actor, target " +
			"and source address (never a secret).",
		Query: append([]*parameter{
			{Name: "actor", Description: "Only events by this actor: `user:<name>`, `client:<id>` or `anonymous`.", Schema: &schema{Type: "string"}, Example: "user:alice_the_admin"},
			{Name: "action", Description: "Only events of this action.", Schema: &schema{Type: "string", Enum: domain.AuditActions}, Example: domain.AuditLoginFailed},
		}, pageQuery...),
		Status: 200, Response: listOut[auditEventOut]{},
		Errors: []int{403, 422, 503},
	},
	{
		Route: "GET /admin/users/{username}", ID: "getUser", Tag: tagUsers, Login: true,
		Summary:     "Get a user",
		Description: "Runtime administrators only.",
		Status:      200, Response: userOut{},
		Errors: []int{403, 404, 503},
	},
	{
		Route: "POST /users/{username}:resetPassword", ID: "resetPassword", Tag: tagUsers, Login: true,
		Summary: "Reset a user's password",
		Description: "Runtime administrators only, for a user who forgot their password. The server generates " +
			"a new password, refuses every token the user holds, and answers with `share_url`: a one-time link " +
			"that shows the new password once, until `share_expires_at`. Send the link to the user, " +
			"who then changes the password with `POST /users/me:changePassword`. " +
			"Links sent earlier for this user stop working (410). The call takes no body (422 if one is sent).",
		Status: 200, Response: resetOut{},
		Errors: []int{403, 404, 413, 422, 503},
	},
	{
		Route: "GET /share/{token}", ID: "openShare", Tag: tagUsers,
		Summary: "Open a one-time share link",
		Description: "Shows the password or client secret behind a `share_url`, **once**: afterwards, or once " +
			"it has expired, or once the password or client secret it shows was replaced (or the client deleted), " +
			"the link answers 410 and its secret is erased; ask whoever sent it for a new one. " +
			"No login is needed: the link itself is the credential, so send it only through a channel you trust " +
			"(link-preview robots that fetch URLs use it up). 404 means the link never existed: check that it was copied whole.",
		Status: 200, Response: shareOut{},
		Errors: []int{404, 410, 503},
	},
	{
		Route: "GET /admin/allowances", ID: "listAllowances", Tag: tagUsers, Login: true,
		Summary: "List allowances",
		Description: "Holders of the allowance `" + domain.ActionAdminAllowances + "` only. One page of allowances, " +
			"ordered by username then action, optionally only those of one user or one action.",
		Query: append([]*parameter{
			{Name: "username", Description: "Only the allowances of this user.", Schema: &schema{Type: "string"}},
			{Name: "action", Description: "Only the allowances of this action.", Schema: &schema{Type: "string", Enum: domain.AllActions}},
		}, pageQuery...),
		Status: 200, Response: listOut[allowanceOut]{},
		Errors: []int{403, 422, 503},
	},
	{
		Route: "POST /admin/allowances", ID: "createAllowance", Tag: tagUsers, Login: true,
		Summary: "Grant an allowance",
		Description: "Holders of the allowance `" + domain.ActionAdminAllowances + "` only. Lets an existing user " +
			"perform an action (`GET /admin/allowances/actions` lists them). 404 when the user does not exist, " +
			"409 when the user holds it already.",
		Body:   allowanceIn{},
		Status: 201, Response: allowanceOut{},
		Errors: append([]int{403, 404, 409, 503}, jsonBodyErrors...),
	},
	{
		Route: "DELETE /admin/allowances", ID: "deleteAllowance", Tag: tagUsers, Login: true,
		Summary: "Revoke an allowance",
		Description: "Holders of the allowance `" + domain.ActionAdminAllowances + "` only. Any action name may be " +
			"revoked, also one imported from an earlier deployment. 404 when the user does not hold it; " +
			"409 when it is the last holder of `" + domain.ActionAdminAllowances + "` (no one could grant allowances again).",
		Query: []*parameter{
			{Name: "username", Required: true, Description: "The user who holds the allowance.", Schema: &schema{Type: "string"}, Example: "bob_the_bioinformatician"},
			{Name: "action", Required: true, Description: "The action to revoke.", Schema: &schema{Type: "string"}, Example: domain.ActionSubmitJSON},
		},
		Status: 204,
		Errors: []int{403, 404, 409, 422, 503},
	},
	{
		Route: "GET /admin/allowances/actions", ID: "listActions", Tag: tagUsers, Login: true,
		Summary:     "List the allowance actions",
		Description: "Holders of the allowance `" + domain.ActionAdminAllowances + "` only. The action names an allowance can grant, sorted.",
		Status:      200, Response: "ActionList",
		Errors: []int{403, 503},
	},
	{
		Route: "POST /sites", ID: "createSite", Tag: tagSites, Login: true,
		Summary: "Create a site",
		Description: "Any logged-in user (not a site client) may; the creator becomes an admin of the new site. " +
			"A site id that a runtime admin granted to other users in advance (in their `site_admin`) is reserved " +
			"for them: anyone else gets 403. 409 when the id exists, or differs from an existing one only in " +
			"letter case (`ALICE-LAB` beside `alice-lab`).",
		Body:   siteIn{},
		Status: 201, Response: siteOut{},
		Errors: append([]int{403, 409, 503}, jsonBodyErrors...),
	},
	{
		Route: "GET /sites", ID: "listSites", Tag: tagSites,
		Summary: "List sites",
		Query:   pageQuery,
		Status:  200, Response: listOut[siteOut]{},
		Errors: []int{422, 503},
	},
	{
		Route: "GET /sites/{site_id}", ID: "getSite", Tag: tagSites,
		Summary: "Get a site",
		Status:  200, Response: siteOut{},
		Errors: []int{404, 503},
	},
	{
		Route: "GET /sites/{site_id}/admins", ID: "listSiteAdmins", Tag: tagSites, Login: true,
		Summary:     "List a site's admins",
		Description: "Admins of the site only. Every admin, ordered by username, on one page.",
		Status:      200, Response: listOut[siteAdminOut]{},
		Errors: []int{403, 404, 503},
	},
	{
		Route: "POST /sites/{site_id}/admins", ID: "addSiteAdmin", Tag: tagSites, Login: true,
		Summary: "Add an admin to a site",
		Description: "Admins of the site only. Makes an existing user an admin of the site: they may then manage " +
			"its admins and credentials. 404 when the site or the user does not exist, 409 when the user is " +
			"an admin of the site already.",
		Body:   siteAdminIn{},
		Status: 201, Response: siteAdminOut{},
		Errors: append([]int{403, 404, 409, 503}, jsonBodyErrors...),
	},
	{
		Route: "DELETE /sites/{site_id}/admins/{username}", ID: "removeSiteAdmin", Tag: tagSites, Login: true,
		Summary: "Remove an admin from a site",
		Description: "Admins of the site only; an admin may remove themself. 404 when the user is not an admin " +
			"of the site; 409 for the site's last admin: add another admin first.",
		Status: 204,
		Errors: []int{403, 404, 409, 503},
	},
	{
		Route: "POST /sites/{site_id}:generateCredentials", ID: "generateCredentials", Tag: tagSites, Login: true,
		Summary: "Generate site-client credentials",
		Description: "Admins of the site only. Creates a new site client and answers with its `client_id` and " +
			"`client_secret`. The secret is shown in this response only: store it like a password. " +
			"With `share=true` the answer carries `share_url` instead of `client_secret`: a one-time link " +
			"that shows the secret once, to hand to whoever runs the client.\n\n" +
			"Log in with these credentials as a **Site client**. The call takes no body (422 if one is sent).",
		Query:  []*parameter{shareQuery},
		Status: 200, Response: credentialsOut{},
		Errors: []int{403, 404, 413, 422, 503},
	},
	{
		Route: "GET /sites/{site_id}/clients", ID: "listSiteClients", Tag: tagSites, Login: true,
		Summary: "List a site's clients",
		Description: "Admins of the site only. One page of the site's clients, oldest first; never a secret. " +
			"`last_used_at` tells which clients still log in.",
		Query:  pageQuery,
		Status: 200, Response: listOut[siteClientOut]{},
		Errors: []int{403, 404, 422, 503},
	},
	{
		Route: "POST /sites/{site_id}/clients/{client_id}:rotateSecret", ID: "rotateSecret", Tag: tagSites, Login: true,
		Summary: "Rotate a site client's secret",
		Description: "Admins of the site only, for instance when a secret may have leaked. The client gets a new " +
			"generated secret, shown in this response only (or, with `share=true`, through a one-time `share_url`); " +
			"its old secret, every token it holds and every unopened link to its old secret stop working at once. " +
			"Update wherever the client runs. The call takes no body (422 if one is sent).",
		Query:  []*parameter{shareQuery},
		Status: 200, Response: credentialsOut{},
		Errors: []int{403, 404, 413, 422, 503},
	},
	{
		Route: "DELETE /sites/{site_id}/clients/{client_id}", ID: "deleteSiteClient", Tag: tagSites, Login: true,
		Summary: "Delete a site client",
		Description: "Admins of the site only. The client can no longer log in, and its tokens stop working at once. " +
			"404 when the site has no such client.",
		Status: 204,
		Errors: []int{403, 404, 503},
	},
	{
		Route: "PATCH /admin/site_clients/{site_client_id}", ID: "setSiteClientSecret", Tag: tagSites, Login: true,
		Summary: "Set a site client's secret",
		Description: "Holders of the allowance `" + domain.ActionAdminSiteClients + "` only, for any site's client, " +
			"as in the existing deployment. Sets a chosen `secret`; the client's earlier tokens are refused. " +
			"Site admins rather rotate a secret with `:rotateSecret`, which generates a strong one.",
		Body:   clientSecretIn{},
		Status: 200, Response: patchedClientOut{},
		NoContent: "The body changes nothing (`{}` or a `null` secret); the client exists and you may change it.",
		Errors:    append([]int{403, 404, 503}, jsonBodyErrors...),
	},
	{
		Route: "GET /capabilities", ID: "listCapabilities", Tag: tagSites,
		Summary:     "List capabilities",
		Description: "One page of the described capabilities, ordered by id. A site's `capability_ids` may also name ids that none describes.",
		Query:       pageQuery,
		Status:      200, Response: listOut[capabilityOut]{},
		Errors: []int{422, 503},
	},
	{
		Route: "GET /capabilities/{capability_id}", ID: "getCapability", Tag: tagSites,
		Summary: "Get a capability",
		Status:  200, Response: capabilityOut{},
		Errors: []int{404, 503},
	},
	{
		Route: "GET /health", ID: "health", Tag: tagSystem,
		Summary: "Health of the server and its database",
		Status:  200, Response: healthOut{},
		Errors:         []int{503},
		ErrorResponses: map[int]string{503: "HealthDown"},
	},
	{
		Route: "GET /version", ID: "version", Tag: tagSystem,
		Summary: "Version of this server",
		Status:  200, Response: "Version",
	},
}

// notInSpec are the routes that are not part of the API: the docs page
// and this document. Every other route must have an operation.
var notInSpec = map[string]string{
	"GET /{$}":          "redirects people to the docs page",
	"GET /docs":         "the docs page",
	"GET /docs/{$}":     "redirects to the docs page",
	"GET /docs/{asset}": "the docs page's embedded assets",
	"GET /openapi.json": "this document",
}

// pathParams describes the path parameters by name.
var pathParams = map[string]*parameter{
	"site_id":        {Description: "The site's id.", Example: "alice-laptop"},
	"username":       {Description: "The user's username.", Example: "bob_the_bioinformatician"},
	"client_id":      {Description: "The site client's `client_id`.", Example: "sys0q3w8t0f2k7xm9a1"},
	"site_client_id": {Description: "The site client's `client_id`.", Example: "sys0q3w8t0f2k7xm9a1"},
	"capability_id":  {Description: "The capability's id.", Example: "gpu"},
	"token":          {Description: "The last segment of a `share_url`."},
}

var pageQuery = []*parameter{
	{Name: "max_page_size", Description: "How many items a page holds at most.",
		Schema: &schema{Type: "integer", Minimum: num(1), Maximum: num(domain.MaxPageSize), Default: domain.DefaultPageSize}},
	{Name: "page_token", Description: "`next_page_token` of the previous page; omit for the first page.",
		Schema: &schema{Type: "string"}},
}

var shareQuery = &parameter{Name: "share",
	Description: "`true`: answer with `share_url`, a one-time link that shows the secret once, instead of `client_secret`.",
	Schema:      &schema{Type: "boolean", Default: false}}

// schemaDoc names a wire struct in components.schemas and documents it.
// Properties come from the struct's json tags, in field order; Fields adds
// descriptions, examples and constraints by JSON name.
type schemaDoc struct {
	Name string
	// Of is a zero value of the wire struct; Schema is written out when
	// there is none.
	Of     any
	Schema *schema
	Doc    string
	// Required lists the required properties of a request body. When
	// nil, every property without omitempty is required: what a response
	// always sends.
	Required []string
	// Strict: unknown properties are refused (every JSON request body).
	Strict bool
	Fields map[string]*schema
}

var schemas = []schemaDoc{
	{Name: "User", Of: userOut{}, Doc: "A user account.", Fields: map[string]*schema{
		"username":   {Example: "alice_the_admin"},
		"email":      {Format: "email"},
		"site_admin": {Description: "Ids of the sites this user administers.", Example: []string{"alice-laptop", domain.AdminSiteID}},
		"disabled":   {Description: "A disabled user cannot log in."},
		"site_id":    {Description: "Only for a site client: the site it acts for."},
	}},
	{Name: "UserIn", Of: userIn{}, Doc: "A new user account.", Strict: true, Required: []string{"username"}, Fields: map[string]*schema{
		"username": {Description: "Unique; a name that differs from an existing one only by case or Unicode form is refused.",
			MaxLength: num(domain.MaxUsernameLen), Example: "bob_the_bioinformatician"},
		"password": {Format: "password", MinLength: num(domain.MinPasswordChars), Example: "a long passphrase of his",
			Description: fmt.Sprintf("At least %d characters, at most %d bytes; kept exactly as typed. "+
				"Leave it out to have the server generate one and answer with a one-time `share_url` that shows it.",
				domain.MinPasswordChars, domain.MaxPasswordBytes)},
		"email":      {Format: "email", Example: "bob@example.org"},
		"full_name":  {MaxLength: num(domain.MaxTextLen), Example: "Bob Bioinformatician"},
		"site_admin": {Description: "Ids of the sites the user administers; they need not exist yet.", Example: []string{"bob-laptop"}},
		"disabled":   {Default: false},
	}},
	{Name: "CreatedUser", Of: createdUserOut{}, Doc: "A new user account; share_url and share_expires_at only when the server generated the password.", Fields: map[string]*schema{
		"share_url": {Format: "uri", Example: "https://api.example.org/share/nYde6oO-pzFEmUGzyjWFGpGLh4F4j3fUqbqpG2HKPWc",
			Description: "A one-time link that shows the generated password to whoever opens it first: send it to the new user."},
		"share_expires_at": {Format: "date-time", Description: "When share_url stops working."},
	}},
	{Name: "UserUpdate", Of: userUpdateIn{}, Doc: "Changes to a user: only the fields given change; null means unchanged.", Strict: true, Required: []string{"username"}, Fields: map[string]*schema{
		"username":   {Description: "The user to update (it cannot be changed).", Example: "bob_the_bioinformatician"},
		"email":      {Format: "email", Description: "\"\" clears it.", Example: "bob@lab.example.org"},
		"full_name":  {MaxLength: num(domain.MaxTextLen), Description: "\"\" clears it.", Example: "Bob B. Bioinformatician"},
		"site_admin": {Description: "Replaces the whole list; new entries must be valid site ids.", Example: []string{"bob-laptop", "bob-cluster"}},
		"disabled":   {Description: "true: the user can no longer log in and every token they hold is refused.", Example: false},
		"password": {Format: "password", MinLength: num(domain.MinPasswordChars), Example: "a new passphrase for bob",
			Description: "A new password; every token the user holds is refused. Prefer POST /users/{username}:resetPassword, which shares a generated one by link."},
	}},
	{Name: "UserList", Of: listOut[userOut]{}, Doc: "One page of users, ordered by username.", Fields: nextPageToken},
	{Name: "PasswordChange", Of: changePasswordIn{}, Doc: "Your current password and the new one.", Strict: true, Required: []string{"current_password", "new_password"}, Fields: map[string]*schema{
		"current_password": {Format: "password", Example: "a long passphrase of his"},
		"new_password": {Format: "password", MinLength: num(domain.MinPasswordChars), Example: "an even longer passphrase of his",
			Description: fmt.Sprintf("At least %d characters, at most %d bytes, and not the current one.", domain.MinPasswordChars, domain.MaxPasswordBytes)},
	}},
	{Name: "PasswordReset", Of: resetOut{}, Doc: "A reset password, shown once by a one-time link.", Fields: map[string]*schema{
		"username":         {Example: "bob_the_bioinformatician"},
		"share_url":        {Format: "uri", Description: "A one-time link that shows the new password: send it to the user."},
		"share_expires_at": {Format: "date-time", Description: "When share_url stops working."},
	}},
	{Name: "SharedSecret", Of: shareOut{}, Doc: "What a one-time link shows: a password (username, password) or a client secret (site_id, client_id, client_secret).", Fields: map[string]*schema{
		"kind":          {Enum: []string{domain.ShareUserPassword, domain.ShareClientSecret}},
		"username":      {Description: "kind password: the user to log in as."},
		"password":      {Description: "kind password: log in with it, then change it with POST /users/me:changePassword."},
		"site_id":       {Description: "kind client_secret: the site the client acts for."},
		"client_id":     {Description: "kind client_secret."},
		"client_secret": {Description: "kind client_secret: store it like a password."},
	}},
	{Name: "Allowance", Of: allowanceOut{}, Doc: "A user's allowance to perform an action.", Fields: map[string]*schema{
		"username": {Example: "bob_the_bioinformatician"},
		"action":   {Example: domain.ActionSubmitJSON, Description: "Usually one of GET /admin/allowances/actions; imported allowances may name others."},
	}},
	{Name: "AllowanceIn", Of: allowanceIn{}, Doc: "A new allowance.", Strict: true, Required: []string{"username", "action"}, Fields: map[string]*schema{
		"username": {Description: "An existing user.", Example: "bob_the_bioinformatician"},
		"action":   {Enum: domain.AllActions, Example: domain.ActionSubmitJSON},
	}},
	{Name: "AllowanceList", Of: listOut[allowanceOut]{}, Doc: "One page of allowances, ordered by username, then action.", Fields: nextPageToken},
	{Name: "ActionList", Doc: "The allowance actions, sorted.", Schema: &schema{
		Type: "array", Items: &schema{Type: "string"}, Example: sortedActions(),
	}},
	{Name: "Site", Of: siteOut{}, Doc: "A site: an organisation, lab, laptop or compute centre that owns resources.", Fields: map[string]*schema{
		"id": {Example: "alice-laptop"},
	}},
	{Name: "SiteIn", Of: siteIn{}, Doc: "A new site.", Strict: true, Required: []string{"id"}, Fields: map[string]*schema{
		"id": {Description: "1 to 100 characters of A-Z a-z 0-9 . _ -, not starting or ending with '.'; unique ignoring letter case.",
			Pattern: `^[A-Za-z0-9_-]([A-Za-z0-9._-]{0,98}[A-Za-z0-9_-])?$`, Example: "alice-laptop"},
		"capability_ids": {Description: "May be left empty and filled in later.", Example: []string{}},
	}},
	{Name: "SiteList", Of: listOut[siteOut]{}, Doc: "One page of sites, ordered by id.", Fields: nextPageToken},
	{Name: "SiteAdmin", Of: siteAdminOut{}, Doc: "One admin of a site.", Fields: map[string]*schema{
		"site_id":  {Example: "alice-laptop"},
		"username": {Example: "bob_the_bioinformatician"},
	}},
	{Name: "SiteAdminIn", Of: siteAdminIn{}, Doc: "The user to make an admin of the site.", Strict: true, Required: []string{"username"}, Fields: map[string]*schema{
		"username": {Description: "An existing user.", Example: "bob_the_bioinformatician"},
	}},
	{Name: "SiteAdminList", Of: listOut[siteAdminOut]{}, Doc: "Every admin of a site, ordered by username; next_page_token is always null.", Fields: nextPageToken},
	{Name: "ClientCredentials", Of: credentialsOut{}, Doc: "A newly generated client secret, shown only once: client_secret, or, when asked with share=true, share_url and share_expires_at.", Fields: map[string]*schema{
		"client_id":        {Example: "sys0q3w8t0f2k7xm9a1"},
		"client_secret":    {Description: "Store it like a password; it cannot be shown again."},
		"share_url":        {Format: "uri", Description: "With share=true: a one-time link that shows the secret once."},
		"share_expires_at": {Format: "date-time", Description: "When share_url stops working."},
	}},
	{Name: "SiteClient", Of: siteClientOut{}, Doc: "A site client: credentials that act for a site. Its secret is never shown again.", Fields: map[string]*schema{
		"id":           {Description: "Its client_id.", Example: "sys0q3w8t0f2k7xm9a1"},
		"created_at":   {Format: "date-time"},
		"created_by":   {Description: "The username of the admin who generated it."},
		"last_used_at": {Format: "date-time", Description: "Its last login, to the minute; null if it never logged in."},
	}},
	{Name: "SiteClientList", Of: listOut[siteClientOut]{}, Doc: "One page of a site's clients, oldest first.", Fields: nextPageToken},
	{Name: "ClientSecretIn", Of: clientSecretIn{}, Doc: "A chosen client secret.", Strict: true, Required: []string{}, Fields: map[string]*schema{
		"secret": {Format: "password", MinLength: num(domain.MinSecretChars), Example: "a secret the site admins chose",
			Description: fmt.Sprintf("At least %d characters, at most %d bytes. null or absent: nothing changes (204).", domain.MinSecretChars, domain.MaxPasswordBytes)},
	}},
	{Name: "PatchedSiteClient", Of: patchedClientOut{}, Doc: "The site client whose secret was set.", Fields: map[string]*schema{
		"message": {Description: "What changed."},
	}},
	{Name: "Capability", Of: capabilityOut{}, Doc: "Something a site can do, named in a site's capability_ids.", Fields: map[string]*schema{
		"id":         {Example: "gpu"},
		"created_at": {Format: "date-time"},
	}},
	{Name: "CapabilityList", Of: listOut[capabilityOut]{}, Doc: "One page of capabilities, ordered by id.", Fields: nextPageToken},
	{Name: "Token", Of: tokenResponse{}, Doc: "An access token.", Fields: map[string]*schema{
		"access_token": {Description: "Send as `Authorization: Bearer <access_token>`."},
		"token_type":   {Enum: []string{"bearer"}},
		"expires_in":   {Description: "Lifetime in seconds (RFC 6749 §5.1)."},
	}},
	{Name: "TokenLifetime", Of: tokenExpiresIn{}, Doc: "The token's lifetime, as clients of the existing deployment read it."},
	{Name: "TokenRequest", Doc: "The token request form (RFC 6749 §4.3, §4.4).", Schema: &schema{
		Type:     "object",
		Required: []string{"grant_type"},
		Properties: props{
			{"grant_type", &schema{Type: "string", Enum: []string{"password", "client_credentials"}}},
			{"username", &schema{Type: "string", Description: "For grant_type=password."}},
			{"password", &schema{Type: "string", Format: "password", Description: "For grant_type=password."}},
			{"client_id", &schema{Type: "string", Description: "For grant_type=client_credentials, unless sent as HTTP Basic."}},
			{"client_secret", &schema{Type: "string", Format: "password", Description: "For grant_type=client_credentials, unless sent as HTTP Basic."}},
			{"scope", &schema{Type: "string", Description: "Ignored."}},
		},
	}},
	{Name: "RevocationRequest", Doc: "The token revocation form (RFC 7009 §2.1).", Schema: &schema{
		Type:     "object",
		Required: []string{"token"},
		Properties: props{
			{"token", &schema{Type: "string", Description: "The access token to revoke."}},
			{"token_type_hint", &schema{Type: "string", Description: "Optional and ignored: this server has one kind of token.", Example: "access_token"}},
		},
	}},
	{Name: "RevocationResponse", Doc: "An empty object: the token, if it was one, is revoked.", Schema: &schema{Type: "object"}},
	{Name: "AuditEvent", Of: auditEventOut{}, Doc: "One security-relevant act. Never a password, secret, link or token.", Fields: map[string]*schema{
		"id":          {Description: "Orders events by time."},
		"time":        {Format: "date-time"},
		"actor":       {Description: "Who acted: `user:<name>`, `client:<id>` or `anonymous`.", Example: "user:alice_the_admin"},
		"action":      {Enum: domain.AuditActions, Example: domain.AuditSiteCreated},
		"target":      {Description: "What was acted on: `user:<name>`, `client:<id>` or `site:<id>`.", Example: "site:alice-lab"},
		"source_addr": {Description: "The client's address as the server saw it.", Example: "192.0.2.10"},
		"detail":      {Description: "A non-secret fact, such as why a login failed."},
	}},
	{Name: "AuditEventList", Of: listOut[auditEventOut]{}, Doc: "One page of audit events, newest first.", Fields: nextPageToken},
	{Name: "Health", Of: healthOut{}, Doc: "Whether the web server and its database answer."},
	{Name: "Version", Doc: "The server's version.", Schema: &schema{
		Type:       "object",
		Required:   []string{"nmdc-runtime"},
		Properties: props{{"nmdc-runtime", &schema{Type: "string", Example: "v1.0.0"}}},
	}},
	{Name: "Error", Of: errorBody{}, Doc: "An error.", Fields: map[string]*schema{
		"detail": {Description: "What went wrong and what to do about it."},
	}},
	{Name: "ValidationError", Of: validationBody{}, Doc: "The request is invalid: one entry per field at fault."},
	{Name: "FieldError", Of: domain.FieldError{}, Fields: map[string]*schema{
		"loc":  {Description: "Where the field is: \"body\" or \"query\", then its name.", Example: []string{"body", "username"}},
		"msg":  {Example: "field required"},
		"type": {Example: "value_error.missing"},
	}},
	{Name: "TokenError", Of: tokenErrorBody{}, Doc: "A token error in both the OAuth2 (RFC 6749 §5.2) and the `detail` style.", Fields: map[string]*schema{
		"error": {Enum: []string{"invalid_request", "invalid_grant", "invalid_client", "unsupported_grant_type", "temporarily_unavailable"}},
	}},
}

// nextPageToken documents the field of every list.
var nextPageToken = map[string]*schema{
	"next_page_token": {Description: "Pass as page_token to get the next page; null on the last page."},
}

func sortedActions() []string {
	a := slices.Clone(domain.AllActions)
	slices.Sort(a)
	return a
}

// errorResponses are the shared error responses, by status.
var errorResponses = map[int]string{
	400: "BadRequest",
	401: "Unauthenticated",
	403: "Forbidden",
	404: "NotFound",
	409: "Conflict",
	413: "TooLarge",
	410: "Gone",
	415: "UnsupportedMediaType",
	422: "ValidationFailed",
	429: "Throttled",
	503: "Unavailable",
}

var retryAfter = &header{Description: "Seconds to wait before trying again.", Schema: &schema{Type: "integer"}}

var responses = map[string]*response{
	"BadRequest":           {Description: "The request could not be read (for instance, it has several Authorization headers).", schemaName: "Error"},
	"Unauthenticated":      {Description: "No valid access token: log in (Authorize) and send `Authorization: Bearer <token>`.", schemaName: "Error", Headers: map[string]*header{"WWW-Authenticate": {Schema: &schema{Type: "string", Example: "Bearer"}}}},
	"Forbidden":            {Description: "Logged in, but not allowed to do this.", schemaName: "Error"},
	"NotFound":             {Description: "No such resource.", schemaName: "Error"},
	"Conflict":             {Description: "It exists already.", schemaName: "Error"},
	"Gone":                 {Description: "This one-time link was opened already, has expired, or its secret was replaced or deleted, and its secret is erased: ask whoever sent it for a new one.", schemaName: "Error"},
	"TooLarge":             {Description: fmt.Sprintf("The body is larger than %d bytes.", MaxBodyBytes), schemaName: "Error"},
	"UnsupportedMediaType": {Description: "The body must be application/json in UTF-8.", schemaName: "Error"},
	"ValidationFailed":     {Description: "Invalid fields; each is named.", schemaName: "ValidationError"},
	"Throttled":            {Description: "Too many attempts; wait before trying again.", schemaName: "Error", Headers: map[string]*header{"Retry-After": retryAfter}},
	"Unavailable":          {Description: "The database does not answer; try again shortly.", schemaName: "Error", Headers: map[string]*header{"Retry-After": retryAfter}},
	"InternalError":        {Description: "Unexpected error; the detail carries a request id to report.", schemaName: "Error"},
	"TokenBadRequest":      {Description: "A missing or malformed field, or an unsupported grant_type.", schemaName: "TokenError"},
	"TokenUnauthorized":    {Description: "Wrong username or password (invalid_grant), or wrong client credentials (invalid_client).", schemaName: "TokenError", Headers: map[string]*header{"WWW-Authenticate": {Schema: &schema{Type: "string"}}}},
	"TokenThrottled":       {Description: "Too many failed logins for this account or from this address (error temporarily_unavailable); wait Retry-After seconds.", schemaName: "TokenError", Headers: map[string]*header{"Retry-After": retryAfter}},
	"TokenTooLarge":        {Description: fmt.Sprintf("The form is larger than %d bytes.", MaxBodyBytes), schemaName: "TokenError"},
	"HealthDown":           {Description: "The database does not answer.", schemaName: "Health"},
}

const docDescription = `Accounts and access for the Runtime API: users, sites, and site clients that act for a site.

**Log in** with **Authorize**: in **User login** with your username and password, or in **Site client login**
with the client_id and client_secret of a site client. Then use **Try it out** on any operation.
The page keeps you logged in across reloads until you log out.`

// openAPIJSON returns the document as JSON, with the server's version.
func openAPIJSON(version string) ([]byte, error) {
	d, err := openAPIDocument()
	if err != nil {
		return nil, err
	}
	doc := *d
	doc.Info.Version = version
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(&doc); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// openAPIDocument builds the document from the tables once.
var openAPIDocument = sync.OnceValues(func() (*document, error) {
	b := &docBuilder{byType: map[reflect.Type]string{}, schemas: map[string]*schema{}}
	for _, sd := range schemas {
		if sd.Of != nil {
			b.byType[reflect.TypeOf(sd.Of)] = sd.Name
		}
	}
	for _, sd := range schemas {
		if err := b.addSchema(sd); err != nil {
			return nil, err
		}
	}
	doc := &document{
		OpenAPI: "3.0.3",
		Info:    info{Title: "NMDC Runtime API", Description: docDescription},
		Tags:    tags,
		Components: components{
			Schemas:   b.schemas,
			Responses: map[string]*response{},
			SecuritySchemes: map[string]*securitySchemeDoc{securityScheme: {
				Type: "oauth2",
				Description: "One access token for either kind of login, sent as `Authorization: Bearer <token>`: " +
					"the password flow logs in a user, the client-credentials flow a site client.",
				Flows: oauthFlows{
					// Relative, so that the document works on any host.
					Password:          &oauthFlow{TokenURL: "/token", Scopes: map[string]string{}},
					ClientCredentials: &oauthFlow{TokenURL: "/token", Scopes: map[string]string{}},
				},
			}},
		},
	}
	for name, r := range responses {
		if _, ok := b.schemas[r.schemaName]; !ok {
			return nil, fmt.Errorf("openapi: response %s: no schema %q", name, r.schemaName)
		}
		rc := *r
		rc.Content = jsonContent(&schema{Ref: "#/components/schemas/" + r.schemaName})
		doc.Components.Responses[name] = &rc
	}
	seen := map[string]bool{}
	for _, op := range operations {
		if seen[op.Route] {
			return nil, fmt.Errorf("openapi: %s is documented twice", op.Route)
		}
		seen[op.Route] = true
		method, path, ok := strings.Cut(op.Route, " ")
		if !ok {
			return nil, fmt.Errorf("openapi: route %q is not \"METHOD /path\"", op.Route)
		}
		o, err := b.operation(op, path)
		if err != nil {
			return nil, fmt.Errorf("openapi: %s: %w", op.Route, err)
		}
		doc.Paths.add(path, strings.ToLower(method), o)
	}
	return doc, nil
})

type docBuilder struct {
	byType  map[reflect.Type]string
	schemas map[string]*schema
}

func (b *docBuilder) addSchema(sd schemaDoc) error {
	var s *schema
	if sd.Schema != nil {
		c := *sd.Schema
		s = &c
	} else {
		t := reflect.TypeOf(sd.Of)
		if t.Kind() != reflect.Struct {
			return fmt.Errorf("openapi: schema %s: %s is not a struct", sd.Name, t)
		}
		var err error
		if s, err = b.structSchema(t, sd.Required); err != nil {
			return fmt.Errorf("openapi: schema %s: %w", sd.Name, err)
		}
	}
	if sd.Doc != "" {
		s.Description = sd.Doc
	}
	if sd.Strict {
		s.AdditionalProperties = new(bool)
	}
	// Fields of an embedded wire struct keep the documentation of its own
	// schema, unless this one documents them again.
	fields := map[string]*schema{}
	if sd.Of != nil {
		t := reflect.TypeOf(sd.Of)
		for i := range t.NumField() {
			if f := t.Field(i); f.Anonymous {
				for _, other := range schemas {
					if other.Of != nil && reflect.TypeOf(other.Of) == f.Type {
						maps.Copy(fields, other.Fields)
					}
				}
			}
		}
	}
	maps.Copy(fields, sd.Fields)
	for name, extra := range fields {
		p := s.Properties.get(name)
		if p == nil {
			return fmt.Errorf("openapi: schema %s documents field %q, which it lacks", sd.Name, name)
		}
		if p.Ref != "" {
			return fmt.Errorf("openapi: schema %s: document field %q on the schema it refers to", sd.Name, name)
		}
		p.merge(extra)
	}
	if _, dup := b.schemas[sd.Name]; dup {
		return fmt.Errorf("openapi: schema %s is listed twice", sd.Name)
	}
	b.schemas[sd.Name] = s
	return nil
}

// structSchema reflects a wire struct's exported, json-tagged fields.
func (b *docBuilder) structSchema(t reflect.Type, required []string) (*schema, error) {
	s := &schema{Type: "object"}
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if f.Anonymous && tag == "" && f.Type.Kind() == reflect.Struct {
			// An embedded struct's fields are the outer struct's, as
			// encoding/json writes them.
			inner, err := b.structSchema(f.Type, nil)
			if err != nil {
				return nil, fmt.Errorf("embedded %s: %w", f.Type, err)
			}
			s.Properties = append(s.Properties, inner.Properties...)
			if required == nil {
				s.Required = append(s.Required, inner.Required...)
			}
			continue
		}
		if !f.IsExported() || tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if name == "" {
			name = f.Name
		}
		p, err := b.typeSchema(f.Type)
		if err != nil {
			return nil, fmt.Errorf("field %s: %w", f.Name, err)
		}
		s.Properties = append(s.Properties, prop{name, p})
		if required == nil && !strings.Contains(","+opts+",", ",omitempty,") {
			s.Required = append(s.Required, name)
		}
	}
	for _, r := range required {
		if s.Properties.get(r) == nil {
			return nil, fmt.Errorf("required field %q does not exist", r)
		}
	}
	if required != nil {
		s.Required = required
	}
	return s, nil
}

// typeSchema is the schema of a Go type: a reference for a struct listed
// in schemas, else the JSON type.
func (b *docBuilder) typeSchema(t reflect.Type) (*schema, error) {
	if name, ok := b.byType[t]; ok {
		return &schema{Ref: "#/components/schemas/" + name}, nil
	}
	switch t.Kind() {
	case reflect.String:
		return &schema{Type: "string"}, nil
	case reflect.Bool:
		return &schema{Type: "boolean"}, nil
	case reflect.Int, reflect.Int32, reflect.Int64:
		return &schema{Type: "integer"}, nil
	case reflect.Slice:
		items, err := b.typeSchema(t.Elem())
		if err != nil {
			return nil, err
		}
		return &schema{Type: "array", Items: items}, nil
	case reflect.Pointer:
		s, err := b.typeSchema(t.Elem())
		if err != nil || s.Ref != "" {
			return nil, fmt.Errorf("%s: only pointers to plain values (nullable) are supported", t)
		}
		s.Nullable = true
		return s, nil
	}
	return nil, fmt.Errorf("%s: add it to schemas, or teach typeSchema its kind", t)
}

var pathParam = regexp.MustCompile(`\{([^}]+)\}`)

func (b *docBuilder) operation(op operation, path string) (*operationDoc, error) {
	o := &operationDoc{
		OperationID: op.ID,
		Tags:        []string{op.Tag},
		Summary:     op.Summary,
		Description: op.Description,
		Responses:   orderedResponses{},
	}
	if op.ID == "" || op.Tag == "" || op.Summary == "" || op.Status == 0 {
		return nil, fmt.Errorf("ID, Tag, Summary and Status are required")
	}
	for _, m := range pathParam.FindAllStringSubmatch(path, -1) {
		d, ok := pathParams[m[1]]
		if !ok {
			return nil, fmt.Errorf("path parameter %s: describe it in pathParams", m[1])
		}
		p := *d
		p.Name, p.In, p.Required, p.Schema = m[1], "path", true, &schema{Type: "string"}
		o.Parameters = append(o.Parameters, &p)
	}
	for _, q := range op.Query {
		p := *q
		p.In = "query"
		o.Parameters = append(o.Parameters, &p)
	}
	switch {
	case op.Body != nil:
		s, err := b.typeSchema(reflect.TypeOf(op.Body))
		if err != nil {
			return nil, err
		}
		o.RequestBody = &requestBody{Required: true, Content: jsonContent(s)}
	case op.FormBody != "":
		if _, ok := b.schemas[op.FormBody]; !ok {
			return nil, fmt.Errorf("form body: no schema %q", op.FormBody)
		}
		o.RequestBody = &requestBody{Required: true, Content: map[string]*mediaType{
			"application/x-www-form-urlencoded": {Schema: &schema{Ref: "#/components/schemas/" + op.FormBody}},
		}}
	}
	ok := &response{Description: http.StatusText(op.Status)}
	switch r := op.Response.(type) {
	case nil:
	case string: // a schema written out in schemas
		if _, found := b.schemas[r]; !found {
			return nil, fmt.Errorf("response: no schema %q", r)
		}
		ok.Content = jsonContent(&schema{Ref: "#/components/schemas/" + r})
	default:
		s, err := b.typeSchema(reflect.TypeOf(r))
		if err != nil {
			return nil, err
		}
		ok.Content = jsonContent(s)
	}
	o.Responses.add(strconv.Itoa(op.Status), ok)
	if op.NoContent != "" {
		o.Responses.add(strconv.Itoa(http.StatusNoContent), &response{Description: op.NoContent})
	}
	errs := op.Errors
	if op.Login {
		o.Security = []map[string][]string{{securityScheme: {}}}
		errs = append([]int{400, 401}, errs...)
	}
	for _, status := range sortedUnique(errs) {
		name := op.ErrorResponses[status]
		if name == "" {
			name = errorResponses[status]
		}
		if responses[name] == nil {
			return nil, fmt.Errorf("no response documented for status %d", status)
		}
		o.Responses.add(strconv.Itoa(status), &response{Ref: "#/components/responses/" + name})
	}
	o.Responses.add("default", &response{Ref: "#/components/responses/InternalError"})
	return o, nil
}

func sortedUnique(xs []int) []int {
	seen := map[int]bool{}
	var out []int
	for _, x := range xs {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j] < out[j-1]; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

func jsonContent(s *schema) map[string]*mediaType {
	return map[string]*mediaType{"application/json": {Schema: s}}
}

func num(n int) *int { return &n }

// The document's shape: the subset of OpenAPI 3.0.3 that this API uses.

type document struct {
	OpenAPI    string     `json:"openapi"`
	Info       info       `json:"info"`
	Tags       []tagDoc   `json:"tags"`
	Paths      paths      `json:"paths"`
	Components components `json:"components"`
}

type info struct {
	Title       string `json:"title"`
	Version     string `json:"version"`
	Description string `json:"description,omitempty"`
}

type tagDoc struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
}

type components struct {
	Schemas         map[string]*schema            `json:"schemas"`
	Responses       map[string]*response          `json:"responses"`
	SecuritySchemes map[string]*securitySchemeDoc `json:"securitySchemes"`
}

type securitySchemeDoc struct {
	Type        string     `json:"type"`
	Description string     `json:"description,omitempty"`
	Flows       oauthFlows `json:"flows"`
}

type oauthFlows struct {
	Password          *oauthFlow `json:"password,omitempty"`
	ClientCredentials *oauthFlow `json:"clientCredentials,omitempty"`
}

type oauthFlow struct {
	TokenURL string            `json:"tokenUrl"`
	Scopes   map[string]string `json:"scopes"`
}

type operationDoc struct {
	OperationID string                `json:"operationId"`
	Tags        []string              `json:"tags"`
	Summary     string                `json:"summary"`
	Description string                `json:"description,omitempty"`
	Parameters  []*parameter          `json:"parameters,omitempty"`
	RequestBody *requestBody          `json:"requestBody,omitempty"`
	Responses   orderedResponses      `json:"responses"`
	Security    []map[string][]string `json:"security,omitempty"`
}

type parameter struct {
	Name        string  `json:"name"`
	In          string  `json:"in"`
	Description string  `json:"description,omitempty"`
	Required    bool    `json:"required,omitempty"`
	Schema      *schema `json:"schema"`
	Example     any     `json:"example,omitempty"`
}

type requestBody struct {
	Required bool                  `json:"required"`
	Content  map[string]*mediaType `json:"content"`
}

type mediaType struct {
	Schema *schema `json:"schema"`
}

type response struct {
	Ref         string                `json:"$ref,omitempty"`
	Description string                `json:"description,omitempty"`
	Headers     map[string]*header    `json:"headers,omitempty"`
	Content     map[string]*mediaType `json:"content,omitempty"`
	schemaName  string
}

type header struct {
	Description string  `json:"description,omitempty"`
	Schema      *schema `json:"schema"`
}

type schema struct {
	Ref                  string   `json:"$ref,omitempty"`
	Type                 string   `json:"type,omitempty"`
	Format               string   `json:"format,omitempty"`
	Description          string   `json:"description,omitempty"`
	Enum                 []string `json:"enum,omitempty"`
	Nullable             bool     `json:"nullable,omitempty"`
	MinLength            *int     `json:"minLength,omitempty"`
	MaxLength            *int     `json:"maxLength,omitempty"`
	Minimum              *int     `json:"minimum,omitempty"`
	Maximum              *int     `json:"maximum,omitempty"`
	Pattern              string   `json:"pattern,omitempty"`
	Items                *schema  `json:"items,omitempty"`
	Properties           props    `json:"properties,omitempty"`
	Required             []string `json:"required,omitempty"`
	AdditionalProperties *bool    `json:"additionalProperties,omitempty"`
	Default              any      `json:"default,omitempty"`
	Example              any      `json:"example,omitempty"`
}

// merge copies the documentation and constraints that extra sets.
func (s *schema) merge(extra *schema) {
	if extra.Description != "" {
		s.Description = extra.Description
	}
	if extra.Format != "" {
		s.Format = extra.Format
	}
	if extra.Pattern != "" {
		s.Pattern = extra.Pattern
	}
	if extra.Enum != nil {
		s.Enum = extra.Enum
	}
	if extra.MinLength != nil {
		s.MinLength = extra.MinLength
	}
	if extra.MaxLength != nil {
		s.MaxLength = extra.MaxLength
	}
	if extra.Minimum != nil {
		s.Minimum = extra.Minimum
	}
	if extra.Maximum != nil {
		s.Maximum = extra.Maximum
	}
	if extra.Default != nil {
		s.Default = extra.Default
	}
	if extra.Example != nil {
		s.Example = extra.Example
	}
}

// props are an object's properties in the order the wire struct declares
// them, so that examples on the docs page read like real bodies.
type props []prop

type prop struct {
	name   string
	schema *schema
}

func (ps props) get(name string) *schema {
	for _, p := range ps {
		if p.name == name {
			return p.schema
		}
	}
	return nil
}

func (ps props) MarshalJSON() ([]byte, error) {
	kv := make([]keyValue, len(ps))
	for i, p := range ps {
		kv[i] = keyValue{p.name, p.schema}
	}
	return marshalOrdered(kv)
}

// paths keep the order of the operations table.
type paths struct{ items []keyValue }

func (p *paths) add(path, method string, o *operationDoc) {
	for i := range p.items {
		if p.items[i].key == path {
			p.items[i].value.(*pathItem).items = append(p.items[i].value.(*pathItem).items, keyValue{method, o})
			return
		}
	}
	p.items = append(p.items, keyValue{path, &pathItem{items: []keyValue{{method, o}}}})
}

func (p paths) MarshalJSON() ([]byte, error) { return marshalOrdered(p.items) }

type pathItem struct{ items []keyValue }

func (p *pathItem) MarshalJSON() ([]byte, error) { return marshalOrdered(p.items) }

type orderedResponses struct{ items []keyValue }

func (r *orderedResponses) add(status string, resp *response) {
	r.items = append(r.items, keyValue{status, resp})
}

func (r orderedResponses) MarshalJSON() ([]byte, error) { return marshalOrdered(r.items) }

type keyValue struct {
	key   string
	value any
}

func marshalOrdered(kv []keyValue) ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteByte('{')
	for i, e := range kv {
		if i > 0 {
			buf.WriteByte(',')
		}
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(e.key); err != nil {
			return nil, err
		}
		buf.Truncate(buf.Len() - 1) // Encode's newline
		buf.WriteByte(':')
		if err := enc.Encode(e.value); err != nil {
			return nil, err
		}
		buf.Truncate(buf.Len() - 1)
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}
