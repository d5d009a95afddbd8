package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// The authorization-server benchmark (-as): the real zscaler-mcp binary in
// oidcproxy mode with a dev IdP, on its default sqlite store (a file in a
// fresh data dir, synchronous=FULL), driven over loopback HTTP.

// Targets of issue 3 (operations per second on this machine).
const (
	targetRegistrations  = 2000
	targetCodeExchanges  = 1500
	targetRefreshes      = 1500
	targetIntrospections = 5000
)

// asServerEnv is the environment the AS benchmark adds to the server's: no
// rate limits (the defaults, 10 registrations per minute and 50 token
// requests per second per IP, would measure the limiter, not the server).
var asServerEnv = []string{
	"ZSCALER_MCP_REGISTRATION_RATE_LIMIT=off",
	"ZSCALER_MCP_TOKEN_RATE_LIMIT=off",
}

// devIdPConfig is the config file of the oidcproxy servers the harness
// starts: one dev IdP (loopback only), default lifetimes.
const devIdPConfig = "idps:\n  - id: dev\n    type: dev\n"

// asPhase is one endpoint's measurement.
type asPhase struct {
	Name      string  `json:"name"`
	Workers   int     `json:"workers"`
	Ops       int     `json:"ops"`
	Seconds   float64 `json:"seconds"`
	OpsPerSec float64 `json:"ops_per_sec"`
	Target    float64 `json:"target_ops_per_sec"`
	P50       usec    `json:"p50_us"`
	P99       usec    `json:"p99_us"`
	Errors    int     `json:"errors"`
	FirstErr  string  `json:"first_error,omitempty"`

	ServerCPUUs  float64 `json:"server_cpu_us_per_op"`
	ServerCPUPct float64 `json:"server_cpu_pct"`
	OtherCPUPct  float64 `json:"other_cpu_pct"`
	Note         string  `json:"note,omitempty"`
}

// asResult is the AS benchmark's report.
type asResult struct {
	ServerEnv     []string  `json:"server_env"`
	ServerProcs   int       `json:"server_gomaxprocs"`
	ServerCPUs    string    `json:"server_cpus"` // "" when not pinned
	CodesPrepared int       `json:"codes_prepared"`
	PrepPerSec    float64   `json:"code_preparation_per_sec"`
	Phases        []asPhase `json:"phases"`
}

// errNoWork ends a fixed-work phase.
var errNoWork = errors.New("no more work")

// asLoad runs op on workers goroutines for dur (0: until every worker's op
// returns errNoWork), recording the latency of every successful op.
func asLoad(ctx context.Context, workers int, dur time.Duration, op func(ctx context.Context, w int) error) loadResult {
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		res   loadResult
		stop  atomic.Bool
		lats  = make([][]time.Duration, workers)
		start = time.Now()
	)
	if dur > 0 {
		t := time.AfterFunc(dur, func() { stop.Store(true) })
		defer t.Stop()
	}
	for w := range workers {
		wg.Go(func() {
			lat := make([]time.Duration, 0, 4096)
			var n, errs int
			var first string
			for !stop.Load() && ctx.Err() == nil {
				t0 := time.Now()
				err := op(ctx, w)
				if errors.Is(err, errNoWork) {
					break
				}
				n++
				if err != nil {
					errs++
					if first == "" {
						first = err.Error()
					}
					continue
				}
				lat = append(lat, time.Since(t0))
			}
			lats[w] = lat
			mu.Lock()
			res.Requests += n
			res.Errors += errs
			if res.FirstErr == "" {
				res.FirstErr = first
			}
			mu.Unlock()
		})
	}
	wg.Wait()
	res.Elapsed = time.Since(start)
	for _, l := range lats {
		res.Latencies = append(res.Latencies, l...)
	}
	return res
}

// measureAS runs asLoad while reading the server's and the machine's CPU
// time, and summarises it as a phase.
func measureAS(ctx context.Context, name string, pid, workers int, dur time.Duration, target float64, op func(ctx context.Context, w int) error) asPhase {
	cpu0, self0, sys0 := mustCPU(pid), selfCPU(), systemBusy()
	r := asLoad(ctx, workers, dur, op)
	cpu1, self1, sys1 := mustCPU(pid), selfCPU(), systemBusy()
	ok := r.Requests - r.Errors
	slices.Sort(r.Latencies)
	p := asPhase{Name: name, Workers: workers, Ops: ok, Seconds: r.Elapsed.Seconds(), Target: target,
		P50: usec(percentile(r.Latencies, 0.5)), P99: usec(percentile(r.Latencies, 0.99)),
		Errors: r.Errors, FirstErr: r.FirstErr}
	if s := r.Elapsed.Seconds(); s > 0 {
		p.OpsPerSec = float64(ok) / s
		p.ServerCPUPct = 100 * (cpu1 - cpu0).Seconds() / s
		p.OtherCPUPct = max(0, 100*(sys1-sys0-(cpu1-cpu0)-(self1-self0)).Seconds()/s)
	}
	if ok > 0 {
		p.ServerCPUUs = float64((cpu1 - cpu0).Microseconds()) / float64(ok)
	}
	return p
}

