package resource

import (
	"context"
	"net/http"
	"sync"

	"github.com/zscalermcp/zscaler-mcp/resource/auth"
)

// streams tracks the long-lived MCP requests (the SSE stream, the
// streamable-HTTP GET stream) of each caller, so revoking a grant, a client
// or a subject can end the streams it opened: their request contexts are
// cancelled, which mcp-go's stream loops watch.
type streams struct {
	mu    sync.Mutex
	byKey map[string]map[*streamEntry]struct{}
}

type streamEntry struct {
	cancel context.CancelFunc
	keys   []string
}

// Revocation kinds understood by CloseStreamsOf (the store's log kinds).
const (
	RevokeGrant   = "grant"
	RevokeClient  = "client"
	RevokeSubject = "subject"
)

// streamKeys names what can revoke id's streams: its grant (a token from our
// authorization server carries grant_id), its client and its subject.
func streamKeys(id *auth.Identity) []string {
	keys := []string{RevokeSubject + "\x00" + id.Subject}
	if id.ClientID != "" {
		keys = append(keys, RevokeClient+"\x00"+id.ClientID)
	}
	if g, ok := id.Claims["grant_id"].(string); ok && g != "" {
		keys = append(keys, RevokeGrant+"\x00"+g)
	}
	return keys
}

// track wraps GET requests (the streams) with a cancellable context
// registered under the caller's keys for as long as they run.
func (s *streams) track(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, ok := auth.FromContext(r.Context())
		if r.Method != http.MethodGet || !ok {
			next.ServeHTTP(w, r)
			return
		}
		ctx, cancel := context.WithCancel(r.Context())
		e := &streamEntry{cancel: cancel, keys: streamKeys(id)}
		s.mu.Lock()
		if s.byKey == nil {
			s.byKey = map[string]map[*streamEntry]struct{}{}
		}
		for _, k := range e.keys {
			if s.byKey[k] == nil {
				s.byKey[k] = map[*streamEntry]struct{}{}
			}
			s.byKey[k][e] = struct{}{}
		}
		s.mu.Unlock()
		defer func() {
			s.mu.Lock()
			for _, k := range e.keys {
				delete(s.byKey[k], e)
				if len(s.byKey[k]) == 0 {
					delete(s.byKey, k)
				}
			}
			s.mu.Unlock()
			cancel()
		}()
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// close cancels every stream registered under kind and value and reports
// how many.
func (s *streams) close(kind, value string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for e := range s.byKey[kind+"\x00"+value] {
		e.cancel()
		n++
	}
	return n
}
