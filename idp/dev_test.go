package idp

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/oauth2"
)

// clock is a test clock that only moves when told.
type clock struct{ offset atomic.Int64 }

func (c *clock) Now() time.Time          { return time.Now().Add(time.Duration(c.offset.Load())) }
func (c *clock) Advance(d time.Duration) { c.offset.Add(int64(d)) }

type devEnv struct {
	p     Provider
	cb    *catcher
	clock *clock
	b     *http.Client // follows redirects
	raw   *http.Client // does not
}

func newDevEnv(t *testing.T, mutate func(*Config)) devEnv {
	t.Helper()
	cb := newCatcher(t)
	c := Config{ID: "dev", Type: TypeDev, Name: "Dev <sign-in>"}
	if mutate != nil {
		mutate(&c)
	}
	clk := &clock{}
	p, err := NewRegistry().Open(context.Background(), c, Options{RedirectURI: cb.callbackURL, LoopbackBind: true, Now: clk.Now})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	lh, ok := p.(LocalHandler)
	if !ok {
		t.Fatal("the dev provider is not a LocalHandler")
	}
	if lh.Path() != "/auth/dev/dev" {
		t.Errorf("Path = %q", lh.Path())
	}
	cb.handle(lh.Path(), lh.Handler())
	raw := newBrowser(nil)
	raw.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return devEnv{p: p, cb: cb, clock: clk, b: newBrowser(nil), raw: raw}
}

// start runs LoginURL and fetches the form; it returns the form URL.
func (e devEnv) start(t *testing.T, req LoginRequest) string {
	t.Helper()
	u, err := e.p.LoginURL(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(u, e.cb.srv.URL+"/auth/dev/dev?state=") {
		t.Errorf("LoginURL = %s, want the form on our origin", u)
	}
	resp, body := browse(t, e.b, u)
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `name="state" value="`+req.State+`"`) {
		t.Fatalf("form: %d %.300s", resp.StatusCode, body)
	}
	return u
}

func (e devEnv) formAction() string { return e.cb.srv.URL + "/auth/dev/dev" }

// signIn submits the form and returns the callback request.
func (e devEnv) signIn(t *testing.T, req LoginRequest, form url.Values) *http.Request {
	t.Helper()
	e.start(t, req)
	form.Set("state", req.State)
	if !form.Has("action") {
		form.Set("action", "signin")
	}
	resp, body := postForm(t, e.b, e.formAction(), form)
	cb := e.cb.takeCallback()
	if cb == nil {
		t.Fatalf("POST ended at %s (%d): %.300s", resp.Request.URL, resp.StatusCode, body)
	}
	return cb
}

func TestDevRefusedOffLoopback(t *testing.T) {
	_, err := NewRegistry().Open(context.Background(), Config{ID: "dev", Type: TypeDev},
		Options{RedirectURI: "https://mcp.example.com/auth/callback", LoopbackBind: false})
	if err == nil {
		t.Fatal("dev IdP opened on a non-loopback bind")
	}
	mustContain(t, err.Error(), "the dev IdP is only available on a loopback bind")
	mustContain(t, err.Error(), `idp "dev"`)
}

