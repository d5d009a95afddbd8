package idp

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"net/mail"
	"net/url"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/oauth2"
)

// DevPathPrefix is where the dev IdP's sign-in forms live: the form of the
// dev entry with id ID is at <public-url>/auth/dev/ID ([DevProvider.Path]).
const DevPathPrefix = "/auth/dev/"

// Dev IdP limits.
const (
	devLoginTTL   = 10 * time.Minute // a pending login (LoginURL → form POST)
	devCodeTTL    = 60 * time.Second // a code (form POST → HandleCallback)
	devMaxPending = 1000             // pending logins, and again codes, kept at once
	devMaxBody    = 16 << 10
	devMaxGroups  = 50
)

// DevProvider is the "dev" kind: a local sign-in form where anyone types any
// username (and optionally an email and groups) and is signed in as that
// user. It exists to try the whole flow without an external IdP; it is
// refused unless the server is bound to loopback. The emails it returns are
// marked verified because the person at the keyboard typed them: never
// trust them for anything but testing.
//
// The AS mounts [DevProvider.Handler] at [DevProvider.Path] (it implements
// [LocalHandler]). GET shows the form for a pending login (?state=…, set by
// LoginURL; an optional login_hint pre-fills the username); POST either
// signs in — redirecting (303) to the configured redirect URI with a
// one-time code (60 s) and the state — or cancels, redirecting with
// error=access_denied. A POST must carry the state of a pending login, and
// the redirect target is always the configured redirect URI, so the form is
// no open redirect; the AS's state cookie at the callback defeats login CSRF.
type DevProvider struct {
	id, name   string
	policy     Policy
	redirect   string // Options.RedirectURI
	formURL    string // absolute URL of the form, without query
	path       string
	formAction string // CSP form-action sources
	now        func() time.Time
	logger     *slog.Logger

	mu      sync.Mutex
	pending map[string]devPending // by state
	codes   map[string]devCode    // by code
}

type devPending struct {
	nonce, challenge string
	expires          time.Time
}

type devCode struct {
	identity                Identity
	state, nonce, challenge string
	expires                 time.Time
}

var _ LocalHandler = (*DevProvider)(nil)

func openDevType(_ context.Context, c Config, opts Options) (Provider, error) {
	return OpenDev(c, opts)
}

// OpenDev builds a dev provider (what [Registry.Open] does for type "dev").
func OpenDev(c Config, opts Options) (*DevProvider, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	if c.Type != TypeDev {
		return nil, &ConfigError{IdP: c.ID, Field: "type", Msg: fmt.Sprintf("%q is not %q", c.Type, TypeDev)}
	}
	if !opts.LoopbackBind {
		return nil, &ConfigError{IdP: c.ID, Field: "type",
			Msg: "the dev IdP is only available on a loopback bind (it lets anyone sign in as anyone)"}
	}
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, fmt.Errorf("idp %q: %w", c.ID, err)
	}
	ru, _ := url.Parse(opts.RedirectURI) // checked by withDefaults
	path := DevPathPrefix + c.ID
	form := url.URL{Scheme: ru.Scheme, Host: ru.Host, Path: path}
	return &DevProvider{
		id:         c.ID,
		name:       c.DisplayName(),
		policy:     c.Policy,
		redirect:   opts.RedirectURI,
		formURL:    form.String(),
		path:       path,
		formAction: "'self' " + ru.Scheme + "://" + ru.Host,
		now:        opts.Now,
		logger:     opts.Logger.With(slog.String("idp", c.ID)),
		pending:    map[string]devPending{},
		codes:      map[string]devCode{},
	}, nil
}

// ID implements [Provider].
func (p *DevProvider) ID() string { return p.id }

// DisplayName implements [Provider].
func (p *DevProvider) DisplayName() string { return p.name }

// Path is where the AS mounts [DevProvider.Handler]: /auth/dev/<id>.
func (p *DevProvider) Path() string { return p.path }