// runAS starts the server and measures registrations, code exchanges,
// refreshes and introspections, in that order.
func runAS(ctx context.Context, o options, cpus, tmp string, logf func(string, ...any)) (*asResult, error) {
	dataDir, err := os.MkdirTemp(tmp, "as-")
	if err != nil {
		return nil, err
	}
	cfg := filepath.Join(dataDir, "config.yaml")
	if err := os.WriteFile(cfg, []byte(devIdPConfig), 0o600); err != nil {
		return nil, err
	}
	env := append([]string{fmt.Sprintf("GOMAXPROCS=%d", o.ASServerProcs)}, asServerEnv...)
	var logTo io.Writer
	if o.ServerLogDir != "" {
		f, err := os.Create(filepath.Join(o.ServerLogDir, "as.log"))
		if err != nil {
			return nil, err
		}
		defer f.Close()
		logTo = f
	}
	p, err := startProc("as", o.Bin, []string{"--transport", "streamable-http", "--host", "127.0.0.1", "--port", "0",
		"--data-dir", dataDir, "--config", cfg}, env, cpus, logTo)
	if err != nil {
		return nil, err
	}
	defer p.stop()
	res := &asResult{ServerEnv: asServerEnv, ServerProcs: o.ASServerProcs, ServerCPUs: cpus}
	a := &asClient{base: p.base}
	setup := a.newHTTP(false)
	defer setup.CloseIdleConnections()
	if err := a.discover(ctx, setup); err != nil {
		return nil, fmt.Errorf("%w\nserver log:\n%s", err, p.lastLog())
	}
	workers := o.Concurrency
	hcs := make([]*http.Client, workers)
	for i := range hcs {
		hcs[i] = a.newHTTP(true)
		defer hcs[i].CloseIdleConnections()
	}
	phase := func(ph asPhase) {
		res.Phases = append(res.Phases, ph)
		logf("  as %s: %.0f/s (target %.0f), p50 %s, p99 %s, errors %d, server %.0f%% CPU (%.0fµs/op), other %.0f%%",
			ph.Name, ph.OpsPerSec, ph.Target, ph.P50, ph.P99, ph.Errors, ph.ServerCPUPct, ph.ServerCPUUs, ph.OtherCPUPct)
	}

	// Registrations: public clients with a loopback redirect, as mcp-remote
	// registers.
	regBody := registrationBody(false)
	register := func(ctx context.Context, w int) error {
		_, err := a.register(ctx, hcs[w], regBody)
		return err
	}
	asLoad(ctx, workers, o.Warmup, register)
	phase(measureAS(ctx, "registrations", p.pid, workers, o.Duration, targetRegistrations, register))

	// Codes through the browser path, prepared before the timed phase.
	pub, err := a.register(ctx, setup, regBody)
	if err != nil {
		return nil, err
	}
	type pending struct{ code, verifier string }
	codes := make([][]pending, workers)
	perWorker := max(1, o.ASCodes/workers)
	t0 := time.Now()
	var next atomic.Int64
	prep := asLoad(ctx, workers, 0, func(ctx context.Context, w int) error {
		if len(codes[w]) >= perWorker {
			return errNoWork
		}
		next.Add(1)
		code, verifier, err := a.authorize(ctx, hcs[w], pub, fmt.Sprintf("bench-user-%d", w))
		if err == nil {
			codes[w] = append(codes[w], pending{code, verifier})
		}
		return err
	})
	if prep.Errors > 0 {
		return nil, fmt.Errorf("preparing codes: %d errors, first: %s\nserver log:\n%s", prep.Errors, prep.FirstErr, p.lastLog())
	}
	res.CodesPrepared = int(next.Load())
	res.PrepPerSec = float64(res.CodesPrepared) / time.Since(t0).Seconds()
	logf("  as: %d codes prepared through /authorize → dev sign-in → consent (%.0f/s)", res.CodesPrepared, res.PrepPerSec)

	// Code exchanges: the first tenth of each worker's codes warms up.
	refresh := make([][]string, workers)
	exchangeFrom := func(skip bool) func(ctx context.Context, w int) error {
		warm := perWorker / 10
		return func(ctx context.Context, w int) error {
			if (skip && len(refresh[w]) >= warm) || len(codes[w]) == 0 {
				return errNoWork
			}
			c := codes[w][0]
			codes[w] = codes[w][1:]
			t, err := a.exchange(ctx, hcs[w], pub, c.code, c.verifier)
			if err == nil {
				refresh[w] = append(refresh[w], t.RefreshToken)
			}
			return err
		}
	}
	asLoad(ctx, workers, 0, exchangeFrom(true))
	ph := measureAS(ctx, "code exchanges", p.pid, workers, 0, targetCodeExchanges, exchangeFrom(false))
	ph.Note = "public client, PKCE S256; codes from the real browser path"
	phase(ph)

	// Refreshes: each worker rotates its own grants round-robin.
	turn := make([]int, workers)
	rotate := func(ctx context.Context, w int) error {
		rts := refresh[w]
		if len(rts) == 0 {
			return errNoWork
		}
		i := turn[w] % len(rts)
		turn[w]++
		t, err := a.refresh(ctx, hcs[w], pub, rts[i])
		if err == nil {
			rts[i] = t.RefreshToken
		}
		return err
	}
	asLoad(ctx, workers, o.Warmup, rotate)
	ph = measureAS(ctx, "refreshes", p.pid, workers, o.Duration, targetRefreshes, rotate)
	ph.Note = "rotation with reuse detection, one grant per request"
	phase(ph)

	// Introspections by a confidential client of its own access token.
	conf, tok, err := a.login(ctx, true)
	if err != nil {
		return nil, fmt.Errorf("confidential client login: %w", err)
	}
	introspect := func(ctx context.Context, w int) error {
		return a.introspect(ctx, hcs[w], conf, tok.AccessToken)
	}
	asLoad(ctx, workers, o.Warmup, introspect)
	ph = measureAS(ctx, "introspections", p.pid, workers, o.Duration, targetIntrospections, introspect)
	ph.Note = "confidential client (client_secret_basic), active JWT access token"
	phase(ph)
	return res, nil
}
