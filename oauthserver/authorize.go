package oauthserver

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/ory/fosite"

	"github.com/zscalermcp/zscaler-mcp/store"
)

// maxPendingFormBytes bounds an authorization request's parameters (they
// are kept in memory while the user logs in).
const maxPendingFormBytes = 8 << 10

// maxFormBytes bounds the body of form requests to /authorize, /token,
// /revoke and /introspect.
const maxFormBytes = 64 << 10

// Subject is the user an Authenticator approved.
type Subject struct {
	// ID is the stable subject identifier (the token's sub). Required.
	ID string
	// Username is shown by introspection (optional).
	Username string
	// IdP names the upstream identity provider (the idp claim; optional).
	IdP string
	// Scopes, when non-nil, is the subset of the requested scopes the user
	// approved (consent); nil approves every requested scope.
	Scopes []string
	// Extra holds further access-token claims (optional).
	Extra map[string]any
	// Upstream is the upstream identity kept (privately) in the grant for
	// the refresh policy (optional; see store.Session.Upstream).
	Upstream *store.UpstreamIdentity
}

// AuthorizationRequest is a validated authorization request, as handed to
// an Authenticator. Everything in it has been checked: the client exists,
// the redirect URI matches its registration, PKCE S256 is present, the
// scopes are ours and the resource is in our set.
type AuthorizationRequest struct {
	// PendingID identifies the request for Server.Resume and Server.Deny.
	PendingID string
	// Client is the requesting client.
	Client *store.Client
	// RedirectURI is the matched redirect URI.
	RedirectURI string
	// Scopes are the requested scopes, habitual ones (openid, email,
	// profile, offline_access) removed; never empty (zscaler.read when the
	// client asked for none of ours).
	Scopes []string
	// Resource is the RFC 8707 resource the token will be bound to.
	Resource string
	// State is the client's state parameter.
	State string
}

// Authenticator establishes who the user is at /authorize.
//
// Authenticate is called once the request is valid. To approve at once it
// returns the subject. To run a login (and consent) first it writes the
// response itself (typically a redirect to the login page, carrying
// req.PendingID in its own state) and returns (nil, nil); when the login
// completes, it calls Server.Resume with the same pending id and the
// subject, or Server.Deny. An error is sent to the client's redirect URI
// (an *fosite.RFC6749Error as is, anything else as server_error).
type Authenticator interface {
	Authenticate(w http.ResponseWriter, r *http.Request, req *AuthorizationRequest) (*Subject, error)
}

// AuthenticatorFunc adapts a function to the Authenticator interface.
type AuthenticatorFunc func(w http.ResponseWriter, r *http.Request, req *AuthorizationRequest) (*Subject, error)

// Authenticate implements Authenticator.
func (f AuthenticatorFunc) Authenticate(w http.ResponseWriter, r *http.Request, req *AuthorizationRequest) (*Subject, error) {
	return f(w, r, req)
}

// authzState is a validated request ready for fosite.
type authzState struct {
	ar       fosite.AuthorizeRequester
	req      *AuthorizationRequest
	redirect string
}

func (s *Server) handleAuthorize(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		writeErrorPage(w, r, fosite.ErrInvalidRequest.WithHint("The request could not be parsed."))
		return
	}
	form := cloneValues(r.Form)
	if len(form.Encode()) > maxPendingFormBytes {
		writeErrorPage(w, r, fosite.ErrInvalidRequest.WithHint("The authorization request is too large."))
		return
	}
	st, ok := s.prepareAuthorize(w, r, form)
	if !ok {
		return
	}
	id, err := s.pending.put(form)
	if err != nil {
		s.redirectError(w, r, st.redirect, st.req.State, fosite.ErrTemporarilyUnavailable.WithWrap(err))
		return
	}
	st.req.PendingID = id
	subject, err := s.auth.Authenticate(w, r, st.req)
	if err != nil {
		s.pending.take(id)
		s.redirectError(w, r, st.redirect, st.req.State, err)
		return
	}
	if subject == nil {
		return // the authenticator took over; it will Resume or Deny
	}
	s.pending.take(id)
	s.complete(w, r, st, subject)
}

// Resume completes the pending authorization request pendingID for
// subject: it re-validates the request (the client may have changed
// meanwhile), issues the code and redirects to the client with code,
// state and iss. A pending request can be resumed (or denied) once; an
// unknown or expired id gets an error page, never a redirect.
func (s *Server) Resume(w http.ResponseWriter, r *http.Request, pendingID string, subject *Subject) {
	r2, st, ok := s.takePending(w, r, pendingID)
	if !ok {
		return
	}
	if subject == nil || subject.ID == "" {
		writeErrorPage(w, r, fosite.ErrServerError.WithHint("No subject."))
		return
	}
	s.complete(w, r2, st, subject)
}