func TestDevLogin(t *testing.T) {
	e := newDevEnv(t, nil)
	req := newLoginRequest(t)
	u, err := e.p.LoginURL(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	resp, body := browse(t, e.b, u)
	h := resp.Header
	if resp.StatusCode != http.StatusOK || !strings.Contains(h.Get("Content-Security-Policy"), "frame-ancestors 'none'") ||
		h.Get("X-Frame-Options") != "DENY" || h.Get("Cache-Control") != "no-store" || !strings.HasPrefix(h.Get("Content-Type"), "text/html") {
		t.Errorf("form response: %d %v", resp.StatusCode, h)
	}
	// The display name is escaped in the page.
	mustContain(t, body, "Dev &lt;sign-in&gt;")
	if strings.Contains(body, "<script") {
		t.Error("the form has a script")
	}

	cb := e.signInPending(t, req, url.Values{"username": {"bob"}, "email": {"bob@example.com"}, "groups": {" ops, dev ,,"}})
	id, err := e.p.HandleCallback(context.Background(), cb, req.LoginState())
	if err != nil {
		t.Fatalf("HandleCallback: %v", err)
	}
	if id.ProviderID != "dev" || id.Subject != "bob" || id.UserID() != "dev|bob" || id.Name != "bob" ||
		id.Email != "bob@example.com" || id.EmailVerified == nil || !*id.EmailVerified || !slices.Equal(id.Groups, []string{"ops", "dev"}) {
		t.Errorf("identity = %+v", id)
	}
	if id.Claims["sub"] != "bob" || id.Claims["email_verified"] != true {
		t.Errorf("claims = %v", id.Claims)
	}

	// The code is single use.
	_, err = e.p.HandleCallback(context.Background(), cb, req.LoginState())
	if !errors.Is(err, ErrExchange) {
		t.Errorf("second use of the code = %v, want ErrExchange", err)
	}
	// The login is spent: the same state cannot sign in again.
	resp, _ = postForm(t, e.raw, e.formAction(), url.Values{"state": {req.State}, "username": {"mallory"}, "action": {"signin"}})
	if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("Location") != "" {
		t.Errorf("replayed POST = %d, Location %q", resp.StatusCode, resp.Header.Get("Location"))
	}
}

func TestDevWithoutEmail(t *testing.T) {
	e := newDevEnv(t, nil)
	req := newLoginRequest(t)
	id, err := e.p.HandleCallback(context.Background(), e.signIn(t, req, url.Values{"username": {"carol"}}), req.LoginState())
	if err != nil {
		t.Fatal(err)
	}
	if id.Email != "" || id.EmailVerified != nil || id.Groups != nil {
		t.Errorf("identity = %+v", id)
	}
}

func TestDevForm(t *testing.T) {
	e := newDevEnv(t, nil)
	pending := newLoginRequest(t)
	e.start(t, pending)

	tests := []struct {
		name       string
		method     string
		target     string // path+query on our origin
		form       url.Values
		header     http.Header
		wantStatus int
		wantBody   []string
		notBody    []string
	}{
		{name: "GET with an unknown state", method: http.MethodGet, target: "/auth/dev/dev?state=nope",
			wantStatus: http.StatusBadRequest, wantBody: []string{"unknown, expired or already used"}, notBody: []string{"<form"}},
		{name: "GET without state", method: http.MethodGet, target: "/auth/dev/dev", wantStatus: http.StatusBadRequest},
		{name: "POST with an unknown state is no redirect", method: http.MethodPost, target: "/auth/dev/dev",
			form: url.Values{"state": {"forged"}, "username": {"x"}, "action": {"signin"}}, wantStatus: http.StatusBadRequest},
		{name: "POST cancel with an unknown state", method: http.MethodPost, target: "/auth/dev/dev",
			form: url.Values{"state": {"forged"}, "action": {"cancel"}}, wantStatus: http.StatusBadRequest},
		{name: "login_hint is escaped", method: http.MethodGet,
			target:     "/auth/dev/dev?state=" + url.QueryEscape(pending.State) + "&login_hint=" + url.QueryEscape(`"><script>alert(1)</script>`),
			wantStatus: http.StatusOK, wantBody: []string{`value="&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"`}, notBody: []string{"<script>alert(1)"}},
		{name: "invalid email re-renders, escaped, and keeps the login", method: http.MethodPost, target: "/auth/dev/dev",
			form:       url.Values{"state": {pending.State}, "username": {`<b>bob</b>`}, "email": {"not an email"}, "action": {"signin"}},
			wantStatus: http.StatusBadRequest, wantBody: []string{"Enter an email address", `value="&lt;b&gt;bob&lt;/b&gt;"`}, notBody: []string{"<b>bob"}},
		{name: "empty username", method: http.MethodPost, target: "/auth/dev/dev",
			form: url.Values{"state": {pending.State}, "username": {"  "}, "action": {"signin"}}, wantStatus: http.StatusBadRequest, wantBody: []string{"Enter a username"}},
		{name: "username too long", method: http.MethodPost, target: "/auth/dev/dev",
			form: url.Values{"state": {pending.State}, "username": {strings.Repeat("x", 65)}, "action": {"signin"}}, wantStatus: http.StatusBadRequest},
		{name: "display-name email refused", method: http.MethodPost, target: "/auth/dev/dev",
			form: url.Values{"state": {pending.State}, "username": {"bob"}, "email": {"Bob <bob@example.com>"}, "action": {"signin"}}, wantStatus: http.StatusBadRequest},
		{name: "cross-site POST (Sec-Fetch-Site)", method: http.MethodPost, target: "/auth/dev/dev",
			header: http.Header{"Sec-Fetch-Site": {"cross-site"}},
			form:   url.Values{"state": {pending.State}, "username": {"x"}, "action": {"signin"}}, wantStatus: http.StatusForbidden},
		{name: "cross-origin POST (Origin)", method: http.MethodPost, target: "/auth/dev/dev",
			header: http.Header{"Origin": {"https://evil.example"}},
			form:   url.Values{"state": {pending.State}, "username": {"x"}, "action": {"signin"}}, wantStatus: http.StatusForbidden},
		{name: "other method", method: http.MethodPut, target: "/auth/dev/dev", wantStatus: http.StatusMethodNotAllowed},
		{name: "other path", method: http.MethodGet, target: "/auth/dev/dev/x", wantStatus: http.StatusNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var body string
			r, _ := http.NewRequest(tt.method, e.cb.srv.URL+tt.target, strings.NewReader(tt.form.Encode()))
			if tt.form != nil {
				r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			}
			for k, v := range tt.header {
				r.Header[k] = v
			}
			resp, err := e.raw.Do(r)
			if err != nil {
				t.Fatal(err)
			}
			resp, body = readAll(t, resp)
			if resp.StatusCode != tt.wantStatus {
				t.Errorf("status = %d, want %d: %.300s", resp.StatusCode, tt.wantStatus, body)
			}
			if loc := resp.Header.Get("Location"); loc != "" && tt.wantStatus != http.StatusSeeOther {
				t.Errorf("redirected to %s", loc)
			}
			for _, s := range tt.wantBody {
				mustContain(t, body, s)
			}
			for _, s := range tt.notBody {
				if strings.Contains(body, s) {
					t.Errorf("body contains %q", s)
				}
			}
		})
	}
	// After all the refused POSTs, the pending login still signs in.
	id, err := e.p.HandleCallback(context.Background(), e.signInPending(t, pending, url.Values{"username": {"bob"}}), pending.LoginState())
	if err != nil || id.Subject != "bob" {
		t.Errorf("login after refusals = %+v, %v", id, err)
	}
}

