package oauthserver

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/ory/fosite"

	"github.com/zscalermcp/zscaler-mcp/store"
)

func (s *Server) handleToken(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		s.writeTokenError(w, fosite.ErrInvalidRequest.WithHint("The request body could not be parsed."))
		return
	}
	// Parameters come from the body only (RFC 6749 §3.2): the query string
	// is ignored.
	form := cloneValues(r.PostForm)
	grantType := form.Get("grant_type")
	switch {
	case grantType == "":
		s.writeTokenError(w, fosite.ErrInvalidRequest.WithHint("grant_type is missing."))
		return
	case grantType != "authorization_code" && grantType != "refresh_token":
		// RFC 6749 §5.2; OAuth 2.1 removed the password and implicit grants.
		s.writeTokenError(w, fosite.ErrUnsupportedGrantType.WithHintf("The grant type %q is not supported.", grantType))
		return
	}

	if rfc := s.resolveCIMD(ctx, form.Get("client_id")); rfc != nil {
		s.writeTokenError(w, rfc)
		return
	}

	// RFC 8707 at /token: the resource must be within what was granted,
	// checked before fosite builds the access request. fosite itself then
	// sees no resource or audience and issues the granted audience.
	resources := form["resource"]
	form.Del("resource")
	form.Del("audience")
	if err := s.checkTokenResource(ctx, grantType, form, resources); err != nil {
		s.writeTokenError(w, fosite.ErrorToRFC6749Error(err))
		return
	}

	var oldSig string
	if grantType == "refresh_token" && form.Get("refresh_token") != "" {
		oldSig = s.strategy.RefreshTokenSignature(ctx, form.Get("refresh_token"))
		unlock := s.locks.lock(oldSig)
		defer unlock()
		if s.replayRefresh(w, r, form, oldSig) {
			return
		}
		var err error
		if ctx, err = s.checkRefreshPolicy(ctx, oldSig); err != nil {
			s.writeTokenError(w, fosite.ErrorToRFC6749Error(err))
			return
		}
	}

	r.Form, r.PostForm = form, form
	ta := s.tokenAudit(ctx, r, grantType, form.Get("code"), oldSig)
	ctx, pkce := withPKCEDeferral(ctx)
	sess := &store.Session{}
	ar, err := s.provider.NewAccessRequest(ctx, r, sess)
	if err != nil {
		ta.failed(err)
		s.flushPKCE(ctx, pkce)
		s.writeTokenError(w, s.tokenError(err))
		return
	}
	resp, err := s.provider.NewAccessResponse(ctx, ar)
	if err != nil {
		ta.failed(err)
		s.flushPKCE(ctx, pkce)
		s.writeTokenError(w, s.tokenError(err))
		return
	}
	body, err := json.Marshal(resp.ToMap())
	if err != nil {
		s.writeTokenError(w, fosite.ErrServerError.WithWrap(err))
		return
	}
	clientID := ar.GetClient().GetID()
	if oldSig != "" && s.cfg.RefreshGraceWindow > 0 {
		if rt, _ := resp.GetExtra("refresh_token").(string); rt != "" {
			s.grace.put(oldSig, graceEntry{
				body:     body,
				clientID: clientID,
				newSig:   s.strategy.RefreshTokenSignature(ctx, rt),
				expires:  s.now().Add(s.cfg.RefreshGraceWindow),
			})
		}
	}
	if c, ok := ar.GetClient().(*oauthClient); ok {
		s.touchClient(ctx, c.Client)
	}
	ta.issued(ar)
	writeTokenResponse(w, body)
}

func writeTokenResponse(w http.ResponseWriter, body []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/json;charset=UTF-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}

// tokenError maps fosite's token-endpoint errors to the response: losers
// of a race for one code or refresh token get invalid_grant, never a 500.
func (s *Server) tokenError(err error) *fosite.RFC6749Error {
	if store.IsConcurrentUse(err) {
		return fosite.ErrInvalidGrant.WithHint("The authorization code or refresh token was already used.").WithWrap(err).WithDebug(err.Error())
	}
	rfc := fosite.ErrorToRFC6749Error(err)
	if rfc.StatusCode() >= 500 {
		s.log.Error("oauthserver: token request failed", "err", err)
	}
	return rfc
}