// takePending consumes the pending authorization request pendingID and
// re-validates it from scratch, answering with an error page (and false)
// when it is gone or no longer valid.
func (s *Server) takePending(w http.ResponseWriter, r *http.Request, pendingID string) (*http.Request, *authzState, bool) {
	form, ok := s.pending.take(pendingID)
	if !ok {
		writeErrorPage(w, r, fosite.ErrInvalidRequest.WithHint("The authorization request expired or was already completed; start again from the application."))
		return nil, nil, false
	}
	r2 := resumeRequest(r, form)
	st, ok := s.prepareAuthorize(w, r2, form)
	return r2, st, ok
}

// Deny ends the pending authorization request pendingID with
// error=access_denied (or the given error, if it is an
// *fosite.RFC6749Error) at the client's redirect URI.
func (s *Server) Deny(w http.ResponseWriter, r *http.Request, pendingID string, reason error) {
	r2, st, ok := s.takePending(w, r, pendingID)
	if !ok {
		return
	}
	var rfc *fosite.RFC6749Error
	if !errors.As(reason, &rfc) {
		rfc = fosite.ErrAccessDenied.WithHint("The user denied the request.")
	}
	s.redirectError(w, r2, st.redirect, st.req.State, rfc)
}

// resumeRequest rebuilds the GET /authorize request of a pending form on
// top of the request that resumes it (its context, headers).
func resumeRequest(r *http.Request, form url.Values) *http.Request {
	r2 := r.Clone(r.Context())
	r2.Method = http.MethodGet
	r2.URL = &url.URL{Path: "/authorize", RawQuery: form.Encode()}
	r2.Body = http.NoBody
	r2.ContentLength = 0
	r2.Form, r2.PostForm = cloneValues(form), url.Values{}
	return r2
}

// prepareAuthorize validates an authorization request and runs fosite's
// NewAuthorizeRequest on the rewritten form. It writes the error response
// and returns false on failure. Unknown clients and unmatched redirect URIs
// get an error page; every later error is redirected, with iss.
func (s *Server) prepareAuthorize(w http.ResponseWriter, r *http.Request, orig url.Values) (*authzState, bool) {
	ctx := r.Context()
	form := cloneValues(orig)
	// RFC 6749 §3.1: parameters must not be sent more than once.
	for _, p := range []string{"client_id", "redirect_uri"} {
		if len(form[p]) > 1 {
			writeErrorPage(w, r, fosite.ErrInvalidRequest.WithHintf("The parameter %s was sent more than once.", p))
			return nil, false
		}
	}
	clientID := form.Get("client_id")
	if clientID == "" {
		writeErrorPage(w, r, fosite.ErrInvalidRequest.WithHint("client_id is missing."))
		return nil, false
	}
	if rfc := s.resolveCIMD(ctx, clientID); rfc != nil {
		writeErrorPage(w, r, rfc)
		return nil, false
	}
	client, err := s.st.LookupClient(ctx, clientID)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			writeErrorPage(w, r, fosite.ErrInvalidClient.WithHint("The client is not registered. Register it again."))
		} else {
			s.log.Error("oauthserver: look up client", "err", err)
			writeErrorPage(w, r, fosite.ErrServerError)
		}
		return nil, false
	}
	redirect, ok := matchRegisteredRedirect(client.RedirectURIs, form.Get("redirect_uri"))
	if !ok {
		writeErrorPage(w, r, fosite.ErrInvalidRequest.WithHint("The redirect_uri is not registered for this client."))
		return nil, false
	}
	state := form.Get("state")
	fail := func(err error) (*authzState, bool) {
		s.redirectError(w, r, redirect, state, err)
		return nil, false
	}
	for _, p := range []string{"response_type", "response_mode", "state", "scope", "code_challenge", "code_challenge_method"} {
		if len(form[p]) > 1 {
			return fail(fosite.ErrInvalidRequest.WithHintf("The parameter %s was sent more than once.", p))
		}
	}
	if rt := form.Get("response_type"); rt != "code" {
		return fail(fosite.ErrUnsupportedResponseType.WithHint("Only response_type=code is supported."))
	}
	if rm := form.Get("response_mode"); rm != "" && rm != "query" {
		return fail(fosite.ErrUnsupportedResponseMode.WithHint("Only response_mode=query is supported."))
	}
	form.Del("response_mode")
	if form.Get("code_challenge") == "" {
		return fail(fosite.ErrInvalidRequest.WithHint("PKCE is required: send code_challenge with code_challenge_method=S256."))
	}
	if form.Get("code_challenge_method") != "S256" {
		return fail(fosite.ErrInvalidRequest.WithHint("Only code_challenge_method=S256 is supported; plain is not allowed."))
	}

	oc := s.wrapClient(ctx, client)
	scopes, err := filterScopes(form.Get("scope"), oc.GetScopes())
	if err != nil {
		return fail(err)
	}
	form.Set("scope", strings.Join(scopes, " "))

	resource, err := s.requestedResource(form["resource"])
	if err != nil {
		return fail(err)
	}
	form.Del("resource")
	form.Set("audience", resource)
	// An omitted redirect_uri stays omitted (fosite then uses the client's
	// single registered URI and does not require one at /token, RFC 6749
	// §4.1.3).
	// fosite insists on a state of at least 8 characters; OAuth 2.1 §4.1.1
	// makes state optional when PKCE is used. fosite gets a placeholder and
	// the client's own state (possibly none) is what goes back to it.
	if len(state) < 8 {
		form.Set("state", statePlaceholder)
	}

	ctx = withMatchedRedirect(ctx, redirect)
	r2 := r.WithContext(ctx)
	r2.Form = form
	if r2.PostForm == nil {
		r2.PostForm = url.Values{}
	}
	ar, err := s.provider.NewAuthorizeRequest(ctx, r2)
	if err != nil {
		return fail(err)
	}
	return &authzState{
		ar:       ar,
		redirect: redirect,
		req: &AuthorizationRequest{
			Client:      client,
			RedirectURI: redirect,
			Scopes:      scopes,
			Resource:    resource,
			State:       state,
		},
	}, true
}

