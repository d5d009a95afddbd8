package oauthserver

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/ory/fosite"

	"github.com/zscalermcp/zscaler-mcp/idp"
	"github.com/zscalermcp/zscaler-mcp/store"
	"github.com/zscalermcp/zscaler-mcp/web"
)

// LoginConfig configures NewLoginAuthenticator.
type LoginConfig struct {
	// Providers are the upstream IdPs users sign in with. Required, at
	// least one. LoginAuthenticator.SetProviders replaces them at run time
	// (a configuration reload).
	Providers *idp.Set
	// Store holds the clients and the remembered consents. Required.
	Store store.Store
	// PublicURL is the server's public URL (the issuer). Required. An
	// https URL gets the __Host- cookie; a plain-http one (allowed on a
	// loopback bind only) gets the same cookie without the prefix and
	// without Secure (see LoginAuthenticator).
	PublicURL string
	// Pages renders the HTML pages; nil means web.New().
	Pages *web.Pages
	// LoginTTL bounds a login from /authorize to the consent answer
	// (default 10 minutes, like Config.PendingTTL).
	LoginTTL time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Logger receives structured logs, never secrets (default: discard).
	Logger *slog.Logger
}

// maxLogins bounds the in-memory login table (as the pending table).
const maxLogins = 20000

// loginCookieName is the browser-binding cookie; on https it carries the
// __Host- prefix (Secure, Path=/, no Domain: it cannot be set by a sibling
// subdomain).
const loginCookieName = "zmcp_login"

// LoginAuthenticator is the Authenticator of the oidcproxy mode: it runs
// the federated login (IdP chooser, upstream login, callback) and the
// consent page, then calls Server.Resume or Server.Deny.
//
// State lives in memory, like the server's pending requests (which do not
// survive a restart either): a login record per pending authorization
// request, keyed by its pending id, and an index from the upstream state
// to that record. Records expire after LoginTTL and are single use.
//
// Browser binding: Authenticate gives the browser a random 256-bit
// binding id in an HttpOnly, SameSite=Lax, Path=/ cookie (reused when the
// browser already has one, so logins in two tabs coexist) and records it
// in the login. Every later step (/login, /login/{idp}, /auth/callback,
// /consent) requires that cookie, so a pending id or an upstream state
// leaked or planted by someone else (login CSRF) is useless in another
// browser. On an https public URL the cookie is
// __Host-zmcp_login and Secure; on a plain-http public URL (loopback
// only) it is zmcp_login without Secure, because user agents other than
// browsers (and Go's cookie jar) do not send Secure cookies over http.
//
// CSRF: the consent POST must carry csrf_token, a random 256-bit value
// generated after the upstream login and stored in the login record (so
// tied to the pending request and, through the record, to the cookie);
// it is compared in constant time and a mismatch gets a 403 page. POSTs
// are also refused cross-origin (http.CrossOriginProtection: Sec-Fetch-Site
// or Origin). The dev IdP's form is mounted beside these routes without
// our token; it has its own protection (pending state, cross-origin check).
//
// Reloads: SetProviders swaps the provider set atomically. A login keeps
// the provider object it started with (its upstream state, nonce and PKCE
// verifier belong to it), so a login in flight through an IdP whose entry
// changed finishes against the old one and is then also checked against
// the new entry's access policy; a login through an IdP that was removed
// ends on a clear page, and no code is issued for it afterwards.
type LoginAuthenticator struct {
	cfg       LoginConfig
	providers atomic.Pointer[idp.Set]
	// swapMu orders SetProviders after every finish that checked the old
	// set: once SetProviders returns, no code for a removed IdP's user can
	// still be written (so revoking that IdP's grants afterwards is final).
	swapMu    sync.RWMutex
	pages     *web.Pages
	secure    bool
	cookie    string
	srvMu     sync.RWMutex
	srv       *Server
	mu        sync.Mutex
	logins    map[string]*login // by pending id
	byState   map[string]string // upstream state → pending id
	lastSweep time.Time
	crossOrig *http.CrossOriginProtection
}

// login is one login in progress.
type login struct {
	pendingID string
	req       AuthorizationRequest
	binding   string // the browser's binding id (cookie value)
	expires   time.Time

	prov       idp.Provider   // chosen IdP, once /login/{idp} ran (kept across reloads)
	loginState idp.LoginState // valid while the upstream login runs
	identity   *idp.Identity  // set by the callback
	csrf       string         // set with identity
}

