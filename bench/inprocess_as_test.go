package main

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/go-chi/chi/v5"
	"golang.org/x/time/rate"

	"github.com/zscalermcp/zscaler-mcp/oauthserver"
	"github.com/zscalermcp/zscaler-mcp/resource"
	"github.com/zscalermcp/zscaler-mcp/resource/auth/astoken"
	"github.com/zscalermcp/zscaler-mcp/store/sqlite"
)

// approveAll signs every authorization request in at once (the in-process
// variant has no IdP and no consent page; the binary's benchmark has both).
var approveAll = oauthserver.AuthenticatorFunc(func(http.ResponseWriter, *http.Request, *oauthserver.AuthorizationRequest) (*oauthserver.Subject, error) {
	return &oauthserver.Subject{ID: "dev|bench-user", Username: "bench", IdP: "dev"}, nil
})

// ourOIDCProxy is the oidcproxy wiring of cmd/zscaler-mcp (startOIDCProxy)
// on a sqlite file in a temporary directory, with rate limits off: the
// token validator, the PRM and the AS routes.
func ourOIDCProxy(tb testing.TB, public string, logger *slog.Logger) (*astoken.Validator, *resource.PRM, func(chi.Router)) {
	tb.Helper()
	ctx := context.Background()
	st, err := sqlite.OpenDir(ctx, tb.TempDir(), sqlite.Options{Logger: logger})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	as, err := oauthserver.New(ctx, oauthserver.Config{PublicURL: public, LoopbackBind: true, Store: st,
		Authenticator: approveAll, Logger: logger, RegistrationRate: rate.Inf, TokenEndpointRate: rate.Inf})
	if err != nil {
		tb.Fatal(err)
	}
	v, err := astoken.New(astoken.Config{Issuer: as.Issuer(), Resources: as.Resources(), Keys: astoken.ServerKeys(as),
		Revocations: st, Logger: logger})
	if err != nil {
		tb.Fatal(err)
	}
	if err := v.Sync(ctx); err != nil {
		tb.Fatal(err)
	}
	issuer := as.Issuer()
	return v, &resource.PRM{AuthorizationServers: func(*http.Request) []string { return []string{issuer} }}, as.Mount
}

// asInProcess serves the oidcproxy handler in-process and returns a
// client of its authorization server, after discovery.
func asInProcess(tb testing.TB) *asClient {
	tb.Helper()
	ts := httptest.NewUnstartedServer(nil)
	base := "http://" + ts.Listener.Addr().String()
	ts.Config.Handler = ourHandler(tb, "oidcproxy", base, nil)
	ts.Start()
	tb.Cleanup(ts.Close)
	a := &asClient{base: base}
	hc := a.newHTTP(false)
	defer hc.CloseIdleConnections()
	if err := a.discover(context.Background(), hc); err != nil {
		tb.Fatal(err)
	}
	return a
}

// BenchmarkAS measures each AS endpoint in-process (one op = one request,
// 16 workers per GOMAXPROCS) for profiling:
//
//	go test -run '^$' -bench 'BenchmarkAS/exchange' -cpu 1 -cpuprofile /tmp/as.out ./bench/
//	go tool pprof -top -cum -focus 'net/http.\(\*conn\).serve' bench.test /tmp/as.out
func BenchmarkAS(b *testing.B) {
	ctx := context.Background()
	b.Run("register", func(b *testing.B) {
		a := asInProcess(b)
		body := registrationBody(false)
		parallel(b, a, func(hc *http.Client) error { _, err := a.register(ctx, hc, body); return err })
	})
	b.Run("exchange", func(b *testing.B) {
		a := asInProcess(b)
		hc := a.newHTTP(true)
		c, err := a.register(ctx, hc, registrationBody(false))
		if err != nil {
			b.Fatal(err)
		}
		type pending struct{ code, verifier string }
		codes := make(chan pending, b.N)
		for range b.N {
			code, v, err := a.authorize(ctx, hc, c, "u")
			if err != nil {
				b.Fatal(err)
			}
			codes <- pending{code, v}
		}
		close(codes)
		b.ResetTimer()
		parallel(b, a, func(hc *http.Client) error {
			p := <-codes
			_, err := a.exchange(ctx, hc, c, p.code, p.verifier)
			return err
		})
	})
	b.Run("refresh", func(b *testing.B) {
		a := asInProcess(b)
		var mu sync.Mutex
		parallelSetup(b, a, func(hc *http.Client) func() error {
			mu.Lock()
			defer mu.Unlock()
			c, t, err := a.login(ctx, false)
			if err != nil {
				b.Fatal(err)
			}
			rt := t.RefreshToken
			return func() error {
				t, err := a.refresh(ctx, hc, c, rt)
				rt = t.RefreshToken
				return err
			}
		})
	})
	b.Run("introspect", func(b *testing.B) {
		a := asInProcess(b)
		c, t, err := a.login(ctx, true)
		if err != nil {
			b.Fatal(err)
		}
		parallel(b, a, func(hc *http.Client) error { return a.introspect(ctx, hc, c, t.AccessToken) })
	})
}

func parallel(b *testing.B, a *asClient, op func(hc *http.Client) error) {
	parallelSetup(b, a, func(hc *http.Client) func() error { return func() error { return op(hc) } })
}

// parallelSetup runs one op per iteration on 16 workers per GOMAXPROCS,
// each with its own connection and its own op (from setup).
func parallelSetup(b *testing.B, a *asClient, setup func(hc *http.Client) func() error) {
	var failed atomic.Pointer[error]
	b.SetParallelism(16)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		hc := a.newHTTP(false)
		defer hc.CloseIdleConnections()
		op := setup(hc)
		for pb.Next() {
			if err := op(); err != nil {
				failed.CompareAndSwap(nil, &err)
			}
		}
	})
	if e := failed.Load(); e != nil {
		b.Fatal(*e)
	}
}
