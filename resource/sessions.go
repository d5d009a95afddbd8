package resource

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"math"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mark3labs/mcp-go/server"

	"github.com/zscalermcp/zscaler-mcp/resource/auth"
	"github.com/zscalermcp/zscaler-mcp/resource/hardening"
)

// errUnknownSession is returned for a session id that was not issued to the
// caller (unknown, expired, terminated, or someone else's).
var errUnknownSession = errors.New("unknown session")

// Sessions binds MCP session ids (streamable HTTP Mcp-Session-Id and the SSE
// sessionId) to the identity that created them, so another identity that
// learns an id cannot use it: it gets 404 as if the session did not exist.
// mcp-go does not do this itself.
//
// Check runs on every MCP request, so it is a read-locked map lookup plus
// an atomic store; expired bindings are swept when a new one is made.
type Sessions struct {
	max  int
	idle time.Duration
	now  func() time.Time

	mu        sync.RWMutex
	owners    map[string]*binding
	lastSweep time.Time

	// onEnd, when set, is called (on its own goroutine) with the ids of
	// streamable HTTP bindings dropped by a sweep, so the transport can end
	// those sessions too (an SSE session ends with its stream).
	onEnd func(sids []string)
}

type binding struct {
	owner      string
	streamable bool         // a streamable HTTP session (else SSE)
	lastSeen   atomic.Int64 // unix nanoseconds
}

// NewSessions keeps at most max bindings, each for idle after its last use.
func NewSessions(max int, idle time.Duration) *Sessions {
	return &Sessions{max: max, idle: idle, now: time.Now, owners: map[string]*binding{}}
}

// owner is the binding key of an identity: mode, issuer and subject, so two
// validators cannot collide on a subject string.
func owner(id *auth.Identity) string {
	return id.Mode + "\x00" + id.Issuer + "\x00" + id.Subject
}

// ownedBy reports o == owner(id) without building owner(id) (Check runs
// on every request).
func ownedBy(o string, id *auth.Identity) bool {
	if len(o) != len(id.Mode)+len(id.Issuer)+len(id.Subject)+2 {
		return false
	}
	for _, part := range [...]string{id.Mode, "\x00", id.Issuer, "\x00", id.Subject} {
		rest, ok := strings.CutPrefix(o, part)
		if !ok {
			return false
		}
		o = rest
	}
	return true
}

// Bind creates a fresh session id owned by id.
func (s *Sessions) Bind(id *auth.Identity) string { return s.bind(id, false) }

// bind is Bind; streamable marks a streamable HTTP session, which onEnd
// learns about when the binding is dropped.
func (s *Sessions) bind(id *auth.Identity, streamable bool) string {
	var b [24]byte
	_, _ = rand.Read(b[:])
	sid := base64.RawURLEncoding.EncodeToString(b[:])
	now := s.now()
	nb := &binding{owner: owner(id), streamable: streamable}
	nb.lastSeen.Store(now.UnixNano())
	var ended []string
	s.mu.Lock()
	if len(s.owners) >= s.max || now.Sub(s.lastSweep) > time.Minute {
		ended = s.sweepLocked(now)
	}
	s.owners[sid] = nb
	s.mu.Unlock()
	if len(ended) > 0 && s.onEnd != nil {
		go s.onEnd(ended)
	}
	return sid
}

// sweepLocked drops expired bindings and, if still full, the least
// recently used ones, and returns the ids of the streamable HTTP ones.
func (s *Sessions) sweepLocked(now time.Time) (ended []string) {
	s.lastSweep = now
	cutoff := now.Add(-s.idle).UnixNano()
	for sid, b := range s.owners {
		if b.lastSeen.Load() < cutoff {
			delete(s.owners, sid)
			if b.streamable {
				ended = append(ended, sid)
			}
		}
	}
	for len(s.owners) >= s.max {
		oldest, at := "", int64(math.MaxInt64)
		for sid, b := range s.owners {
			if t := b.lastSeen.Load(); t < at {
				oldest, at = sid, t
			}
		}
		if s.owners[oldest].streamable {
			ended = append(ended, oldest)
		}
		delete(s.owners, oldest)
	}
	return ended
}