// LoginURL registers the login as pending (10 minutes) and returns the
// form's URL for it.
func (p *DevProvider) LoginURL(_ context.Context, req LoginRequest) (string, error) {
	if err := req.validate(); err != nil {
		return "", fmt.Errorf("idp %q: %w", p.id, err)
	}
	if req.RedirectURI != "" && req.RedirectURI != p.redirect {
		return "", fmt.Errorf("idp %q: the dev IdP only redirects to %s", p.id, p.redirect)
	}
	now := p.now()
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.pending) >= devMaxPending {
		for s, e := range p.pending {
			if now.After(e.expires) {
				delete(p.pending, s)
			}
		}
		if len(p.pending) >= devMaxPending {
			return "", fmt.Errorf("idp %q: too many pending dev logins; try again later", p.id)
		}
	}
	if _, dup := p.pending[req.State]; dup {
		return "", fmt.Errorf("idp %q: state already in use", p.id)
	}
	p.pending[req.State] = devPending{
		nonce:     req.Nonce,
		challenge: oauth2.S256ChallengeFromVerifier(req.PKCEVerifier),
		expires:   now.Add(devLoginTTL),
	}
	return p.formURL + "?" + url.Values{"state": {req.State}}.Encode(), nil
}

// isPending reports whether state is a live pending login.
func (p *DevProvider) isPending(state string) bool {
	if state == "" {
		return false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	e, ok := p.pending[state]
	return ok && !p.now().After(e.expires)
}

// takePending removes and returns a live pending login.
func (p *DevProvider) takePending(state string) (devPending, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	e, ok := p.pending[state]
	if !ok {
		return devPending{}, false
	}
	delete(p.pending, state)
	if p.now().After(e.expires) {
		return devPending{}, false
	}
	return e, true
}

// Handler serves the sign-in form at [DevProvider.Path]. Cross-origin POSTs
// (by Sec-Fetch-Site or Origin) are refused with 403, on top of the state
// check; the form carries no CSRF token of the AS's own.
func (p *DevProvider) Handler() http.Handler {
	return new(http.CrossOriginProtection).Handler(http.HandlerFunc(p.serveHTTP))
}

func (p *DevProvider) serveHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'none'; style-src '"+devStyleHash+"'; form-action "+p.formAction+"; frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	if r.URL.Path != p.path {
		http.NotFound(w, r)
		return
	}
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		state := r.URL.Query().Get("state")
		if !p.isPending(state) {
			p.render(w, http.StatusBadRequest, devPage{Error: devUnknownLogin})
			return
		}
		p.render(w, http.StatusOK, devPage{State: state, Username: r.URL.Query().Get("login_hint")})
	case http.MethodPost:
		p.submit(w, r)
	default:
		h.Set("Allow", "GET, HEAD, POST")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	}
}

const devUnknownLogin = "This sign-in link is unknown, expired or already used. Start again from your application."

func (p *DevProvider) submit(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, devMaxBody)
	if err := r.ParseForm(); err != nil {
		p.render(w, http.StatusBadRequest, devPage{Error: "The form could not be read."})
		return
	}
	f := r.PostForm
	page := devPage{State: f.Get("state"), Username: f.Get("username"), Email: f.Get("email"), Groups: f.Get("groups")}
	if !p.isPending(page.State) {
		p.render(w, http.StatusBadRequest, devPage{Error: devUnknownLogin})
		return
	}
	if f.Get("action") == "cancel" {
		if _, ok := p.takePending(page.State); !ok {
			p.render(w, http.StatusBadRequest, devPage{Error: devUnknownLogin})
			return
		}
		p.redirectBack(w, r, url.Values{"error": {"access_denied"},
			"error_description": {"The user cancelled the sign-in."}, "state": {page.State}})
		return
	}
	id, msg := p.identityFromForm(page)
	if msg != "" {
		page.Error = msg
		p.render(w, http.StatusBadRequest, page)
		return
	}
	pend, ok := p.takePending(page.State)
	if !ok {
		p.render(w, http.StatusBadRequest, devPage{Error: devUnknownLogin})
		return
	}
	code, err := randomToken()
	if err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	now := p.now()
	p.mu.Lock()
	if len(p.codes) >= devMaxPending {
		for c, e := range p.codes {
			if now.After(e.expires) {
				delete(p.codes, c)
			}
		}
	}
	full := len(p.codes) >= devMaxPending
	if !full {
		p.codes[code] = devCode{identity: id, state: page.State, nonce: pend.nonce, challenge: pend.challenge, expires: now.Add(devCodeTTL)}
	}
	p.mu.Unlock()
	if full {
		p.render(w, http.StatusServiceUnavailable, devPage{Error: "Too many sign-ins at once; try again in a minute."})
		return
	}
	p.redirectBack(w, r, url.Values{"code": {code}, "state": {page.State}})
}