// checkTokenResource validates the resource parameters of a token request
// against the grant of the code or refresh token (RFC 8707 §2.2). A code
// or token that cannot be found is left to fosite (invalid_grant).
func (s *Server) checkTokenResource(ctx context.Context, grantType string, form map[string][]string, resources []string) error {
	if len(resources) == 0 {
		return nil
	}
	var granted fosite.Arguments
	var req fosite.Requester
	switch grantType {
	case "authorization_code":
		if code := first(form["code"]); code != "" {
			req, _ = s.st.GetAuthorizeCodeSession(ctx, s.strategy.AuthorizeCodeSignature(ctx, code), &store.Session{})
		}
	case "refresh_token":
		if rt := first(form["refresh_token"]); rt != "" {
			req, _ = s.st.GetRefreshTokenSession(ctx, s.strategy.RefreshTokenSignature(ctx, rt), &store.Session{})
		}
	}
	if req != nil {
		granted = req.GetGrantedAudience()
	}
	for _, v := range resources {
		c, err := s.id.canonicalResource(v)
		if err != nil {
			return errInvalidTarget("The resource " + v + " is not served by this server.")
		}
		if req != nil && !granted.Has(c) {
			return errInvalidTarget("The resource " + v + " was not granted to this authorization.")
		}
	}
	return nil
}

// checkRefreshPolicy runs Config.RefreshPolicy on the session of an
// active refresh token; a refusal revokes the grant. Unknown or rotated
// tokens are left to fosite (invalid_grant, reuse detection). The returned
// context hands the token's read to fosite (refreshMemo).
func (s *Server) checkRefreshPolicy(ctx context.Context, sig string) (context.Context, error) {
	if s.cfg.RefreshPolicy == nil {
		return ctx, nil
	}
	req, err := s.st.GetRefreshTokenSession(ctx, sig, &store.Session{})
	if req == nil {
		return ctx, nil
	}
	ctx = context.WithValue(ctx, refreshMemoKey{}, &refreshMemo{sig: sig, req: req, err: err})
	if err != nil {
		return ctx, nil
	}
	sess, ok := req.GetSession().(*store.Session)
	if !ok {
		return ctx, nil
	}
	if perr := s.cfg.RefreshPolicy(ctx, sess); perr != nil {
		if err := s.st.RevokeGrant(ctx, req.GetID()); err != nil && !errors.Is(err, store.ErrNotFound) {
			s.log.Error("oauthserver: revoke grant after a policy refusal", "err", err)
		}
		s.log.Info("oauthserver: refresh refused by policy", "grant_id", req.GetID(), "reason", perr.Error())
		s.audit(ctx, store.AuditEvent{Type: store.AuditTokenRefreshed, Outcome: store.OutcomeDenied, ClientID: req.GetClient().GetID(), Subject: sess.Subject, IdP: sess.IdP, GrantID: req.GetID(), Reason: "access policy: " + perr.Error()})
		return ctx, fosite.ErrInvalidGrant.WithHint("Access is no longer allowed; sign in again.").WithWrap(perr)
	}
	return ctx, nil
}

func first(v []string) string {
	if len(v) == 0 {
		return ""
	}
	return v[0]
}