// NewLoginAuthenticator returns the login and consent Authenticator. Mount
// its routes with Mount once the Server exists (the Server takes the
// authenticator in its Config, the authenticator needs the Server to
// resume requests).
func NewLoginAuthenticator(cfg LoginConfig) (*LoginAuthenticator, error) {
	if cfg.Providers == nil || cfg.Providers.Len() == 0 {
		return nil, errors.New("oauthserver: login: no identity provider configured")
	}
	if cfg.Store == nil {
		return nil, errors.New("oauthserver: login: Store is required")
	}
	u, err := url.Parse(cfg.PublicURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("oauthserver: login: invalid public URL %q", cfg.PublicURL)
	}
	if u.Scheme == "http" && !isLoopbackHost(u.Hostname()) {
		// The binding cookie would travel in clear text.
		return nil, fmt.Errorf("oauthserver: login: public URL %q: http is allowed on loopback only", cfg.PublicURL)
	}
	if cfg.Pages == nil {
		if cfg.Pages, err = web.New(); err != nil {
			return nil, fmt.Errorf("oauthserver: login: %w", err)
		}
	}
	if cfg.LoginTTL <= 0 {
		cfg.LoginTTL = 10 * time.Minute
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	a := &LoginAuthenticator{
		cfg: cfg, pages: cfg.Pages, secure: u.Scheme == "https", cookie: loginCookieName,
		logins: make(map[string]*login), byState: make(map[string]string),
		crossOrig: new(http.CrossOriginProtection),
	}
	if a.secure {
		a.cookie = "__Host-" + loginCookieName
	}
	a.providers.Store(cfg.Providers)
	return a, nil
}

// Providers returns the current provider set.
func (a *LoginAuthenticator) Providers() *idp.Set { return a.providers.Load() }

// SetProviders replaces the provider set (a configuration reload): the
// chooser, new logins and the refresh policy use s from now on. It returns
// once no login is still finishing against the previous set. s must hold
// at least one provider. A dev provider added by a reload is served at its
// path when that path is under idp.DevPathPrefix (every dev provider's is).
func (a *LoginAuthenticator) SetProviders(s *idp.Set) error {
	if s == nil || s.Len() == 0 {
		return errors.New("oauthserver: login: no identity provider configured")
	}
	a.swapMu.Lock()
	defer a.swapMu.Unlock()
	a.providers.Store(s)
	return nil
}

// Mount adds the login routes to r and binds the authenticator to srv:
// GET /login (chooser), GET /login/{idp}, GET /auth/callback, GET and
// POST /consent, the static files at /static/, and the pages of the
// providers that implement idp.LocalHandler (the dev IdP's form) at their
// Path: every path under idp.DevPathPrefix, looked up in the current set
// at request time (so a reload can add one), plus the paths elsewhere of
// the providers configured now. Every response carries
// web.SetSecurityHeaders' headers (a local handler may replace them with
// its own).
func (a *LoginAuthenticator) Mount(r chi.Router, srv *Server) {
	a.srvMu.Lock()
	a.srv = srv
	a.srvMu.Unlock()
	r.Handle(web.StaticPrefix+"*", web.Static())
	r.Group(func(r chi.Router) {
		r.Use(func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				web.SetSecurityHeaders(w.Header())
				next.ServeHTTP(w, r)
			})
		})
		r.Get("/login", a.handleChooser)
		r.Get("/login/{idp}", a.handleLogin)
		r.Get("/auth/callback", a.handleCallback)
		r.Get("/consent", a.handleConsentPage)
		r.Post("/consent", a.crossOriginGuard(a.handleConsentPost))
		// Pages of providers that serve their own (the dev IdP's form),
		// found at request time so that a reload can add or replace them.
		// Exempt from our csrf_token: the dev form has its own protection
		// (pending state, cross-origin refusal).
		r.Handle(idp.DevPathPrefix+"*", http.HandlerFunc(a.serveLocal))
		for _, p := range a.Providers().List() {
			if lh, ok := p.(idp.LocalHandler); ok && !strings.HasPrefix(lh.Path(), idp.DevPathPrefix) {
				r.Handle(lh.Path(), http.HandlerFunc(a.serveLocal))
			}
		}
	})
}

func (a *LoginAuthenticator) server() *Server {
	a.srvMu.RLock()
	defer a.srvMu.RUnlock()
	return a.srv
}

