package oauthserver

import (
	"context"
	"errors"
	"log/slog"
	"net/http"

	"github.com/ory/fosite"

	"github.com/zscalermcp/zscaler-mcp/resource/auth"
	"github.com/zscalermcp/zscaler-mcp/store"
)

// Auditor receives the authorization server's audit events: client
// registrations, logins, consents, token issuance, refresh and revocation,
// and reuse detections. Events carry identifiers and reasons, never
// secrets or tokens. Audit must not block for long; its failures are its
// own to report (they never fail the request).
type Auditor interface {
	Audit(ctx context.Context, e store.AuditEvent)
}

// AuditFunc adapts a function to Auditor.
type AuditFunc func(ctx context.Context, e store.AuditEvent)

// Audit calls f.
func (f AuditFunc) Audit(ctx context.Context, e store.AuditEvent) { f(ctx, e) }

// AuditLog is the default Auditor: it writes each event to a logger as a
// structured record (message "audit") and appends it to a store's audit
// log, which keeps it for the store's retention.
type AuditLog struct {
	st  store.Audit
	log *slog.Logger
}

// NewAuditLog returns an AuditLog writing to logger (nil: discard) and st
// (nil: log only).
func NewAuditLog(st store.Audit, logger *slog.Logger) *AuditLog {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &AuditLog{st: st, log: logger}
}

// Audit logs e and appends it to the store. Denials and reuse detections
// are logged at Warn, the rest at Info. A store failure is logged.
func (l *AuditLog) Audit(ctx context.Context, e store.AuditEvent) {
	level := slog.LevelInfo
	if e.Outcome != store.OutcomeSuccess || e.Type == store.AuditRefreshReuse || e.Type == store.AuditCodeReplay {
		level = slog.LevelWarn
	}
	l.log.LogAttrs(ctx, level, "audit", auditAttrs(e)...)
	if l.st == nil {
		return
	}
	// The event is recorded even when the request was cancelled right
	// after the action it describes.
	if _, err := l.st.AppendAudit(context.WithoutCancel(ctx), &e); err != nil {
		l.log.LogAttrs(ctx, slog.LevelError, "audit: could not store the event", slog.String("event", e.Type), slog.Any("err", err))
	}
}

// auditAttrs are the slog attributes of e: the type, the outcome and every
// non-empty identifier.
func auditAttrs(e store.AuditEvent) []slog.Attr {
	attrs := []slog.Attr{slog.String("event", e.Type), slog.String("outcome", e.Outcome)}
	for _, f := range []struct{ k, v string }{
		{"client_id", e.ClientID}, {"subject", e.Subject}, {"idp", e.IdP},
		{"grant_id", e.GrantID}, {"ip", e.IP}, {"reason", e.Reason},
	} {
		if f.v != "" {
			attrs = append(attrs, slog.String(f.k, f.v))
		}
	}
	return attrs
}

// audit stamps e with the server's clock and hands it to the Auditor.
func (s *Server) audit(ctx context.Context, e store.AuditEvent) {
	if s.auditor == nil {
		return
	}
	if e.At.IsZero() {
		e.At = s.now()
	}
	s.auditor.Audit(ctx, e)
}

// auditRequest records an event about request r (its client IP is added).
func (s *Server) auditRequest(r *http.Request, e store.AuditEvent) {
	e.IP = auth.ClientIP(r)
	s.audit(r.Context(), e)
}

// outcome maps an error to an audit outcome.
func outcome(err error) string {
	if err != nil {
		return store.OutcomeFailure
	}
	return store.OutcomeSuccess
}

// reason is the audit reason of err: the OAuth error code and hint of a
// fosite error (never its debug text, which may quote input), or the
// error's message.
func reason(err error) string {
	if err == nil {
		return ""
	}
	var rfc *fosite.RFC6749Error
	if errors.As(err, &rfc) {
		if h := rfc.HintField; h != "" {
			return rfc.ErrorField + ": " + h
		}
		return rfc.ErrorField
	}
	return err.Error()
}
