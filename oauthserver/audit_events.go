package oauthserver

import (
	"context"
	"errors"
	"net/http"

	"github.com/ory/fosite"

	"github.com/zscalermcp/zscaler-mcp/idp"
	"github.com/zscalermcp/zscaler-mcp/store"
)

// This file builds the audit events of the token, revocation, login and
// consent endpoints; the handlers call these with one line each.

// tokenAudit is what the audit events of one /token request need. It is
// captured before fosite runs: reuse detection deletes the refresh token
// that identifies the grant.
type tokenAudit struct {
	s         *Server
	r         *http.Request
	grantType string
	code      string
	grantID   string // the refresh token's grant, when it is known
}

// tokenAudit starts the audit of a token request for code (a code
// exchange) or the refresh token with signature refreshSig. The grant of
// a refresh token is the one checkRefreshPolicy read in ctx when it did
// (refreshMemo), else read here.
func (s *Server) tokenAudit(ctx context.Context, r *http.Request, grantType, code, refreshSig string) *tokenAudit {
	ta := &tokenAudit{s: s, r: r, grantType: grantType}
	switch grantType {
	case "authorization_code":
		ta.code = code
	case "refresh_token":
		if refreshSig == "" {
			break
		}
		if m := refreshMemoFor(ctx, refreshSig); m != nil {
			ta.grantID = m.req.GetID()
		} else if st, err := s.st.RefreshTokenStatus(ctx, refreshSig); err == nil {
			ta.grantID = st.RequestID
		}
	}
	return ta
}

// issued records a successful code exchange or refresh.
func (ta *tokenAudit) issued(ar fosite.AccessRequester) {
	e := store.AuditEvent{Type: store.AuditTokenIssued, Outcome: store.OutcomeSuccess,
		ClientID: ar.GetClient().GetID(), GrantID: ar.GetID()}
	if ta.grantType == "refresh_token" {
		e.Type = store.AuditTokenRefreshed
	}
	if sess, ok := ar.GetSession().(*store.Session); ok {
		e.Subject, e.IdP = sess.Subject, sess.IdP
	}
	ta.s.auditRequest(ta.r, e)
}

// failed records a failed token request when it concerns a grant we know:
// reuse of a rotated refresh token and replay of a redeemed code (fosite
// has revoked the grant), or another failure of a known code or refresh
// token. Requests with unknown codes or tokens are not recorded.
func (ta *tokenAudit) failed(err error) {
	ctx := ta.r.Context()
	e := store.AuditEvent{Outcome: store.OutcomeFailure, Reason: reason(err)}
	switch ta.grantType {
	case "refresh_token":
		if ta.grantID == "" {
			return
		}
		e.Type, e.GrantID = store.AuditTokenRefreshed, ta.grantID
		if errors.Is(err, fosite.ErrInactiveToken) {
			e.Type, e.Outcome = store.AuditRefreshReuse, store.OutcomeDenied
			e.Reason = "a rotated refresh token was presented again; the grant was revoked"
		}
		if g, gerr := ta.s.st.GetGrant(ctx, ta.grantID); gerr == nil {
			e.Subject, e.ClientID = g.Subject, g.ClientID
		}
	case "authorization_code":
		if ta.code == "" {
			return
		}
		req, cerr := ta.s.st.GetAuthorizeCodeSession(ctx, ta.s.strategy.AuthorizeCodeSignature(ctx, ta.code), &store.Session{})
		if req == nil {
			return
		}
		e.Type, e.GrantID, e.ClientID = store.AuditTokenIssued, req.GetID(), req.GetClient().GetID()
		if sess, ok := req.GetSession().(*store.Session); ok {
			e.Subject, e.IdP = sess.Subject, sess.IdP
		}
		if errors.Is(cerr, fosite.ErrInvalidatedAuthorizeCode) {
			e.Type, e.Outcome = store.AuditCodeReplay, store.OutcomeDenied
			e.Reason = "a redeemed authorization code was presented again; the grant was revoked"
		}
	default:
		return
	}
	ta.s.auditRequest(ta.r, e)
}

// revokeAudit is what the audit event of one /revoke request needs,
// captured before fosite deletes the token.
type revokeAudit struct {
	s   *Server
	r   *http.Request
	req fosite.Requester // the token's grant; nil when unknown
}

// revokeAudit looks up the token of a revocation request (the body is
// parsed here; fosite reuses the parsed form).
func (s *Server) revokeAudit(r *http.Request) *revokeAudit {
	ra := &revokeAudit{s: s, r: r}
	if err := r.ParseForm(); err != nil {
		return ra
	}
	token := r.PostForm.Get("token")
	if token == "" {
		return ra
	}
	ctx := r.Context()
	if req, _ := s.st.GetRefreshTokenSession(ctx, s.strategy.RefreshTokenSignature(ctx, token), &store.Session{}); req != nil {
		ra.req = req
	} else if req, _ := s.st.GetAccessTokenSession(ctx, s.strategy.AccessTokenSignature(ctx, token), &store.Session{}); req != nil {
		ra.req = req
	}
	return ra
}

// done records the revocation of a known token, or a refused request.
// A revocation of an unknown token (RFC 7009 answers 200) is not recorded.
func (ra *revokeAudit) done(err error) {
	if ra.req == nil && err == nil {
		return
	}
	e := store.AuditEvent{Type: store.AuditTokenRevoked, Outcome: outcome(err), Reason: reason(err)}
	if ra.req != nil {
		e.GrantID, e.ClientID = ra.req.GetID(), ra.req.GetClient().GetID()
		if sess, ok := ra.req.GetSession().(*store.Session); ok {
			e.Subject, e.IdP = sess.Subject, sess.IdP
		}
	}
	ra.s.auditRequest(ra.r, e)
}

// audit records an event of the login pages (no-op before Mount).
func (a *LoginAuthenticator) audit(r *http.Request, e store.AuditEvent) {
	if srv := a.server(); srv != nil {
		srv.auditRequest(r, e)
	}
}

// auditLogin records the outcome of an upstream login: success, a refusal
// by an access rule or by the IdP (denied), or an error (failure).
func (a *LoginAuthenticator) auditLogin(r *http.Request, providerID, pending, subject string, err error) {
	e := store.AuditEvent{Type: store.AuditLogin, Outcome: store.OutcomeSuccess, IdP: providerID, Subject: subject}
	a.mu.Lock()
	if l := a.logins[pending]; l != nil && l.req.Client != nil {
		e.ClientID = l.req.Client.ID
	}
	a.mu.Unlock()
	var pe *idp.PolicyError
	var ce *idp.CallbackError
	switch {
	case err == nil:
	case errors.As(err, &pe):
		e.Outcome, e.Reason = store.OutcomeDenied, "rule "+pe.Rule+": "+pe.Reason
	case errors.As(err, &ce):
		e.Outcome, e.Reason = store.OutcomeDenied, "upstream refused: "+ce.Code
		if ce.Description != "" {
			e.Reason += ": " + ce.Description
		}
	default:
		e.Outcome, e.Reason = store.OutcomeFailure, err.Error()
	}
	a.audit(r, e)
}

// auditConsent records the user's answer on the consent page.
func (a *LoginAuthenticator) auditConsent(r *http.Request, subject, clientID, decision string) {
	out := store.OutcomeSuccess
	switch decision {
	case "approve":
	case "deny":
		out = store.OutcomeDenied
	default:
		return
	}
	a.audit(r, store.AuditEvent{Type: store.AuditConsent, Outcome: out, Subject: subject, ClientID: clientID, Reason: decision})
}
