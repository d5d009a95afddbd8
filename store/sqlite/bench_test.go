package sqlite_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ory/fosite"

	"github.com/zscalermcp/zscaler-mcp/store"
	"github.com/zscalermcp/zscaler-mcp/store/sqlite"
)

func benchStore(b *testing.B, opts sqlite.Options) (*sqlite.Store, *store.Client) {
	b.Helper()
	ctx := context.Background()
	s, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), sqlite.DefaultFileName), opts)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	c := &store.Client{ID: "bench-client", SecretHash: store.HashSecret("secret"),
		RedirectURIs: []string{"https://client.example.com/callback"}, GrantTypes: []string{"authorization_code", "refresh_token"},
		ResponseTypes: []string{"code"}, Scopes: []string{"zscaler.read", "zscaler.write"}, Audience: []string{"https://mcp.example.com/mcp"},
		TokenEndpointAuthMethod: store.AuthMethodClientSecretBasic, Origin: store.OriginDCR, Name: "Bench"}
	if err := s.CreateClient(ctx, c); err != nil {
		b.Fatal(err)
	}
	return s, c
}

func benchRequest(c fosite.Client, id string) *fosite.Request {
	now := time.Now().UTC()
	return &fosite.Request{ID: id, RequestedAt: now, Client: c,
		RequestedScope: fosite.Arguments{"zscaler.read"}, GrantedScope: fosite.Arguments{"zscaler.read"},
		RequestedAudience: fosite.Arguments{"https://mcp.example.com/mcp"}, GrantedAudience: fosite.Arguments{"https://mcp.example.com/mcp"},
		Form: map[string][]string{"grant_type": {"refresh_token"}},
		Session: &store.Session{Subject: "user-" + id, ClientID: c.GetID(), GrantID: id, IdP: "dev",
			ExpiresAt:      map[fosite.TokenType]time.Time{fosite.AccessToken: now.Add(time.Hour), fosite.RefreshToken: now.Add(720 * time.Hour)},
			GrantExpiresAt: now.Add(2160 * time.Hour)},
	}
}

// refreshOnce is the storage work of one fosite refresh: read the old
// token (outside the transaction), then rotate it and create the new access
// and refresh tokens in one transaction.
func refreshOnce(ctx context.Context, s *sqlite.Store, req *fosite.Request, old, newRT, newAT string) error {
	if _, err := s.GetRefreshTokenSession(ctx, old, &store.Session{}); err != nil {
		return err
	}
	txCtx, err := s.BeginTX(ctx)
	if err != nil {
		return err
	}
	if err := s.RotateRefreshToken(txCtx, req.ID, old); err != nil {
		s.Rollback(txCtx)
		return err
	}
	if err := s.CreateAccessTokenSession(txCtx, newAT, req); err != nil {
		s.Rollback(txCtx)
		return err
	}
	if err := s.CreateRefreshTokenSession(txCtx, newRT, newAT, req); err != nil {
		s.Rollback(txCtx)
		return err
	}
	return s.Commit(txCtx)
}

// BenchmarkCreateRefreshAndRotate measures one refresh's storage work, on
// one grant (serial) and on many grants in parallel, with both synchronous
// settings.
func BenchmarkCreateRefreshAndRotate(b *testing.B) {
	for _, syncMode := range []string{"FULL", "NORMAL"} {
		b.Run("sync="+syncMode+"/serial", func(b *testing.B) {
			s, c := benchStore(b, sqlite.Options{Synchronous: syncMode})
			ctx := context.Background()
			req := benchRequest(c, "grant")
			old := "rt-init"
			if err := s.CreateRefreshTokenSession(ctx, old, "", req); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				rt := fmt.Sprintf("rt-%d", i)
				if err := refreshOnce(ctx, s, req, old, rt, fmt.Sprintf("at-%d", i)); err != nil {
					b.Fatal(err)
				}
				old = rt
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "refreshes/s")
		})
		b.Run("sync="+syncMode+"/parallel", func(b *testing.B) {
			s, c := benchStore(b, sqlite.Options{Synchronous: syncMode})
			ctx := context.Background()
			var grants atomic.Int64
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				g := grants.Add(1)
				req := benchRequest(c, fmt.Sprintf("grant-%d", g))
				old := fmt.Sprintf("rt-%d-init", g)
				if err := s.CreateRefreshTokenSession(ctx, old, "", req); err != nil {
					b.Error(err)
					return
				}
				for i := 0; pb.Next(); i++ {
					rt := fmt.Sprintf("rt-%d-%d", g, i)
					if err := refreshOnce(ctx, s, req, old, rt, fmt.Sprintf("at-%d-%d", g, i)); err != nil {
						b.Error(err)
						return
					}
					old = rt
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "refreshes/s")
		})
	}
}

// BenchmarkGetClient measures fosite's client lookup (every token request
// does one).
func BenchmarkGetClient(b *testing.B) {
	s, c := benchStore(b, sqlite.Options{})
	ctx := context.Background()
	b.Run("serial", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if _, err := s.GetClient(ctx, c.ID); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := s.GetClient(ctx, c.ID); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}
