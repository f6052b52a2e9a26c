package httpapi

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/nmdc-runtime/server/domain"
)

var screenshotPath = flag.String("authorize-screenshot", "",
	"write a screenshot of the open Authorize dialog to this file (the README's is ../docs/authorize.png)")

// findChromium returns the browser to drive, or skips (fails under CI).
func findChromium(t *testing.T) string {
	t.Helper()
	candidates := []string{os.Getenv("CHROMIUM"), "/usr/bin/chromium", "/usr/bin/chromium-browser"}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			candidates = append(candidates, p)
		}
	}
	for _, p := range candidates {
		if p == "" {
			continue
		}
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
			return p
		}
	}
	msg := "no Chromium found (looked for $CHROMIUM, /usr/bin/chromium and chromium on PATH): " +
		"install the Debian package chromium to run the browser test of the docs page"
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// browserPage is one headless Chromium tab on the docs page.
type browserPage struct {
	t   *testing.T
	ctx context.Context
	api string

	mu       sync.Mutex
	offsite  []string // requests that left the test server
	problems []string // CSP violations and uncaught exceptions
}

func openBrowser(t *testing.T, api string) *browserPage {
	t.Helper()
	execPath := findChromium(t)
	profile := t.TempDir() // removed after the browser stops (cleanups run in reverse)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(execPath),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(profile),
		chromedp.WindowSize(1280, 1000),
	)
	// Not t.Context(): the screenshot on failure runs in a cleanup, after
	// t.Context() is done.
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancelAlloc)
	ctx, cancel := chromedp.NewContext(allocCtx)
	t.Cleanup(cancel)
	p := &browserPage{t: t, ctx: ctx, api: api}
	err := chromedp.Listen(ctx, func(ev any) {
		p.mu.Lock()
		defer p.mu.Unlock()
		switch e := ev.(type) {
		case *network.EventRequestWillBeSent:
			u := e.Request.URL
			if !strings.HasPrefix(u, api+"/") && !strings.HasPrefix(u, "data:") && !strings.HasPrefix(u, "blob:") {
				p.offsite = append(p.offsite, u)
			}
		case *runtime.EventExceptionThrown:
			d := e.ExceptionDetails
			msg := d.Text
			if d.Exception != nil {
				msg += " " + d.Exception.Description
			}
			p.problems = append(p.problems, fmt.Sprintf("exception at %s:%d: %s", d.URL, d.LineNumber, msg))
		case *cdplog.EventEntryAdded:
			if e.Entry.Source == cdplog.EntrySourceSecurity || strings.Contains(e.Entry.Text, "Content Security Policy") {
				p.problems = append(p.problems, "security: "+e.Entry.Text)
			}
		case *runtime.EventConsoleAPICalled:
			if e.Type == runtime.ConsoleAPICalledTypeError {
				var parts []string
				for _, a := range e.Args {
					parts = append(parts, string(a.Value)+a.Description)
				}
				p.problems = append(p.problems, "console.error: "+strings.Join(parts, " "))
			}
		}
	})
	if err != nil {
		t.Fatalf("start Chromium (%s): %v", execPath, err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			p.saveScreenshot()
		}
	})
	return p
}

// saveScreenshot keeps the page as it was when the test failed: in the
// -artifacts directory when go test has one, else in testdata/out.
func (p *browserPage) saveScreenshot() {
	ctx, cancel := context.WithTimeout(p.ctx, 10*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		p.t.Logf("no screenshot of the failure: %v", err)
		return
	}
	dir := filepath.Join("testdata", "out")
	if f := flag.Lookup("test.artifacts"); f != nil && f.Value.String() == "true" {
		dir = p.t.ArtifactDir()
	}
	name := filepath.Join(dir, strings.NewReplacer("/", "_", " ", "_").Replace(p.t.Name())+".png")
	if err := os.MkdirAll(dir, 0o755); err == nil {
		err = os.WriteFile(name, png, 0o644)
	}
	if err != nil {
		p.t.Logf("no screenshot of the failure: %v", err)
		return
	}
	abs, _ := filepath.Abs(name)
	p.t.Logf("screenshot of the page at the failure: %s", abs)
}

// do runs browser steps, failing the test with what was being done.
func (p *browserPage) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		p.t.Fatalf("%s: %v", what, err)
	}
}