// signInPending submits the form of an already started login.
func (e devEnv) signInPending(t *testing.T, req LoginRequest, form url.Values) *http.Request {
	t.Helper()
	form.Set("state", req.State)
	form.Set("action", "signin")
	// As a browser sends it: same-origin, with Origin and Sec-Fetch-Site.
	r, _ := http.NewRequest(http.MethodPost, e.formAction(), strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.Header.Set("Origin", e.cb.srv.URL)
	r.Header.Set("Sec-Fetch-Site", "same-origin")
	resp, err := e.b.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	readAll(t, resp)
	cb := e.cb.takeCallback()
	if cb == nil {
		t.Fatal("no callback")
	}
	return cb
}

func TestDevCallbackRefusals(t *testing.T) {
	tests := []struct {
		name     string
		config   func(*Config)
		tamper   func(e devEnv, cb *http.Request, st *LoginState)
		cancel   bool
		wantKind error
		wantType string
		wantText string
	}{
		{name: "user cancels", cancel: true, wantType: "callback", wantText: "access_denied"},
		{name: "code expired", tamper: func(e devEnv, _ *http.Request, _ *LoginState) { e.clock.Advance(61 * time.Second) },
			wantKind: ErrExchange, wantText: "expired"},
		{name: "wrong nonce", tamper: func(_ devEnv, _ *http.Request, st *LoginState) { st.Nonce = "x" }, wantKind: ErrInvalidCallback, wantText: "nonce"},
		{name: "wrong PKCE verifier", tamper: func(_ devEnv, _ *http.Request, st *LoginState) { st.PKCEVerifier = oauth2.GenerateVerifier() },
			wantKind: ErrExchange, wantText: "PKCE"},
		{name: "state mismatch", tamper: func(_ devEnv, _ *http.Request, st *LoginState) { st.State = "other" }, wantKind: ErrInvalidCallback, wantText: "state"},
		{name: "code of another login", tamper: func(_ devEnv, cb *http.Request, st *LoginState) {
			// The attacker's own code, replayed with the victim's state in the URL.
			q := cb.URL.Query()
			q.Set("state", "victim-state")
			cb.URL.RawQuery = q.Encode()
			st.State = "victim-state"
		}, wantKind: ErrInvalidCallback, wantText: "another login"},
		{name: "unknown code", tamper: func(_ devEnv, cb *http.Request, _ *LoginState) {
			q := cb.URL.Query()
			q.Set("code", "forged")
			cb.URL.RawQuery = q.Encode()
		}, wantKind: ErrExchange, wantText: "unknown"},
		{name: "access policy", config: func(c *Config) { c.Policy.AllowedGroups = []string{"admins"} }, wantType: "policy", wantText: "allowed_groups"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newDevEnv(t, tt.config)
			req := newLoginRequest(t)
			form := url.Values{"username": {"bob"}, "groups": {"ops"}}
			if tt.cancel {
				form.Set("action", "cancel")
			}
			cb := e.signIn(t, req, form)
			st := req.LoginState()
			if tt.tamper != nil {
				tt.tamper(e, cb, &st)
			}
			_, err := e.p.HandleCallback(context.Background(), cb, st)
			if err == nil {
				t.Fatal("accepted")
			}
			switch tt.wantType {
			case "callback":
				var ce *CallbackError
				if !errors.As(err, &ce) || ce.Code != "access_denied" {
					t.Fatalf("%v is not an access_denied *CallbackError", err)
				}
			case "policy":
				var pe *PolicyError
				if !errors.As(err, &pe) {
					t.Fatalf("%v is not a *PolicyError", err)
				}
			default:
				if !errors.Is(err, tt.wantKind) {
					t.Fatalf("%v is not %v", err, tt.wantKind)
				}
			}
			mustContain(t, err.Error(), tt.wantText)
		})
	}
}

func TestDevLoginURL(t *testing.T) {
	e := newDevEnv(t, nil)
	req := newLoginRequest(t)
	req.RedirectURI = "http://127.0.0.1:1/elsewhere"
	if _, err := e.p.LoginURL(context.Background(), req); err == nil {
		t.Error("LoginURL accepted another redirect URI")
	}
	req = newLoginRequest(t)
	if _, err := e.p.LoginURL(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	if _, err := e.p.LoginURL(context.Background(), req); err == nil {
		t.Error("LoginURL accepted a state twice")
	}
	// A pending login expires after 10 minutes.
	e.clock.Advance(11 * time.Minute)
	resp, _ := browse(t, e.raw, e.formAction()+"?state="+url.QueryEscape(req.State))
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("expired pending login: %d", resp.StatusCode)
	}
}