// Authenticate implements Authenticator: it records the login, binds it to
// the browser and redirects to the chooser (or, with one IdP, straight to
// /login/{idp}).
func (a *LoginAuthenticator) Authenticate(w http.ResponseWriter, r *http.Request, req *AuthorizationRequest) (*Subject, error) {
	if a.server() == nil {
		return nil, fosite.ErrServerError.WithHint("The login pages are not mounted.")
	}
	binding := a.bindingOf(r)
	if binding == "" {
		var err error
		if binding, err = randomID(); err != nil {
			return nil, fosite.ErrServerError.WithWrap(err)
		}
	}
	now := a.cfg.Now()
	a.mu.Lock()
	a.sweepLocked(now)
	if len(a.logins) >= maxLogins {
		a.mu.Unlock()
		return nil, fosite.ErrTemporarilyUnavailable.WithHint("Too many logins in progress; try again shortly.")
	}
	a.logins[req.PendingID] = &login{pendingID: req.PendingID, req: cloneAuthzRequest(req), binding: binding, expires: now.Add(a.cfg.LoginTTL)}
	a.mu.Unlock()

	a.setCookie(w, binding)
	target := "/login?pending=" + url.QueryEscape(req.PendingID)
	if ps := a.Providers().List(); len(ps) == 1 {
		target = loginPath(ps[0].ID(), req.PendingID)
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
	return nil, nil
}

func cloneAuthzRequest(req *AuthorizationRequest) AuthorizationRequest {
	c := *req
	c.Client = req.Client.Clone()
	c.Scopes = append([]string(nil), req.Scopes...)
	return c
}

func loginPath(providerID, pendingID string) string {
	return "/login/" + url.PathEscape(providerID) + "?pending=" + url.QueryEscape(pendingID)
}

// sweepLocked drops expired logins: at most every 10 seconds, or when the
// table is full (finished logins are removed at once; only abandoned ones
// wait for a sweep).
func (a *LoginAuthenticator) sweepLocked(now time.Time) {
	if len(a.logins) < maxLogins && now.Sub(a.lastSweep) < 10*time.Second {
		return
	}
	a.lastSweep = now
	for id, l := range a.logins {
		if now.After(l.expires) {
			a.dropLocked(id, l)
		}
	}
}

func (a *LoginAuthenticator) dropLocked(id string, l *login) {
	if l.loginState.State != "" {
		delete(a.byState, l.loginState.State)
	}
	delete(a.logins, id)
}

func (a *LoginAuthenticator) setCookie(w http.ResponseWriter, binding string) {
	http.SetCookie(w, &http.Cookie{
		Name: a.cookie, Value: binding, Path: "/",
		Secure: a.secure, HttpOnly: true, SameSite: http.SameSiteLaxMode,
		MaxAge: int(a.cfg.LoginTTL / time.Second),
	})
}

// bindingOf returns the browser's binding id from its cookie, "" if it has
// none (or a malformed one).
func (a *LoginAuthenticator) bindingOf(r *http.Request) string {
	c, err := r.Cookie(a.cookie)
	if err != nil || len(c.Value) != 43 {
		return ""
	}
	if _, err := base64.RawURLEncoding.DecodeString(c.Value); err != nil {
		return ""
	}
	return c.Value
}

// errLogin is why a login step refused the browser; each becomes a page.
var (
	errNoLogin   = errors.New("unknown or expired login")
	errNoCookie  = errors.New("login not bound to this browser")
	errWrongStep = errors.New("login step out of order")
)

// withLogin runs f on the live login pendingID if the request carries its
// browser binding; f runs under the lock.
func (a *LoginAuthenticator) withLogin(r *http.Request, pendingID string, f func(l *login) error) error {
	binding := a.bindingOf(r)
	now := a.cfg.Now()
	a.mu.Lock()
	defer a.mu.Unlock()
	l, ok := a.logins[pendingID]
	if !ok || pendingID == "" {
		return errNoLogin
	}
	if now.After(l.expires) {
		a.dropLocked(pendingID, l)
		return errNoLogin
	}
	if binding == "" || subtle.ConstantTimeCompare([]byte(binding), []byte(l.binding)) != 1 {
		return errNoCookie
	}
	return f(l)
}

// chooserItem is one button of the IdP chooser.
type chooserItem struct{ Name, URL string }

func (a *LoginAuthenticator) handleChooser(w http.ResponseWriter, r *http.Request) {
	pending := r.URL.Query().Get("pending")
	var clientName string
	if err := a.withLogin(r, pending, func(l *login) error {
		clientName = displayClientName(l.req.Client)
		return nil
	}); err != nil {
		a.loginError(w, r, err)
		return
	}
	var items []chooserItem
	for _, p := range a.Providers().List() {
		items = append(items, chooserItem{Name: p.DisplayName(), URL: loginPath(p.ID(), pending)})
	}
	a.render(w, http.StatusOK, web.PageChooser, struct {
		ClientName string
		Providers  []chooserItem
	}{clientName, items})
}

func (a *LoginAuthenticator) handleLogin(w http.ResponseWriter, r *http.Request) {
	pending := r.URL.Query().Get("pending")
	p, ok := a.Providers().Get(chi.URLParam(r, "idp"))
	if !ok {
		a.errorPage(w, http.StatusNotFound, errorData{Title: "Unknown sign-in method",
			Message: "This server has no identity provider by that name."})
		return
	}
	lr, err := idp.NewLoginRequest()
	if err != nil {
		a.tryAgain(w, "", fmt.Errorf("new login request: %w", err))
		return
	}
	if err := a.withLogin(r, pending, func(l *login) error {
		if l.identity != nil {
			return errWrongStep
		}
		if l.loginState.State != "" { // an earlier attempt: forget it
			delete(a.byState, l.loginState.State)
		}
		l.prov, l.loginState = p, lr.LoginState()
		a.byState[lr.State] = pending
		return nil
	}); err != nil {
		a.loginError(w, r, err)
		return
	}
	u, err := p.LoginURL(r.Context(), lr)
	if err != nil {
		a.cfg.Logger.WarnContext(r.Context(), "login URL", "idp", p.ID(), "err", err)
		a.errorPage(w, http.StatusBadGateway, errorData{Title: "Sign-in is unavailable",
			Message:  fmt.Sprintf("%s could not be reached. Try again in a moment.", p.DisplayName()),
			RetryURL: loginPath(p.ID(), pending)})
		return
	}
	http.Redirect(w, r, u, http.StatusSeeOther)
}

func (a *LoginAuthenticator) handleCallback(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	state := r.URL.Query().Get("state")
	pending, st, p, ok := a.takeState(state)
	if !ok {
		a.errorPage(w, http.StatusBadRequest, errorData{Title: "This sign-in link is no longer valid",
			Message: "The sign-in was already completed, has expired, or did not start here."})
		return
	}
	if err := a.withLogin(r, pending, func(*login) error { return nil }); err != nil {
		a.loginError(w, r, err)
		return
	}
	// The login finishes against the provider it started with; if a reload
	// removed that IdP, it ends here, and if it changed the entry, the new
	// entry's policy must admit the user too.
	cur, ok := a.Providers().Get(p.ID())
	if !ok {
		a.removedPage(w, r, p)
		return
	}
	id, err := p.HandleCallback(ctx, r, st)
	if err == nil && !sameObject(cur, p) {
		if cfg, ok := a.Providers().Config(p.ID()); ok {
			err = cfg.Policy.Allows(id)
		}
	}
	if err != nil {
		a.callbackError(w, r, p, pending, err)
		return
	}
	csrf, err := randomID()
	if err != nil {
		a.tryAgain(w, "", err)
		return
	}
	var req AuthorizationRequest
	if err := a.withLogin(r, pending, func(l *login) error {
		if l.identity != nil {
			return errWrongStep
		}
		l.identity, l.csrf, req = &id, csrf, l.req
		return nil
	}); err != nil {
		a.loginError(w, r, err)
		return
	}
	a.cfg.Logger.InfoContext(ctx, "upstream login", "idp", p.ID(), "user", id.UserID(), "client", req.Client.ID)
	a.auditLogin(r, p.ID(), pending, id.UserID(), nil)

	// A remembered consent covering every requested scope skips the page.
	userID := id.UserID()
	c, err := a.cfg.Store.GetConsent(ctx, userID, req.Client.ID)
	switch {
	case err == nil && coversScopes(c.Scopes, req.Scopes):
		a.finish(w, r, pending, true)
		return
	case err != nil && !errors.Is(err, store.ErrNotFound):
		a.cfg.Logger.WarnContext(ctx, "consent lookup", "err", err)
	}
	http.Redirect(w, r, "/consent?pending="+url.QueryEscape(pending), http.StatusSeeOther)
}

// takeState consumes the upstream state of a login: it is single use,
// whatever happens next. It returns the login's pending id, the stored
// login values and the provider object the login started with.
func (a *LoginAuthenticator) takeState(state string) (pending string, st idp.LoginState, p idp.Provider, ok bool) {
	if state == "" {
		return "", idp.LoginState{}, nil, false
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	pending, ok = a.byState[state]
	delete(a.byState, state)
	l := a.logins[pending]
	if !ok || l == nil || l.loginState.State != state || l.prov == nil {
		return "", idp.LoginState{}, nil, false
	}
	st, p = l.loginState, l.prov
	l.loginState = idp.LoginState{}
	return pending, st, p, true
}

// removedPage ends a login through an IdP that a reload removed.
func (a *LoginAuthenticator) removedPage(w http.ResponseWriter, r *http.Request, p idp.Provider) {
	a.cfg.Logger.InfoContext(r.Context(), "login through a removed IdP refused", "idp", p.ID())
	a.errorPage(w, http.StatusGone, errorData{Title: "This sign-in method was removed",
		Message: fmt.Sprintf("%s was removed from this server's configuration while you were signing in. Start again from your application.", p.DisplayName())})
}

// callbackError maps HandleCallback's error to a page; never a 500.
func (a *LoginAuthenticator) callbackError(w http.ResponseWriter, r *http.Request, p idp.Provider, pending string, err error) {
	a.cfg.Logger.InfoContext(r.Context(), "upstream login failed", "idp", p.ID(), "err", err)
	a.auditLogin(r, p.ID(), pending, "", err)
	retry := "/login?pending=" + url.QueryEscape(pending)
	if a.Providers().Len() == 1 {
		retry = loginPath(p.ID(), pending)
	}
	var ce *idp.CallbackError
	var pe *idp.PolicyError
	switch {
	case errors.As(err, &ce):
		d := errorData{Title: "Sign-in was cancelled",
			Message:  fmt.Sprintf("The sign-in was cancelled or refused at %s.", p.DisplayName()),
			RetryURL: retry, RetryText: "Sign in again"}
		if ce.Code != "" {
			d.Detail = ce.Code
			if ce.Description != "" {
				d.Detail += ": " + ce.Description
			}
		}
		a.errorPage(w, http.StatusForbidden, d)
	case errors.As(err, &pe):
		a.errorPage(w, http.StatusForbidden, errorData{Title: "Access not allowed",
			Message: fmt.Sprintf("You signed in at %s, but this server's access rule %q does not admit you.", p.DisplayName(), pe.Rule),
			Detail:  pe.Reason})
	case errors.Is(err, idp.ErrUnavailable):
		a.errorPage(w, http.StatusBadGateway, errorData{Title: "Sign-in is temporarily unavailable",
			Message:  fmt.Sprintf("%s could not be reached or had an error. Try again in a moment.", p.DisplayName()),
			RetryURL: retry})
	default:
		a.errorPage(w, http.StatusBadRequest, errorData{Title: "Sign-in could not be completed",
			Message:  fmt.Sprintf("The answer from %s could not be accepted (it may have expired or been used already).", p.DisplayName()),
			RetryURL: retry, RetryText: "Sign in again"})
	}
}

// coversScopes reports whether the remembered scopes include every
// requested one (asking for less than was approved needs no new consent).
func coversScopes(remembered, requested []string) bool {
	set := make(map[string]bool, len(remembered))
	for _, s := range remembered {
		set[s] = true
	}
	for _, s := range requested {
		if !set[s] {
			return false
		}
	}
	return true
}

// finish ends the login pendingID: approve resumes the authorization
// request with the signed-in user, otherwise it is denied.
func (a *LoginAuthenticator) finish(w http.ResponseWriter, r *http.Request, pending string, approve bool) {
	a.mu.Lock()
	l, ok := a.logins[pending]
	if ok {
		a.dropLocked(pending, l)
	}
	a.mu.Unlock()
	srv := a.server()
	if !ok || l.identity == nil || srv == nil {
		a.loginError(w, r, errNoLogin)
		return
	}
	if !approve {
		srv.Deny(w, r, pending, nil)
		return
	}
	id := l.identity
	username := id.Email
	if username == "" {
		username = id.Name
	}
	// Held until the code is stored, so a reload that removes the IdP
	// either comes first (refused here) or waits for the code, which the
	// revocation that follows the reload then deletes.
	a.swapMu.RLock()
	defer a.swapMu.RUnlock()
	if _, ok := a.Providers().Get(id.ProviderID); !ok {
		a.removedPage(w, r, l.prov)
		return
	}
	srv.Resume(w, r, pending, &Subject{
		ID: id.UserID(), Username: username, IdP: id.ProviderID,
		Scopes:   append([]string(nil), l.req.Scopes...),
		Upstream: upstreamOf(*id),
	})
}

// RefreshPolicy is a Config.RefreshPolicy for the grants this
// authenticator issued. The user's IdP entry must still be configured (in
// the current provider set: after a reload, the new one) and the subject
// must be one of its users. Then the entry's whole access policy
// (idp.Policy.Allows) is re-run on the upstream identity the grant kept
// from the login (store.Session.Upstream). A grant stored before sessions
// kept that identity is re-checked on what it has: the allowed_subjects
// rule (the other rules were checked at its login).
func (a *LoginAuthenticator) RefreshPolicy(_ context.Context, sess *store.Session) error {
	cfg, ok := a.Providers().Config(sess.IdP)
	if !ok {
		return fmt.Errorf("identity provider %q is no longer configured", sess.IdP)
	}
	providerID, subject, err := idp.ParseUserID(sess.Subject)
	if err != nil {
		return fmt.Errorf("subject: %w", err)
	}
	if providerID != sess.IdP {
		return fmt.Errorf("subject %q does not belong to identity provider %q", sess.Subject, sess.IdP)
	}
	id := idp.Identity{ProviderID: providerID, Subject: subject}
	if sess.Upstream == nil {
		noEmailRule := false
		p := idp.Policy{AllowedSubjects: cfg.Policy.AllowedSubjects, RequireVerifiedEmail: &noEmailRule}
		return p.Allows(id)
	}
	return cfg.Policy.Allows(identityWith(id, sess.Upstream))
}

// randomID returns 256 random bits, base64url (43 characters).
func randomID() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("random: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

func displayClientName(c *store.Client) string {
	if n := strings.TrimSpace(c.Name); n != "" {
		return n
	}
	return c.ID
}

// errorData is the error page's data.
type errorData struct {
	Title, Message, Detail string
	RetryURL, RetryText    string
}

func (a *LoginAuthenticator) render(w http.ResponseWriter, status int, page string, data any) {
	if err := a.pages.Render(w, status, page, data); err != nil {
		a.cfg.Logger.Error("render page", "page", page, "err", err)
	}
}

func (a *LoginAuthenticator) errorPage(w http.ResponseWriter, status int, d errorData) {
	a.render(w, status, web.PageError, d)
}

// tryAgain is the page for our own failures (randomness, storage).
func (a *LoginAuthenticator) tryAgain(w http.ResponseWriter, retry string, err error) {
	a.cfg.Logger.Error("login", "err", err)
	a.errorPage(w, http.StatusServiceUnavailable, errorData{Title: "Something went wrong",
		Message: "The sign-in could not continue. Try again in a moment.", RetryURL: retry})
}

// loginError is the page for a refused login step.
func (a *LoginAuthenticator) loginError(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, errNoCookie):
		a.errorPage(w, http.StatusForbidden, errorData{Title: "This sign-in started in another browser",
			Message: "For your safety a sign-in must finish in the browser where it started (check that cookies are enabled)."})
	case errors.Is(err, errWrongStep):
		a.errorPage(w, http.StatusBadRequest, errorData{Title: "Sign-in already completed",
			Message: "This step of the sign-in was already done."})
	default:
		a.errorPage(w, http.StatusBadRequest, errorData{Title: "This sign-in has expired",
			Message: "The sign-in request is unknown, expired or already completed."})
	}
}

// crossOriginGuard refuses cross-origin POSTs (Sec-Fetch-Site, Origin).
func (a *LoginAuthenticator) crossOriginGuard(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := a.crossOrig.Check(r); err != nil {
			a.errorPage(w, http.StatusForbidden, errorData{Title: "Request refused",
				Message: "This form can only be sent from this server's own pages."})
			return
		}
		h(w, r)
	}
}

var _ Authenticator = (*LoginAuthenticator)(nil)