// runIn runs one browser action that returns a value.
func runIn[T any](p *browserPage, what string, a chromedp.Action[T]) T {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 30*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		p.t.Fatalf("%s: %v", what, err)
	}
	return v
}

// waitFor polls a JavaScript predicate.
func (p *browserPage) waitFor(what, js string) {
	p.t.Helper()
	runIn(p, what, chromedp.Poll[bool](js, chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(20*time.Second)))
}

func (p *browserPage) text(what, css string) string {
	p.t.Helper()
	return runIn(p, what, chromedp.Text(chromedp.CSS(css), chromedp.NodeVisible))
}

// click clicks an element with the mouse once it stands still: Swagger UI
// scrolls smoothly to an operation, and a click during the scroll misses.
func (p *browserPage) click(what, css string) {
	p.t.Helper()
	p.waitFor(what+" (still)", fmt.Sprintf(`(() => {
		const e = document.querySelector(%q);
		if (!e || e.getClientRects().length === 0) return false;
		const r = e.getBoundingClientRect();
		const key = [r.x, r.y, r.width, r.height].join();
		const seen = window.__stillness = window.__stillness || {};
		const s = seen[%q];
		if (s && s.key === key) { s.n++; } else { seen[%q] = {key, n: 0}; }
		return seen[%q].n >= 3;
	})()`, css, css, css, css))
	p.do(what, chromedp.Click(chromedp.CSS(css), chromedp.NodeVisible))
}

func (p *browserPage) checkClean() {
	p.t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.offsite) > 0 {
		p.t.Errorf("the docs page asked for something other than the server: %q", p.offsite)
	}
	if len(p.problems) > 0 {
		p.t.Errorf("the docs page reported problems:\n%s", strings.Join(p.problems, "\n"))
	}
}

// CSS selectors of the page.
const (
	authorizeButton = ".auth-wrapper > button.authorize"
	userSection     = ".runtime-login-user"
	clientSection   = ".runtime-login-client"
	getMe           = "#operations-user_accounts-getMe"
)

// isVisible is a JavaScript predicate: the element exists and is shown.
func isVisible(css string) string {
	return fmt.Sprintf(`(() => { const e = document.querySelector(%q); return !!e && e.getClientRects().length > 0 })()`, css)
}

func (p *browserPage) openDialog() {
	p.t.Helper()
	p.click("open the Authorize dialog", authorizeButton)
	p.waitFor("both login sections", isVisible(userSection)+" && "+isVisible(clientSection))
}

func (p *browserPage) closeDialog(section string) {
	p.t.Helper()
	p.click("close the dialog", section+" button.btn-done")
	p.do("the dialog closes", chromedp.WaitNotPresent(chromedp.CSS(".dialog-ux")))
}

// executeGetMe runs "Try it out" → Execute on GET /users/me and returns
// the response body the page shows, once it contains want.
func (p *browserPage) executeGetMe(want string) string {
	p.t.Helper()
	if !runIn(p, "is GET /users/me open", chromedp.Evaluate[bool](isVisible(getMe+" .try-out__btn"))) {
		p.click("open GET /users/me", getMe+" .opblock-summary-control")
		p.waitFor("GET /users/me opens", isVisible(getMe+" .try-out__btn"))
	}
	if runIn(p, "is Try it out needed", chromedp.Evaluate[bool](isVisible(getMe+" .try-out__btn:not(.cancel)"))) {
		p.click("Try it out", getMe+" .try-out__btn")
	}
	if runIn(p, "is there an old response", chromedp.Evaluate[bool](isVisible(getMe+" .btn-clear"))) {
		p.click("clear the old response", getMe+" .btn-clear")
	}
	p.click("Execute", getMe+" .execute")
	body := getMe + " .live-responses-table .response-col_description pre.microlight"
	p.waitFor("the response to GET /users/me", fmt.Sprintf(
		`(() => { const e = document.querySelector(%q); return !!e && e.textContent.includes(%q) })()`, body, want))
	status := p.text("the status of GET /users/me", getMe+" .live-responses-table .response .response-col_status")
	if !strings.HasPrefix(strings.TrimSpace(status), "200") {
		p.t.Fatalf("GET /users/me answered %q", status)
	}
	if d := p.text("the request duration", getMe+" .live-responses-table tr.response .response-col_description"); !strings.Contains(d, "Request duration") {
		p.t.Errorf("no request duration shown: %q", d)
	}
	if c := p.text("the curl command", getMe+" .curl-command"); !strings.Contains(c, "Authorization: Bearer ") {
		p.t.Errorf("the request was sent without the token: %q", c)
	}
	return p.text("the response body", body)
}

