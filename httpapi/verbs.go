package httpapi

import (
	"net/http"
	"sort"
	"strings"

	"github.com/nmdc-runtime/server/domain"
)

// verbFunc handles a custom method on one resource; id is the path segment
// before the verb.
type verbFunc func(s *Server, w http.ResponseWriter, r *http.Request, p domain.Principal, id string) error

// customMethods dispatches AIP-136 style custom methods,
// "POST /collection/{id}:verb": net/http patterns take whole segments, so
// the route's last wildcard holds "{id}:verb" and this one function splits
// it at the last ':' (new ids never contain one; an imported id that does
// still works, since only the last ':' counts). Unknown verbs and a missing
// id are 404s that name the verbs this resource has; authentication comes
// after, so probing verbs needs no token and reveals only the route table.
func (s *Server) customMethods(wildcard, resource string, verbs map[string]verbFunc) handlerFunc {
	names := make([]string, 0, len(verbs))
	for v := range verbs {
		names = append(names, ":"+v)
	}
	sort.Strings(names)
	usage := "POST " + resource + "{" + strings.Join(names, "|") + "}"
	return func(w http.ResponseWriter, r *http.Request) error {
		seg := r.PathValue(wildcard)
		i := strings.LastIndexByte(seg, ':')
		if i < 0 {
			return domain.Errorf(domain.NotFound, "Not Found: no custom method in the path; use %s", usage)
		}
		if i == 0 {
			return domain.Errorf(domain.NotFound, "Not Found: the path has no id before ':'; use %s", usage)
		}
		verb, ok := verbs[seg[i+1:]]
		if !ok {
			return domain.Errorf(domain.NotFound, "Not Found: unknown method %q; use %s", truncate(seg[i+1:], 50), usage)
		}
		return s.authed(func(w http.ResponseWriter, r *http.Request, p domain.Principal) error {
			return verb(s, w, r, p, seg[:i])
		})(w, r)
	}
}
