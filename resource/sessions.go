package resource

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"net/http"
	"time"

	"github.com/hashicorp/golang-lru/v2/expirable"
	"github.com/mark3labs/mcp-go/server"

	"github.com/zscalermcp/zscaler-mcp/resource/auth"
)

// errUnknownSession is returned for a session id that was not issued to the
// caller (unknown, expired, terminated, or someone else's).
var errUnknownSession = errors.New("unknown session")

// Sessions binds MCP session ids (streamable HTTP Mcp-Session-Id and the SSE
// sessionId) to the identity that created them, so another identity that
// learns an id cannot use it: it gets 404 as if the session did not exist.
// mcp-go does not do this itself.
type Sessions struct {
	owners *expirable.LRU[string, string]
}

// NewSessions keeps at most max bindings, each for idle after its last use.
func NewSessions(max int, idle time.Duration) *Sessions {
	return &Sessions{owners: expirable.NewLRU[string, string](max, nil, idle)}
}

// owner is the binding key of an identity: mode, issuer and subject, so two
// validators cannot collide on a subject string.
func owner(id *auth.Identity) string {
	return id.Mode + "\x00" + id.Issuer + "\x00" + id.Subject
}

// Bind creates a fresh session id owned by id.
func (s *Sessions) Bind(id *auth.Identity) string {
	var b [24]byte
	_, _ = rand.Read(b[:])
	sid := base64.RawURLEncoding.EncodeToString(b[:])
	s.owners.Add(sid, owner(id))
	return sid
}

// Check reports whether sid exists and belongs to id, refreshing its idle
// timer when it does.
func (s *Sessions) Check(sid string, id *auth.Identity) bool {
	o, ok := s.owners.Get(sid)
	if !ok || id == nil || o != owner(id) {
		return false
	}
	s.owners.Add(sid, o)
	return true
}

// Forget drops sid.
func (s *Sessions) Forget(sid string) { s.owners.Remove(sid) }

// Len is the number of live bindings.
func (s *Sessions) Len() int { return s.owners.Len() }

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
				writeJSON(w, http.StatusNotFound, map[string]string{
					"error": "session_not_found", "error_description": "unknown or expired MCP session; initialize a new one",
				})
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// resolver adapts Sessions to mcp-go's streamable HTTP session manager: ids
// are generated bound to the identity of the initialize request.
type resolver struct{ s *Sessions }

func (rv resolver) ResolveSessionIdManager(r *http.Request) server.SessionIdManager {
	if r == nil {
		// mcp-go's own shutdown path (CloseSessions) has no request.
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
	return m.s.Bind(m.id)
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