// TestDocsPageInBrowser follows the tutorial in a real browser: log in as
// a user in "User login", call GET /users/me, log out, log in as a site
// client in "Site client login", call it again, reload and stay logged in.
func TestDocsPageInBrowser(t *testing.T) {
	srv := startTestAPI(t)
	p := openBrowser(t, srv.URL)
	p.do("grant the page the clipboard", chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		for _, name := range []string{"clipboard-read", "clipboard-write"} {
			_, err := chromedp.CallBrowser(ctx, browser.SetPermission, browser.SetPermissionParams{
				Permission: &browser.PermissionDescriptor{Name: name},
				Setting:    browser.PermissionSettingGranted,
				Origin:     srv.URL,
			})
			if err != nil {
				return err
			}
		}
		return nil
	}))

	p.do("load /docs", chromedp.Navigate(srv.URL+"/docs"), chromedp.WaitVisible(chromedp.CSS(authorizeButton)))

	// The dialog: two sections with exactly these titles, no others.
	p.openDialog()
	titles := runIn(p, "section titles", chromedp.Evaluate[[]string](
		`Array.from(document.querySelectorAll(".auth-container h4")).filter(e => e.getClientRects().length > 0).map(e => e.textContent)`))
	if strings.Join(titles, "|") != "User login|Site client login" {
		t.Fatalf("section titles = %q, want User login and Site client login", titles)
	}
	for _, hidden := range []string{"#client_id_password", "#client_secret_password", "#password_type"} {
		if runIn(p, "hidden "+hidden, chromedp.Evaluate[bool](isVisible(userSection+" "+hidden))) {
			t.Errorf("User login shows %s", hidden)
		}
	}
	if *screenshotPath != "" {
		// Tall enough for the whole dialog, which otherwise scrolls.
		p.do("enlarge the page", chromedp.EmulateViewport(1000, 1300),
			chromedp.Evaluate[chromedp.Void](`document.querySelector(".modal-ux-content").style.maxHeight = "none"`))
		png := runIn(p, "screenshot of the dialog", chromedp.Screenshot(chromedp.CSS(".modal-ux-inner")))
		if err := os.WriteFile(*screenshotPath, png, 0o644); err != nil {
			t.Fatal(err)
		}
		p.do("restore the page", chromedp.ResetViewport(),
			chromedp.Evaluate[chromedp.Void](`document.querySelector(".modal-ux-content").style.maxHeight = ""`))
	}

	// User login.
	p.do("type the user's credentials",
		chromedp.SendKeys(chromedp.CSS(userSection+" #oauth_username"), testAdmin),
		chromedp.SendKeys(chromedp.CSS(userSection+" #oauth_password"), testAdminPassword),
	)
	p.click("Authorize as a user", userSection+" .auth-btn-wrapper button.authorize")
	p.waitFor("the user is logged in", isVisible(userSection+" h6"))
	section := p.text("the User login section", userSection)
	if !strings.Contains(section, "username: "+testAdmin) || !strings.Contains(section, "password: ******") ||
		!strings.Contains(section, "Logout") {
		t.Errorf("after login, User login shows:\n%s", section)
	}
	if !runIn(p, "the client form", chromedp.Evaluate[bool](isVisible(clientSection+" #client_id_clientCredentials"))) {
		t.Errorf("Site client login does not offer its form while a user is logged in")
	}
	p.closeDialog(userSection)

	// The bearer header, masked until shown, and copied.
	who := p.text("who is logged in", ".runtime-bearer-who")
	if who != "Logged in as user "+testAdmin {
		t.Errorf("bearer bar says %q", who)
	}
	if h := p.text("the masked header", ".runtime-bearer-header"); strings.Contains(h, "eyJ") {
		t.Errorf("the token shows before Show: %q", h)
	}
	p.click("Show", ".runtime-bearer-show")
	header := p.text("the header", ".runtime-bearer-header")
	if !strings.HasPrefix(header, "Authorization: Bearer eyJ") {
		t.Errorf("after Show the header is %q", header)
	}
	p.click("Copy", ".runtime-bearer-copy")
	p.waitFor("Copied", `document.querySelector(".runtime-bearer-copy").textContent === "Copied"`)
	clip := runIn(p, "read the clipboard", chromedp.Evaluate[string](`navigator.clipboard.readText()`, chromedp.EvalAwaitPromise))
	if clip != header {
		t.Errorf("clipboard holds %q, want the header", clip)
	}

	me := p.executeGetMe(`"username": "` + testAdmin + `"`)
	if !strings.Contains(me, domain.AdminSiteID) {
		t.Errorf("GET /users/me as the admin: %s", me)
	}

	// Log out.
	p.openDialog()
	p.click("Logout", userSection+" .auth-btn-wrapper button.authorize")
	p.waitFor("the user is logged out", isVisible(userSection+" #oauth_username"))
	p.closeDialog(userSection)
	p.do("no header after logout", chromedp.WaitNotPresent(chromedp.CSS(".runtime-bearer")))

	// Credentials for a site client, made over plain HTTP as in the tutorial.
	cred := siteCredentials(t, srv.URL, "test-site")
	clientID, clientSecret := cred.ClientID, cred.ClientSecret

	p.openDialog()
	p.do("type the client's credentials",
		chromedp.SendKeys(chromedp.CSS(clientSection+" #client_id_clientCredentials"), clientID),
		chromedp.SendKeys(chromedp.CSS(clientSection+" #client_secret_clientCredentials"), clientSecret),
	)
	p.click("Authorize as a site client", clientSection+" .auth-btn-wrapper button.authorize")
	p.waitFor("the client is logged in", isVisible(clientSection+" h6"))
	if !runIn(p, "the user form", chromedp.Evaluate[bool](isVisible(userSection+" #oauth_username"))) {
		t.Errorf("User login does not offer its form while a site client is logged in")
	}
	p.closeDialog(clientSection)
	if who := p.text("who is logged in", ".runtime-bearer-who"); who != "Logged in as site client "+clientID {
		t.Errorf("bearer bar says %q", who)
	}
	me = p.executeGetMe(`"username": "` + clientID + `"`)
	if !strings.Contains(me, `"site_id": "test-site"`) {
		t.Errorf("GET /users/me as the site client: %s", me)
	}

	// Reload: still logged in, and no secret was kept in the browser.
	p.do("reload", chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(authorizeButton+".locked")))
	// The page's address links to the open operation (deepLinking).
	p.waitFor("GET /users/me opens again", isVisible(getMe+".is-open .try-out__btn"))
	if who := p.text("who is logged in after reload", ".runtime-bearer-who"); who != "Logged in as site client "+clientID {
		t.Errorf("after reload the bearer bar says %q", who)
	}
	me = p.executeGetMe(`"site_id": "test-site"`)
	if !strings.Contains(me, clientID) {
		t.Errorf("GET /users/me after reload: %s", me)
	}
	stored := runIn(p, "localStorage", chromedp.Evaluate[string](`JSON.stringify(localStorage)`))
	if strings.Contains(stored, clientSecret) || strings.Contains(stored, testAdminPassword) {
		t.Errorf("the browser keeps a secret in localStorage: %s", stored)
	}
	p.openDialog()
	p.waitFor("Site client login shows the login", isVisible(clientSection+" h6"))
	p.closeDialog(clientSection)

	// Everything else the page can show, opened at once, within the policy.
	p.do("open every operation and the schemas", chromedp.Evaluate[chromedp.Void](`
		document.querySelectorAll(".opblock:not(.is-open) .opblock-summary-control").forEach(b => b.click());
		document.querySelector(".models-control").click();`))
	p.waitFor("everything opens", `document.querySelectorAll(".opblock:not(.is-open)").length === 0 &&
		document.querySelectorAll(".models.is-open .model-container").length > 0`)
	p.do("open every schema", chromedp.Evaluate[chromedp.Void](
		`document.querySelectorAll(".models .model-box-control").forEach(b => b.click())`))
	p.waitFor("the schemas open", `document.querySelectorAll(".models .model-box .property-row").length > 0`)

	p.checkClean()
}