// replayRefresh implements the refresh grace window: a refresh presenting
// a token that this server rotated less than RefreshGraceWindow ago, for
// the same authenticated client, while the replacement is still active,
// gets the first response again (the same tokens; no second token family).
// It reports whether it answered the request. The caller holds the
// per-token lock, so a concurrent duplicate waits for the first refresh to
// finish and then finds its response here.
func (s *Server) replayRefresh(w http.ResponseWriter, r *http.Request, form map[string][]string, oldSig string) bool {
	if s.cfg.RefreshGraceWindow <= 0 {
		return false
	}
	e, ok := s.grace.get(oldSig)
	if !ok {
		return false
	}
	ctx := r.Context()
	client, err := s.provider.AuthenticateClient(ctx, r, form)
	if err != nil || client.GetID() != e.clientID {
		return false // fosite answers (invalid_client, or reuse detection)
	}
	old, err := s.st.RefreshTokenStatus(ctx, oldSig)
	if err != nil || old.Active || old.ReplacedBy != e.newSig {
		return false
	}
	repl, err := s.st.RefreshTokenStatus(ctx, e.newSig)
	if err != nil || !repl.Active {
		return false
	}
	writeTokenResponse(w, e.body)
	return true
}

// graceCache keeps the response of each refresh for the grace window,
// keyed by the signature of the refresh token it rotated.
type graceCache struct {
	now func() time.Time

	mu      sync.Mutex
	entries map[string]graceEntry
}

type graceEntry struct {
	body     []byte
	clientID string
	newSig   string
	expires  time.Time
}

func newGraceCache(now func() time.Time) *graceCache {
	return &graceCache{now: now, entries: make(map[string]graceEntry)}
}

func (g *graceCache) put(sig string, e graceEntry) {
	now := g.now()
	g.mu.Lock()
	defer g.mu.Unlock()
	for k, old := range g.entries { // bounded by the refresh rate × window
		if !now.Before(old.expires) {
			delete(g.entries, k)
		}
	}
	g.entries[sig] = e
}

func (g *graceCache) get(sig string) (graceEntry, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	e, ok := g.entries[sig]
	if !ok || !g.now().Before(e.expires) {
		return graceEntry{}, false
	}
	return e, true
}

func (s *Server) handleRevoke(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	ra := s.revokeAudit(r)
	err := s.provider.NewRevocationRequest(ctx, r)
	ra.done(err)
	if err != nil && !errors.Is(err, fosite.ErrInvalidClient) && fosite.ErrorToRFC6749Error(err).StatusCode() >= 500 {
		s.log.Error("oauthserver: revocation failed", "err", err)
	}
	w.Header().Set("Cache-Control", "no-store")
	s.provider.WriteRevocationResponse(ctx, w, err)
}

// handleIntrospect serves RFC 7662 to confidential clients only: a public
// client (or a bearer token as credentials) gets invalid_client.
func (s *Server) handleIntrospect(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		s.writeTokenError(w, fosite.ErrInvalidRequest.WithHint("The request body could not be parsed."))
		return
	}
	if strings.HasPrefix(strings.ToLower(r.Header.Get("Authorization")), "bearer ") {
		s.writeTokenError(w, fosite.ErrInvalidClient.WithHint("Introspection requires client authentication of a confidential client."))
		return
	}
	client, err := s.provider.AuthenticateClient(ctx, r, r.PostForm)
	if err != nil {
		// RFC 7662 §2.3: failed or missing client authentication is 401.
		s.writeTokenError(w, fosite.ErrInvalidClient.WithHint("Introspection requires client authentication of a confidential client.").WithWrap(err).WithDebug(err.Error()))
		return
	}
	if client.IsPublic() {
		s.writeTokenError(w, fosite.ErrInvalidClient.WithHint("Introspection is for confidential clients only."))
		return
	}
	if oc, ok := client.(*oauthClient); ok {
		// fosite authenticates the client again inside
		// NewIntrospectionRequest: hand it the row read above.
		ctx = withClientMemo(ctx, oc.Client)
	}
	ir, err := s.provider.NewIntrospectionRequest(ctx, r, &store.Session{})
	if err != nil {
		if rfc := fosite.ErrorToRFC6749Error(err); rfc.StatusCode() >= 500 && !errors.Is(err, fosite.ErrInactiveToken) {
			s.log.Error("oauthserver: introspection failed", "err", err)
		}
		s.provider.WriteIntrospectionError(ctx, w, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	s.provider.WriteIntrospectionResponse(ctx, w, ir)
}
