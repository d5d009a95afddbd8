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

	// The queue is a slice that grows with the backlog and is released
	// when the writer empties it, so an idle AuditLog holds no buffer
	// (a channel of auditQueue items would pin ~670 KB for the process's
	// life).
	mu      sync.Mutex
	closed  bool
	q       []auditItem
	ready   chan struct{} // capacity 1: the queue went from empty to non-empty, or closed
	room    *sync.Cond    // on mu: the writer took items from a full queue
	done    chan struct{} // closed when the writer has stored everything and stopped
	waiters int           // Audit calls waiting for room
}

// auditItem is an event to store, or (flushed != nil) a flush marker.
type auditItem struct {
	e       store.AuditEvent
	flushed chan struct{}
}

// auditQueue bounds the items waiting for the writer; auditBatch bounds
// one write; a queue whose backing array exceeds auditKeep items is
// released once empty.
const (
	auditQueue = 4096
	auditBatch = 256
	auditKeep  = 16
)

// NewAuditLog returns an AuditLog writing to logger (nil: discard) and st
// (nil: log only). Call Close when done, to flush the last events.
func NewAuditLog(st store.Audit, logger *slog.Logger) *AuditLog {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	l := &AuditLog{st: st, log: logger}
	if st != nil {
		l.ready = make(chan struct{}, 1)
		l.room = sync.NewCond(&l.mu)
		l.done = make(chan struct{})
		go l.writer()
	}
	return l
}

// enqueue adds it to the queue, waiting while the queue is full. It
// reports false (and queues nothing) once the log is closed.
func (l *AuditLog) enqueue(it auditItem) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	for len(l.q) >= auditQueue && !l.closed {
		l.waiters++
		l.room.Wait()
		l.waiters--
	}
	if l.closed {
		return false
	}
	l.q = append(l.q, it)
	if len(l.q) == 1 {
		l.wake()
	}
	return true
}

// wake tells the writer there is work (or that the log closed); l.mu is
// held.
func (l *AuditLog) wake() {
	select {
	case l.ready <- struct{}{}:
	default: // already signalled
	}
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
	if !l.enqueue(auditItem{e: e}) {
		// After Close: write directly. The event is recorded even when
		// the request was cancelled right after the action it describes.
		l.write(context.WithoutCancel(ctx), []store.AuditEvent{e})
	}
}

// Flush waits until the events queued before it are stored, or ctx ends.
func (l *AuditLog) Flush(ctx context.Context) error {
	if l.st == nil {
		return nil
	}
	done := make(chan struct{})
	if !l.enqueue(auditItem{flushed: done}) {
		return nil // Close has stored everything queued
	}
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
		l.wake()
		l.room.Broadcast()
	}
	l.mu.Unlock()
	<-l.done
	return nil
}

// writer stores queued events in batches until the log is closed and
// its queue empty.
func (l *AuditLog) writer() {
	defer close(l.done)
	var (
		batch   []store.AuditEvent
		markers []chan struct{}
	)
	for {
		<-l.ready
		for {
			batch, markers = batch[:0], markers[:0]
			l.mu.Lock()
			n := 0
			for n < len(l.q) && len(batch) < auditBatch {
				if it := l.q[n]; it.flushed != nil {
					markers = append(markers, it.flushed)
				} else {
					batch = append(batch, it.e)
				}
				n++
			}
			if n > 0 {
				rest := copy(l.q, l.q[n:])
				clear(l.q[rest:]) // drop the taken events' strings
				l.q = l.q[:rest]
				if rest == 0 && cap(l.q) > auditKeep {
					l.q = nil // release a backlog's buffer
				}
				if l.waiters > 0 {
					l.room.Broadcast()
				}
			}
			closed := l.closed
			l.mu.Unlock()
			if n == 0 {
				if closed {
					return
				}
				if cap(batch) > auditKeep {
					batch = nil // release a burst's buffer while idle
				}
				break // wait for the next wake
			}
			l.write(context.Background(), batch)
			for _, m := range markers {
				close(m)
			}
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
