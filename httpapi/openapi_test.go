package httpapi

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"

	"github.com/nmdc-runtime/server/domain"
)

// loadDocument parses an OpenAPI document and validates it against the
// OpenAPI 3 specification.
func loadDocument(t *testing.T, body []byte) *openapi3.T {
	t.Helper()
	doc, err := openapi3.NewLoader().LoadFromData(body)
	if err != nil {
		t.Fatalf("openapi.json does not load: %v", err)
	}
	if err := doc.Validate(t.Context()); err != nil {
		t.Fatalf("openapi.json is not valid OpenAPI 3: %v", err)
	}
	return doc
}

func servedDocument(t *testing.T, api string) *openapi3.T {
	t.Helper()
	r := call(t, "GET", api+"/openapi.json", "")
	if r.Status != http.StatusOK || r.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("GET /openapi.json: %d %s", r.Status, r.Header.Get("Content-Type"))
	}
	return loadDocument(t, r.Body)
}

// customRoutes are the routes that dispatch custom verbs (verbs.go): the
// path of the resource and its verbs.
var customRoutes = map[string]struct {
	path  string
	verbs map[string]verbFunc
}{
	"POST /users/{user_action}":                     {"/users/{username}", userMethods},
	"POST /sites/{site_action}":                     {"/sites/{site_id}", siteMethods},
	"POST /sites/{site_id}/clients/{client_action}": {"/sites/{site_id}/clients/{client_id}", clientMethods},
}

// selfOnly are verbs that act only on the caller: documented on "me".
var selfOnly = map[string]bool{"changePassword": true}

// operationsOf maps a route pattern to the operations it serves: itself,
// or for a custom-verb dispatcher one operation per verb.
func operationsOf(pattern string) []string {
	c, ok := customRoutes[pattern]
	if !ok {
		return []string{pattern}
	}
	var ops []string
	for verb := range c.verbs {
		path := c.path
		if selfOnly[verb] {
			path = path[:strings.LastIndexByte(path, '/')] + "/me"
		}
		ops = append(ops, "POST "+path+":"+verb)
	}
	return ops
}

// TestOpenAPIMatchesRoutes: every route of routes() has an operation in
// the document and every operation has a route, so neither can drift.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	s := New(Config{Service: &domain.Service{}, Version: "test"})
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest("GET", "/openapi.json", nil))
	doc := loadDocument(t, rec.Body.Bytes())

	documented := map[string]bool{}
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			documented[method+" "+path] = true
		}
	}
	served := map[string]string{} // operation → the route that serves it
	for _, pattern := range s.Routes() {
		if _, ok := notInSpec[pattern]; ok {
			continue
		}
		for _, op := range operationsOf(pattern) {
			served[op] = pattern
		}
	}
	for op, route := range served {
		if !documented[op] {
			t.Errorf("route %q serves %s, which the OpenAPI document lacks: add it to operations in openapi.go", route, op)
		}
	}
	for op := range documented {
		if _, ok := served[op]; !ok {
			t.Errorf("the OpenAPI document has %s, which no route of routes() serves", op)
		}
	}
	for pattern := range notInSpec {
		if !slices.Contains(s.Routes(), pattern) {
			t.Errorf("notInSpec names %q, which routes() does not register", pattern)
		}
	}
	// Each documented path, with its parameters filled in, reaches the
	// route that serves it.
	for op, route := range served {
		method, path, _ := strings.Cut(op, " ")
		req := httptest.NewRequest(method, pathParam.ReplaceAllString(path, "x"), nil)
		if _, got := s.mux.Handler(req); got != route {
			t.Errorf("%s goes to route %q, want %q", op, got, route)
		}
	}
}