// redirectBack sends the browser to the configured redirect URI with params.
func (p *DevProvider) redirectBack(w http.ResponseWriter, r *http.Request, params url.Values) {
	u, _ := url.Parse(p.redirect)
	q := u.Query()
	for k, v := range params {
		q[k] = v
	}
	u.RawQuery = q.Encode()
	http.Redirect(w, r, u.String(), http.StatusSeeOther)
}

// identityFromForm checks the form and builds the identity, or returns a
// message for the user.
func (p *DevProvider) identityFromForm(f devPage) (Identity, string) {
	username := strings.TrimSpace(f.Username)
	switch {
	case username == "":
		return Identity{}, "Enter a username."
	case utf8.RuneCountInString(username) > 64 || strings.ContainsFunc(username, notPrintable):
		return Identity{}, "A username is at most 64 printable characters."
	}
	email := strings.TrimSpace(f.Email)
	if email != "" {
		a, err := mail.ParseAddress(email)
		if err != nil || a.Address != email || a.Name != "" || len(email) > 254 {
			return Identity{}, "Enter an email address like alice@example.com, or leave it empty."
		}
	}
	var groups []string
	for g := range strings.SplitSeq(f.Groups, ",") {
		g = strings.TrimSpace(g)
		if g == "" {
			continue
		}
		if utf8.RuneCountInString(g) > 128 || strings.ContainsFunc(g, notPrintable) {
			return Identity{}, "A group name is at most 128 printable characters."
		}
		groups = append(groups, g)
	}
	if len(groups) > devMaxGroups {
		return Identity{}, fmt.Sprintf("At most %d groups.", devMaxGroups)
	}
	claims := map[string]any{"sub": username, "name": username}
	id := Identity{ProviderID: p.id, Subject: username, Name: username, Groups: groups, Claims: claims}
	if email != "" {
		verified := true
		id.Email, id.EmailVerified = email, &verified
		claims["email"], claims["email_verified"] = email, true
	}
	if len(groups) > 0 {
		gs := make([]any, len(groups))
		for i, g := range groups {
			gs[i] = g
		}
		claims["groups"] = gs
	}
	return id, ""
}

func notPrintable(r rune) bool { return !unicode.IsPrint(r) }

// HandleCallback redeems the one-time code the form issued. The code is
// single use (gone after the first attempt, right or wrong), expires after
// 60 s, and is bound to the login's state, nonce and PKCE verifier.
func (p *DevProvider) HandleCallback(ctx context.Context, r *http.Request, st LoginState) (Identity, error) {
	if ce := callbackError(p.id, r); ce != nil {
		p.logger.InfoContext(ctx, "dev login cancelled", slog.String("error", ce.Code))
		return Identity{}, ce
	}
	if err := st.validate(); err != nil {
		return Identity{}, fmt.Errorf("idp %q: %w: %w", p.id, ErrInvalidCallback, err)
	}
	q := r.URL.Query()
	if subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(st.State)) != 1 {
		return Identity{}, fmt.Errorf("idp %q: %w: state does not match this login", p.id, ErrInvalidCallback)
	}
	code := q.Get("code")
	if code == "" {
		return Identity{}, fmt.Errorf("idp %q: %w: no code in the callback", p.id, ErrInvalidCallback)
	}
	if st.RedirectURI != "" && st.RedirectURI != p.redirect {
		return Identity{}, fmt.Errorf("idp %q: %w: redirect URI differs from the configured one", p.id, ErrInvalidCallback)
	}
	p.mu.Lock()
	e, ok := p.codes[code]
	delete(p.codes, code)
	p.mu.Unlock()
	switch {
	case !ok:
		return Identity{}, fmt.Errorf("idp %q: %w: unknown or already used code", p.id, ErrExchange)
	case p.now().After(e.expires):
		return Identity{}, fmt.Errorf("idp %q: %w: the code expired", p.id, ErrExchange)
	case subtle.ConstantTimeCompare([]byte(e.state), []byte(st.State)) != 1:
		return Identity{}, fmt.Errorf("idp %q: %w: the code belongs to another login", p.id, ErrInvalidCallback)
	case subtle.ConstantTimeCompare([]byte(e.nonce), []byte(st.Nonce)) != 1:
		return Identity{}, fmt.Errorf("idp %q: %w: nonce does not match this login", p.id, ErrInvalidCallback)
	case subtle.ConstantTimeCompare([]byte(e.challenge), []byte(oauth2.S256ChallengeFromVerifier(st.PKCEVerifier))) != 1:
		return Identity{}, fmt.Errorf("idp %q: %w: PKCE verifier does not match", p.id, ErrExchange)
	}
	if err := p.policy.Allows(e.identity); err != nil {
		p.logger.InfoContext(ctx, "dev login refused by policy", slog.String("error", err.Error()))
		return Identity{}, err
	}
	p.logger.InfoContext(ctx, "dev login", slog.String("user", e.identity.UserID()))
	return e.identity, nil
}

