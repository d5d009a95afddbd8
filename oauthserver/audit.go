package oauthserver

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"sync"

	"github.com/ory/fosite"
	"github.com/ory/fosite/storage"

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
// structured record (message "audit") at once, and appends it to a store's
// audit log, which keeps it for the store's retention.
//
// Store writes are asynchronous and batched: a background writer appends
// the events queued while the previous batch was being written in one
// transaction (when the store is transactional), so a burst of token
// requests costs one durable write per batch rather than one per event,
// and the request that caused an event never waits for its write. The
// queue is bounded: when it is full, Audit waits for room (events are
// never dropped). Close flushes the queue; Flush waits for the events
// queued so far to be written.
type AuditLog struct {
	st  store.Audit
	log *slog.Logger

	mu     sync.RWMutex // guards closed against sends on ch
	closed bool
	ch     chan auditItem
	done   chan struct{}
}

// auditItem is an event to store, or (flushed != nil) a flush marker.
type auditItem struct {
	e       store.AuditEvent
	flushed chan struct{}
}

// auditQueue bounds the events waiting for the writer; auditBatch bounds
// one write.
const (
	auditQueue = 4096
	auditBatch = 256
)

// NewAuditLog returns an AuditLog writing to logger (nil: discard) and st
// (nil: log only). Call Close when done, to flush the last events.
func NewAuditLog(st store.Audit, logger *slog.Logger) *AuditLog {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	l := &AuditLog{st: st, log: logger}
	if st != nil {
		l.ch = make(chan auditItem, auditQueue)
		l.done = make(chan struct{})
		go l.writer()
	}
	return l
}

// Audit logs e and queues it for the store. Denials and reuse detections
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
	l.mu.RLock()
	defer l.mu.RUnlock()
	if l.closed {
		// After Close: write directly. The event is recorded even when
		// the request was cancelled right after the action it describes.
		l.write(context.WithoutCancel(ctx), []store.AuditEvent{e})
		return
	}
	l.ch <- auditItem{e: e}
}

// Flush waits until the events queued before it are stored, or ctx ends.
func (l *AuditLog) Flush(ctx context.Context) error {
	if l.st == nil {
		return nil
	}
	done := make(chan struct{})
	l.mu.RLock()
	if l.closed {
		l.mu.RUnlock()
		return nil
	}
	l.ch <- auditItem{flushed: done}
	l.mu.RUnlock()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close stores the queued events and stops the writer. Events audited
// after Close are written synchronously.
func (l *AuditLog) Close() error {
	if l.st == nil {
		return nil
	}
	l.mu.Lock()
	if !l.closed {
		l.closed = true
		close(l.ch)
	}
	l.mu.Unlock()
	<-l.done
	return nil
}

// writer stores queued events in batches until the queue is closed.
func (l *AuditLog) writer() {
	defer close(l.done)
	batch := make([]store.AuditEvent, 0, auditBatch)
	var markers []chan struct{}
	for it := range l.ch {
		batch, markers = batch[:0], markers[:0]
		add := func(it auditItem) {
			if it.flushed != nil {
				markers = append(markers, it.flushed)
			} else {
				batch = append(batch, it.e)
			}
		}
		add(it)
	drain:
		for len(batch) < auditBatch {
			select {
			case it, ok := <-l.ch:
				if !ok {
					break drain
				}
				add(it)
			default:
				break drain
			}
		}
		l.write(context.Background(), batch)
		for _, m := range markers {
			close(m)
		}
	}
}

// write appends events in one transaction when the store supports them,
// else one by one. When the transaction fails before its commit (an event
// the store refuses, a failed BEGIN), the events are stored one by one
// instead, so one bad event does not take the rest of its batch with it.
func (l *AuditLog) write(ctx context.Context, events []store.AuditEvent) {
	if len(events) == 0 {
		return
	}
	if tx, ok := l.st.(storage.Transactional); ok && len(events) > 1 {
		committing, err := l.writeTx(ctx, tx, events)
		if err == nil {
			return
		}
		if committing {
			// The commit itself failed: it may have happened (an fsync
			// error), so the events are not written a second time.
			l.fail(ctx, events, err)
			return
		}
		l.log.LogAttrs(ctx, slog.LevelWarn, "audit: batch write failed, storing the events one by one",
			slog.Int("events", len(events)), slog.Any("err", err))
	}
	for i := range events {
		if _, err := l.st.AppendAudit(ctx, &events[i]); err != nil {
			l.fail(ctx, events[i:i+1], err)
		}
	}
}

// writeTx appends events in one transaction of tx. committing reports
// that the error (if any) came from the commit.
func (l *AuditLog) writeTx(ctx context.Context, tx storage.Transactional, events []store.AuditEvent) (committing bool, err error) {
	txCtx, err := tx.BeginTX(ctx)
	if err != nil {
		return false, err
	}
	for i := range events {
		if _, err := l.st.AppendAudit(txCtx, &events[i]); err != nil {
			_ = tx.Rollback(txCtx)
			return false, err
		}
	}
	return true, tx.Commit(txCtx)
}

// fail logs that events could not be stored.
func (l *AuditLog) fail(ctx context.Context, events []store.AuditEvent, err error) {
	l.log.LogAttrs(ctx, slog.LevelError, "audit: could not store events",
		slog.Int("events", len(events)), slog.String("first", events[0].Type), slog.Any("err", err))
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