// TestOpenAPIDocument checks what the docs page relies on: one OAuth2
// scheme with both flows at /token, the three tags, an id per operation.
func TestOpenAPIDocument(t *testing.T) {
	srv := startTestAPI(t)
	doc := servedDocument(t, srv.URL)
	if doc.OpenAPI != "3.0.3" || doc.Info.Version != "test" {
		t.Errorf("openapi %q, info.version %q", doc.OpenAPI, doc.Info.Version)
	}
	if len(doc.Components.SecuritySchemes) != 1 {
		t.Fatalf("%d security schemes, want one", len(doc.Components.SecuritySchemes))
	}
	ss := doc.Components.SecuritySchemes[securityScheme]
	if ss == nil || ss.Value.Type != "oauth2" || ss.Value.Flows == nil {
		t.Fatalf("security scheme %q is not OAuth2", securityScheme)
	}
	f := ss.Value.Flows
	if f.Password == nil || f.Password.TokenURL != "/token" || f.ClientCredentials == nil || f.ClientCredentials.TokenURL != "/token" ||
		f.Implicit != nil || f.AuthorizationCode != nil {
		t.Errorf("flows: want password and clientCredentials at /token, got %+v", f)
	}
	var tagNames []string
	for _, tag := range doc.Tags {
		tagNames = append(tagNames, tag.Name)
	}
	if !slices.Equal(tagNames, []string{tagUsers, tagSites, tagSystem}) {
		t.Errorf("tags %q", tagNames)
	}
	ids := map[string]bool{}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			if op.OperationID == "" || ids[op.OperationID] {
				t.Errorf("%s %s: operationId %q missing or repeated", method, path, op.OperationID)
			}
			ids[op.OperationID] = true
			if len(op.Tags) != 1 || !slices.Contains(tagNames, op.Tags[0]) {
				t.Errorf("%s %s: tags %q", method, path, op.Tags)
			}
			if op.Responses.Default() == nil {
				t.Errorf("%s %s: no default (500) response", method, path)
			}
		}
	}
}

// TestOpenAPISecurityMatchesBehaviour: an operation declares the OAuth2
// scheme, and a 401, exactly when the server refuses it without a token.
func TestOpenAPISecurityMatchesBehaviour(t *testing.T) {
	srv := startTestAPI(t)
	doc := servedDocument(t, srv.URL)
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			r := call(t, method, srv.URL+pathParam.ReplaceAllString(path, "x"), "")
			declares := op.Security != nil && len(*op.Security) > 0
			if declares != (r.Status == http.StatusUnauthorized) {
				t.Errorf("%s %s answers %d without a token, but declares security: %v", method, path, r.Status, declares)
			}
			if declares && op.Responses.Status(http.StatusUnauthorized) == nil {
				t.Errorf("%s %s declares security but not its 401", method, path)
			}
		}
	}
}