// complete issues the authorization code for subject and redirects.
func (s *Server) complete(w http.ResponseWriter, r *http.Request, st *authzState, subject *Subject) {
	ctx := withMatchedRedirect(r.Context(), st.redirect)
	ar := st.ar
	for _, sc := range st.req.Scopes {
		if subject.Scopes == nil || slices.Contains(subject.Scopes, sc) {
			ar.GrantScope(sc)
		}
	}
	if len(ar.GetGrantedScopes()) == 0 {
		s.redirectError(w, r, st.redirect, st.req.State, fosite.ErrAccessDenied.WithHint("No scope was approved."))
		return
	}
	ar.GrantAudience(st.req.Resource)
	sess := &store.Session{
		Subject:        subject.ID,
		Username:       subject.Username,
		ClientID:       st.req.Client.ID,
		GrantID:        ar.GetID(),
		IdP:            subject.IdP,
		Extra:          subject.Extra,
		Upstream:       subject.Upstream.Clone(),
		GrantExpiresAt: s.now().Add(s.cfg.GrantMaxLifetime).UTC(),
	}
	resp, err := s.issueCode(ctx, ar, sess)
	if err != nil {
		s.redirectError(w, r, st.redirect, st.req.State, err)
		return
	}
	s.touchClient(ctx, st.req.Client)
	params := resp.GetParameters()
	params.Del("state")
	params.Del("iss")
	s.redirectWith(w, r, st.redirect, st.req.State, params)
}

// statePlaceholder is the state fosite sees when the client sent none or
// a short one (see prepareAuthorize).
const statePlaceholder = "oauthserver-no-client-state"

// redirectError sends an authorization error to the (already matched)
// redirect URI in the query, with state and iss (RFC 6749 §4.1.2.1,
// RFC 9207).
func (s *Server) redirectError(w http.ResponseWriter, r *http.Request, redirect, state string, err error) {
	rfc := fosite.ErrorToRFC6749Error(err).WithExposeDebug(s.cfg.Debug)
	if rfc.StatusCode() >= 500 {
		s.log.Error("oauthserver: authorization request failed", "err", err)
	}
	s.redirectWith(w, r, redirect, state, rfc.ToValues())
}

// redirectWith redirects (303) to the matched redirect URI with params,
// the client's state (when it sent one) and iss (RFC 9207) added to its
// query (response_mode=query is the only mode offered).
func (s *Server) redirectWith(w http.ResponseWriter, r *http.Request, redirect, state string, params url.Values) {
	u, perr := url.Parse(redirect)
	if perr != nil {
		writeErrorPage(w, r, fosite.ErrServerError)
		return
	}
	q := u.Query()
	for k, v := range params {
		q[k] = v
	}
	if state != "" {
		q.Set("state", state)
	}
	q.Set("iss", s.id.issuer)
	u.RawQuery = q.Encode()
	u.Fragment = ""
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Location", u.String())
	w.WriteHeader(http.StatusSeeOther)
}

