// Package httpapi is the Runtime API over HTTP: routing, request decoding,
// the one error mapper, the token endpoint, the OpenAPI document and the
// embedded docs page. It calls domain.Service for every rule and never
// touches a store directly.
//
// It must not import sqlite, postgres or client.
package httpapi