// devPage is the form template's data.
type devPage struct {
	Title, Action                  string
	State, Username, Email, Groups string
	Error                          string
}

func (p *DevProvider) render(w http.ResponseWriter, status int, d devPage) {
	d.Title, d.Action = p.name, p.path
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	if err := devTemplate.Execute(w, d); err != nil {
		p.logger.Error("dev form", slog.String("error", err.Error()))
	}
}

const devStyle = `body{font:16px/1.5 system-ui,sans-serif;margin:0;background:#f4f5f7;color:#1d2430}` +
	`main{max-width:26rem;margin:3rem auto;background:#fff;padding:1.5rem 2rem;border-radius:8px;box-shadow:0 1px 4px #0002}` +
	`h1{font-size:1.3rem;margin-top:0}label{display:block;margin:.8rem 0 .2rem;font-weight:600}` +
	`input{width:100%;box-sizing:border-box;padding:.45rem;font:inherit;border:1px solid #aab;border-radius:4px}` +
	`.note{font-size:.9rem;background:#fff6dd;border:1px solid #e8c96a;padding:.5rem .7rem;border-radius:4px}` +
	`.error{color:#a10000;font-weight:600}.buttons{margin-top:1.2rem;display:flex;gap:.6rem}` +
	`button{font:inherit;padding:.45rem 1.1rem;border-radius:4px;border:1px solid #345;background:#345;color:#fff}` +
	`button.secondary{background:#fff;color:#345}`

var devStyleHash = func() string {
	sum := sha256.Sum256([]byte(devStyle))
	return "sha256-" + base64.StdEncoding.EncodeToString(sum[:])
}()

var devTemplate = template.Must(template.New("dev").Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}} (development sign-in)</title>
<style>` + devStyle + `</style>
</head>
<body>
<main>
<h1>{{.Title}}</h1>
<p class="note">Development sign-in: whoever reaches this page can sign in as any user. It is only offered on a loopback bind, for testing.</p>
{{if .Error}}<p class="error" role="alert">{{.Error}}</p>{{end}}
{{if .State}}<form method="post" action="{{.Action}}">
<input type="hidden" name="state" value="{{.State}}">
<label for="username">Username</label>
<input id="username" name="username" value="{{.Username}}" required maxlength="64" autocomplete="username" autofocus>
<label for="email">Email (optional)</label>
<input id="email" name="email" type="email" value="{{.Email}}" maxlength="254" autocomplete="email">
<label for="groups">Groups (optional, comma-separated)</label>
<input id="groups" name="groups" value="{{.Groups}}">
<div class="buttons">
<button type="submit" name="action" value="signin">Sign in</button>
<button type="submit" name="action" value="cancel" class="secondary" formnovalidate>Cancel</button>
</div>
</form>{{end}}
</main>
</body>
</html>
`))