// filterScopes drops the habitual scopes we ignore, rejects scopes the
// client may not use (invalid_scope, RFC 6749 §3.3) and defaults to
// zscaler.read.
func filterScopes(raw string, allowed fosite.Arguments) ([]string, error) {
	var out []string
	for _, sc := range strings.Fields(raw) {
		if ignoredScopes[sc] || slices.Contains(out, sc) {
			continue
		}
		if !slices.Contains(allowed, sc) {
			return nil, fosite.ErrInvalidScope.WithHintf("The scope %q is not supported.", sc)
		}
		out = append(out, sc)
	}
	if len(out) == 0 {
		out = []string{ScopeRead}
	}
	return out, nil
}

// requestedResource validates the RFC 8707 resource parameters of an
// authorization request: absent → <public-url>/mcp; one distinct resource
// of our set; anything else → invalid_target.
func (s *Server) requestedResource(values []string) (string, error) {
	if len(values) == 0 {
		return s.id.defaultResource(), nil
	}
	var res string
	for _, v := range values {
		c, err := s.id.canonicalResource(v)
		if err != nil {
			return "", errInvalidTarget("The resource " + v + " is not served by this server.")
		}
		if res != "" && res != c {
			return "", errInvalidTarget("Request one resource per authorization.")
		}
		res = c
	}
	return res, nil
}

func cloneValues(v url.Values) url.Values {
	out := make(url.Values, len(v))
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}

// pendingStore keeps authorization requests waiting for the
// Authenticator's login, in memory, keyed by a random id, for PendingTTL.
// A restart loses them (the user starts again from the client), which is
// acceptable for a few minutes of login; a multi-replica deployment needs
// sticky sessions or a store-backed implementation. Memory is bounded:
// at most 20,000 entries of at most 8 KiB of parameters; beyond that new
// requests get temporarily_unavailable until entries expire (per-IP rate
// limits in front of /authorize keep one client from filling it).
type pendingStore struct {
	ttl time.Duration
	now func() time.Time
	max int

	mu      sync.Mutex
	entries map[string]pendingEntry
}

type pendingEntry struct {
	form    url.Values
	expires time.Time
}

func newPendingStore(ttl time.Duration, now func() time.Time) *pendingStore {
	return &pendingStore{ttl: ttl, now: now, max: 20_000, entries: make(map[string]pendingEntry)}
}

var errPendingFull = errors.New("oauthserver: too many pending authorization requests")

func (p *pendingStore) put(form url.Values) (string, error) {
	id, err := randomToken(32)
	if err != nil {
		return "", err
	}
	now := p.now()
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.entries) >= p.max {
		for k, e := range p.entries {
			if !now.Before(e.expires) {
				delete(p.entries, k)
			}
		}
		if len(p.entries) >= p.max {
			return "", errPendingFull
		}
	}
	p.entries[id] = pendingEntry{form: cloneValues(form), expires: now.Add(p.ttl)}
	return id, nil
}

// take removes and returns the pending request id, if it has not expired.
func (p *pendingStore) take(id string) (url.Values, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	e, ok := p.entries[id]
	if !ok {
		return nil, false
	}
	delete(p.entries, id)
	if !p.now().Before(e.expires) {
		return nil, false
	}
	return e.form, true
}

// issueCode runs fosite's authorization response in one store transaction,
// so the code and its PKCE row cost one commit, not two.
func (s *Server) issueCode(ctx context.Context, ar fosite.AuthorizeRequester, sess *store.Session) (fosite.AuthorizeResponder, error) {
	txCtx, err := s.st.BeginTX(ctx)
	if err != nil {
		return nil, fosite.ErrServerError.WithWrap(err).WithDebug(err.Error())
	}
	resp, err := s.provider.NewAuthorizeResponse(txCtx, ar, sess)
	if err != nil {
		if rerr := s.st.Rollback(txCtx); rerr != nil {
			s.log.Warn("oauthserver: roll back the authorization code", "err", rerr)
		}
		return nil, err
	}
	if err := s.st.Commit(txCtx); err != nil {
		return nil, fosite.ErrServerError.WithWrap(err).WithDebug(err.Error())
	}
	return resp, nil
}