// Check reports whether sid exists, is not idle-expired and belongs to id,
// refreshing its idle timer when it does.
func (s *Sessions) Check(sid string, id *auth.Identity) bool {
	if id == nil {
		return false
	}
	s.mu.RLock()
	b, ok := s.owners[sid]
	s.mu.RUnlock()
	if !ok || !ownedBy(b.owner, id) {
		return false
	}
	now := s.now().UnixNano()
	if now-b.lastSeen.Load() > int64(s.idle) {
		return false
	}
	b.lastSeen.Store(now)
	return true
}

// Forget drops sid.
func (s *Sessions) Forget(sid string) {
	s.mu.Lock()
	delete(s.owners, sid)
	s.mu.Unlock()
}

// Len is the number of bindings held (expired ones included until swept).
func (s *Sessions) Len() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.owners)
}

// Guard answers 404 before mcp-go runs when a request names a session (the
// Mcp-Session-Id header, or the SSE sessionId query parameter on the message
// endpoint) that is not bound to the authenticated caller.
func (s *Sessions) Guard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sid := r.Header.Get(server.HeaderKeySessionID)
		if sid == "" {
			sid = r.URL.Query().Get("sessionId")
		}
		if sid != "" {
			id, _ := auth.FromContext(r.Context())
			if !s.Check(sid, id) {
				hardening.WriteJSONError(w, http.StatusNotFound, "session_not_found", "unknown or expired MCP session; initialize a new one")
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// internalKey marks the server's own requests to mcp-go (endSessions).
type internalKey struct{}

// endSessions ends streamable HTTP sessions whose bindings expired, the way
// a client's DELETE ends one: mcp-go forgets the session and its transport
// state (it has no idle timer of its own here; see directCalls). Without
// this a session its client never deleted would stay registered for the
// life of the process.
func endSessions(h http.Handler) func(sids []string) {
	return func(sids []string) {
		ctx := context.WithValue(context.Background(), internalKey{}, true)
		for _, sid := range sids {
			req, err := http.NewRequestWithContext(ctx, http.MethodDelete, "/mcp", nil)
			if err != nil {
				continue
			}
			req.Header.Set(server.HeaderKeySessionID, sid)
			h.ServeHTTP(discard{}, req)
		}
	}
}

// discard is a ResponseWriter that drops what it is given.
type discard struct{}

func (discard) Header() http.Header         { return http.Header{} }
func (discard) Write(b []byte) (int, error) { return len(b), nil }
func (discard) WriteHeader(int)             {}

// resolver adapts Sessions to mcp-go's streamable HTTP session manager: ids
// are generated bound to the identity of the initialize request.
type resolver struct{ s *Sessions }

func (rv resolver) ResolveSessionIdManager(r *http.Request) server.SessionIdManager {
	if r == nil || r.Context().Value(internalKey{}) != nil {
		// mcp-go's own shutdown path (CloseSessions) has no request;
		// endSessions marks its own.
		return &boundManager{s: rv.s, internal: true}
	}
	id, _ := auth.FromContext(r.Context())
	return &boundManager{s: rv.s, id: id}
}

type boundManager struct {
	s  *Sessions
	id *auth.Identity
	// internal marks the server's own calls (shutdown), which may end any
	// session but never create or use one.
	internal bool
}

func (m *boundManager) Generate() string {
	if m.id == nil {
		return "" // unreachable: the auth middleware runs first
	}
	return m.s.bind(m.id, true)
}

func (m *boundManager) Validate(sid string) (bool, error) {
	if !m.s.Check(sid, m.id) {
		return false, errUnknownSession
	}
	return false, nil
}

func (m *boundManager) Terminate(sid string) (bool, error) {
	if !m.internal && !m.s.Check(sid, m.id) {
		return false, errUnknownSession
	}
	m.s.Forget(sid)
	return false, nil
}
