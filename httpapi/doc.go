// Package httpapi is the Runtime API over HTTP: routing, request decoding,
// the one error mapper, the token endpoint, the OpenAPI document and the
// embedded docs page. It calls domain.Service for every rule and never
// touches a store directly.
//
// # Routes and the OpenAPI document
//
// routes() in server.go registers every route; Server.Routes lists them.
// GET /openapi.json (OpenAPI 3.0.3) is built in Go, once, from two tables
// in openapi.go, so that it follows the code:
//
//   - operations: one entry per route, under the same "METHOD /path" as
//     routes() (custom verbs written out, as in
//     "POST /sites/{site_id}:generateCredentials"). An entry gives the tag,
//     a summary, Login when a token is needed (this declares the one OAuth2
//     scheme and adds the 401), the body and response as zero values of
//     the wire structs, and the error statuses, each a shared response of
//     errorResponses ("default" covers 500).
//   - schemas: one entry per wire struct, naming it under
//     components/schemas. Properties, types and nullability come from the
//     struct by reflection (its json tags, in field order); Fields adds
//     descriptions, examples and constraints; Required lists what a request
//     body needs (responses require every field without omitempty).
//
// To add an endpoint: register it in routes(), add its operation (and its
// new wire structs to schemas), and add its success and error cases to
// TestResponsesMatchOpenAPI. The tests hold the document to the code:
// TestOpenAPIMatchesRoutes fails while a route has no operation or an
// operation no route (routes that are not API, such as the docs page, are
// listed in notInSpec); loadDocument validates the document with
// kin-openapi; TestOpenAPISecurityMatchesBehaviour checks that exactly the
// operations that answer 401 without a token declare the OAuth2 scheme;
// TestResponsesMatchOpenAPI checks real answers, status and body, against
// the document.
//
// # The docs page
//
// GET /docs is Swagger UI, from files embedded in the binary: nothing
// comes from a CDN. assets/swagger-ui holds the swagger-ui-dist npm
// package's files as published (VERSION, LICENSE and NOTICE beside them;
// scripts/update-swagger-ui.sh VERSION refreshes them); assets/docs holds
// this project's page, styles and runtime-docs.js, a Swagger UI plugin that
// titles the OAuth2 flows "User login" and "Site client login", keeps
// secrets out of the browser's storage and shows the Authorization header
// of the current login. Asset URLs carry a hash of their content and are
// cached for good; the page and openapi.json are revalidated by ETag. The
// page's Content-Security-Policy allows this server's files only.
// docs_browser_test.go drives the page in headless Chromium.
//
// It must not import sqlite, postgres or client (its tests use sqlite as a
// real store).
package httpapi