// TestResponsesMatchOpenAPI runs the tutorial and its usual mistakes, and
// validates every answer against the document: the status is listed for
// the operation and the body has its schema.
func TestResponsesMatchOpenAPI(t *testing.T) {
	srv := startTestAPI(t)
	doc := servedDocument(t, srv.URL)
	form := "application/x-www-form-urlencoded"
	admin := login(t, srv.URL, testAdmin, testAdminPassword)
	asAdmin := []string{"Authorization", "Bearer " + admin, "Content-Type", "application/json"}

	type step struct {
		name, method, path, template, body string
		header                             []string
		status                             int
	}
	run := func(t *testing.T, s step) testResponse {
		t.Helper()
		r := call(t, s.method, srv.URL+s.path, s.body, s.header...)
		if r.Status != s.status {
			t.Fatalf("%s: %s %s answered %d, want %d: %s", s.name, s.method, s.path, r.Status, s.status, r.Body)
		}
		checkResponse(t, doc, s.method, s.template, r)
		return r
	}
	run(t, step{"create a user", "POST", "/users", "/users", `{"username":"alice","password":"alice-password","site_admin":["alice-lab"]}`, asAdmin, 201})
	alice := login(t, srv.URL, "alice", "alice-password")
	asAlice := []string{"Authorization", "Bearer " + alice, "Content-Type", "application/json"}
	run(t, step{"create a site", "POST", "/sites", "/sites", `{"id":"alice-lab"}`, asAlice, 201})
	cred := decode[credentialsOut](t, run(t, step{"generate credentials", "POST", "/sites/alice-lab:generateCredentials", "/sites/{site_id}:generateCredentials", "", asAlice, 200}))
	client := decode[tokenResponse](t, run(t, step{"client login", "POST", "/token", "/token", "grant_type=client_credentials&client_id=" + cred.ClientID + "&client_secret=" + cred.ClientSecret, []string{"Content-Type", form}, 200})).AccessToken
	asClient := []string{"Authorization", "Bearer " + client, "Content-Type", "application/json"}

	// The bodies that "Try it out" fills in from the documented examples
	// are accepted as they are.
	run(t, step{"create the example user", "POST", "/users", "/users", exampleBody(t, doc, "UserIn"), asAdmin, 201})
	run(t, step{"create the example site", "POST", "/sites", "/sites", exampleBody(t, doc, "SiteIn"), asAdmin, 201})

	for _, s := range []step{
		{"password login", "POST", "/token", "/token", "grant_type=password&username=alice&password=alice-password", []string{"Content-Type", form}, 200},
		{"wrong password", "POST", "/token", "/token", "grant_type=password&username=alice&password=wrong-password", []string{"Content-Type", form}, 401},
		{"no grant type", "POST", "/token", "/token", "username=alice", []string{"Content-Type", form}, 400},
		{"unsupported grant", "POST", "/token", "/token", "grant_type=implicit", []string{"Content-Type", form}, 400},
		{"wrong client secret", "POST", "/token", "/token", "grant_type=client_credentials", []string{"Content-Type", form, "Authorization", "Basic c3lzMHg6eQ=="}, 401},
		{"token form too large", "POST", "/token", "/token", "grant_type=password&password=" + strings.Repeat("x", MaxBodyBytes), []string{"Content-Type", form}, 413},
		{"me as a user", "GET", "/users/me", "/users/me", "", asAlice, 200},
		{"me as a client", "GET", "/users/me", "/users/me", "", asClient, 200},
		{"me without a token", "GET", "/users/me", "/users/me", "", nil, 401},
		{"duplicate user", "POST", "/users", "/users", `{"username":"alice","password":"another-password"}`, asAdmin, 409},
		{"user without password", "POST", "/users", "/users", `{"username":"bob"}`, asAdmin, 422},
		{"unknown field", "POST", "/users", "/users", `{"username":"bob","password":"bob-password","site_admins":[]}`, asAdmin, 422},
		{"not JSON", "POST", "/users", "/users", `username=bob`, []string{"Authorization", "Bearer " + admin, "Content-Type", form}, 415},
		{"user body too large", "POST", "/users", "/users", `{"username":"` + strings.Repeat("x", MaxBodyBytes) + `"}`, asAdmin, 413},
		{"user by a non-admin", "POST", "/users", "/users", `{"username":"bob","password":"bob-password"}`, asAlice, 403},
		{"duplicate site", "POST", "/sites", "/sites", `{"id":"alice-lab"}`, asAdmin, 409},
		{"bad site id", "POST", "/sites", "/sites", `{"id":"a/b"}`, asAdmin, 422},
		{"site by a client", "POST", "/sites", "/sites", `{"id":"client-lab"}`, asClient, 403},
		{"list sites", "GET", "/sites?max_page_size=1", "/sites", "", nil, 200},
		{"bad page size", "GET", "/sites?max_page_size=0", "/sites", "", nil, 422},
		{"get a site", "GET", "/sites/alice-lab", "/sites/{site_id}", "", nil, 200},
		{"no such site", "GET", "/sites/nope", "/sites/{site_id}", "", nil, 404},
		{"credentials by a non-admin", "POST", "/sites/" + domain.AdminSiteID + ":generateCredentials", "/sites/{site_id}:generateCredentials", "", asAlice, 403},
		{"credentials by a client", "POST", "/sites/alice-lab:generateCredentials", "/sites/{site_id}:generateCredentials", "", asClient, 403},
		{"credentials for no site", "POST", "/sites/nope:generateCredentials", "/sites/{site_id}:generateCredentials", "", asAdmin, 404},
		{"health", "GET", "/health", "/health", "", nil, 200},
		{"version", "GET", "/version", "/version", "", nil, 200},
	} {
		t.Run(s.name, func(t *testing.T) { run(t, s) })
	}
}

// exampleBody is a request body made of the examples (or defaults) of a
// schema's properties, as the docs page pre-fills it.
func exampleBody(t *testing.T, doc *openapi3.T, schema string) string {
	t.Helper()
	body := map[string]any{}
	for name, p := range doc.Components.Schemas[schema].Value.Properties {
		switch {
		case p.Value.Example != nil:
			body[name] = p.Value.Example
		case p.Value.Default != nil:
			body[name] = p.Value.Default
		default:
			t.Fatalf("%s.%s has no example", schema, name)
		}
	}
	b, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// checkResponse validates a response against the operation's documented
// responses; an undocumented status fails even though "default" exists.
func checkResponse(t *testing.T, doc *openapi3.T, method, template string, r testResponse) {
	t.Helper()
	item := doc.Paths.Value(template)
	if item == nil || item.GetOperation(method) == nil {
		t.Fatalf("no operation %s %s in the document", method, template)
	}
	op := item.GetOperation(method)
	if op.Responses.Status(r.Status) == nil {
		t.Errorf("%s %s answered %d, which the document does not list", method, template, r.Status)
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{
			Request: httptest.NewRequest(method, template, nil),
			Route:   &routers.Route{Spec: doc, Path: template, PathItem: item, Method: method, Operation: op},
		},
		Status:  r.Status,
		Header:  r.Header,
		Options: &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	}
	in.SetBodyBytes(r.Body)
	if err := openapi3filter.ValidateResponse(t.Context(), in); err != nil {
		t.Errorf("%s %s %d does not match the document: %v\nbody: %s", method, template, r.Status, err, r.Body)
	}
}
