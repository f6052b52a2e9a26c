package httpapi

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"html/template"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nmdc-runtime/server/domain"
)

// assets holds the docs page: Swagger UI as shipped by the swagger-ui-dist
// npm package (assets/swagger-ui, refreshed by
// scripts/update-swagger-ui.sh) and this project's page, script and styles
// (assets/docs). Nothing is fetched from elsewhere.
//
//go:embed assets
var assets embed.FS

// docsCSP lets the docs page load only what this server serves; Swagger
// UI's icons are data: URIs. Nothing inline is allowed: Swagger UI sets
// styles through the DOM, which CSP allows, and the only style attribute it
// writes into markup (column alignment in Markdown tables) is dropped
// harmlessly. The browser test fails on any violation.
const docsCSP = "default-src 'none'; script-src 'self'; style-src 'self'; " +
	"img-src 'self' data:; connect-src 'self'; font-src 'self'; base-uri 'none'; " +
	"form-action 'self'; frame-ancestors 'none'"

// immutable is the Cache-Control of an asset asked for by its versioned
// URL (…?v=<hash of its content>): the content at that URL never changes.
const immutable = "public, max-age=31536000, immutable"

// servedFile is a file ready to serve: its strong ETag, a short version
// for cache-busting URLs, and a gzipped copy made on first use.
type servedFile struct {
	name    string
	body    []byte
	version string
	gzipped func() []byte
}

func newServedFile(name string, body []byte) servedFile {
	sum := sha256.Sum256(body)
	f := servedFile{name: name, body: body, version: hex.EncodeToString(sum[:8])}
	f.gzipped = sync.OnceValue(func() []byte {
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		_, _ = zw.Write(body)
		_ = zw.Close()
		return buf.Bytes()
	})
	return f
}

// serve writes f with the given Cache-Control, answering conditional and
// range requests, gzipped when the client accepts it.
func (f servedFile) serve(w http.ResponseWriter, r *http.Request, cacheControl string) {
	h := w.Header()
	h.Set("Cache-Control", cacheControl)
	ct := mime.TypeByExtension(path.Ext(f.name))
	if ct == "" {
		ct = "text/plain; charset=utf-8"
	}
	h.Set("Content-Type", ct)
	body, etag := f.body, f.version
	if compressible(ct) {
		h.Add("Vary", "Accept-Encoding")
		if acceptsGzip(r) {
			body, etag = f.gzipped(), f.version+"-gzip"
			h.Set("Content-Encoding", "gzip")
		}
	}
	h.Set("ETag", strconv.Quote(etag))
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(body))
}

func compressible(contentType string) bool {
	return strings.HasPrefix(contentType, "text/") || strings.HasPrefix(contentType, "application/json")
}

// acceptsGzip reads Accept-Encoding (RFC 9110 §12.5.3), honouring q=0.
func acceptsGzip(r *http.Request) bool {
	for _, v := range r.Header.Values("Accept-Encoding") {
		for part := range strings.SplitSeq(v, ",") {
			coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
			if !strings.EqualFold(strings.TrimSpace(coding), "gzip") {
				continue
			}
			q := 1.0
			for p := range strings.SplitSeq(params, ";") {
				k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
				if strings.EqualFold(strings.TrimSpace(k), "q") {
					q, _ = strconv.ParseFloat(strings.TrimSpace(v), 64)
				}
			}
			return q > 0
		}
	}
	return false
}

// docsAssets are the files under /docs/, by name.
var docsAssets = sync.OnceValue(func() map[string]servedFile {
	m := map[string]servedFile{}
	for _, dir := range []string{"assets/swagger-ui", "assets/docs"} {
		entries, err := fs.ReadDir(assets, dir)
		if err != nil {
			panic(err)
		}
		for _, e := range entries {
			if e.IsDir() || e.Name() == "index.html" {
				continue
			}
			b, err := fs.ReadFile(assets, dir+"/"+e.Name())
			if err != nil {
				panic(err)
			}
			if _, dup := m[e.Name()]; dup {
				panic("httpapi: two docs assets are named " + e.Name())
			}
			m[e.Name()] = newServedFile(e.Name(), b)
		}
	}
	return m
})

// docsPageFile is the docs page, its asset URLs carrying their versions.
var docsPageFile = sync.OnceValue(func() servedFile {
	tmpl := template.Must(template.New("index.html").Funcs(template.FuncMap{
		"asset": func(name string) (string, error) {
			f, ok := docsAssets()[name]
			if !ok {
				return "", fs.ErrNotExist
			}
			// Relative to /docs, so that the page also works below a
			// path prefix.
			return "docs/" + name + "?v=" + f.version, nil
		},
	}).ParseFS(assets, "assets/docs/index.html"))
	var buf bytes.Buffer
	if err := tmpl.Execute(&buf, nil); err != nil {
		panic(err)
	}
	return newServedFile("index.html", buf.Bytes())
})

func setDocsHeaders(h http.Header) {
	h.Set("Content-Security-Policy", docsCSP)
	h.Set("X-Frame-Options", "DENY")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
}

// getOpenAPI is GET /openapi.json.
func (s *Server) getOpenAPI(w http.ResponseWriter, r *http.Request) error {
	s.openAPI.serve(w, r, "no-cache")
	return nil
}

// docsPage is GET /docs: Swagger UI on the OpenAPI document.
func (s *Server) docsPage(w http.ResponseWriter, r *http.Request) error {
	setDocsHeaders(w.Header())
	docsPageFile().serve(w, r, "no-cache")
	return nil
}

// docsAsset is GET /docs/{asset}: a script, style sheet, icon or licence
// of the docs page.
func (s *Server) docsAsset(w http.ResponseWriter, r *http.Request) error {
	f, ok := docsAssets()[r.PathValue("asset")]
	if !ok {
		return domain.Errorf(domain.NotFound, "Not Found: the docs page has no file %q", truncate(r.PathValue("asset"), 100))
	}
	cc := "public, max-age=300"
	if r.URL.Query().Get("v") == f.version {
		cc = immutable
	}
	setDocsHeaders(w.Header())
	f.serve(w, r, cc)
	return nil
}
