// Command bench measures tools/call throughput and latency of zscaler-mcp
// over streamable HTTP in each client-auth mode, against plain mcp-go (the
// ceiling), plus each server's RSS, and the cold cost of one JWT
// verification and one Zscaler credential validation. See README.md.
//
//	go run ./bench -duration 10s -concurrency 16 -json bench.json
//
// Servers run one at a time as subprocesses on 127.0.0.1; the harness only
// talks to 127.0.0.1 and stops by itself.
package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"time"
)

// options are the command-line flags.
type options struct {
	Duration       time.Duration `json:"duration_ns"`
	Warmup         time.Duration `json:"warmup_ns"`
	Concurrency    int           `json:"concurrency"`
	RSSConcurrency int           `json:"rss_concurrency"`
	RSSDuration    time.Duration `json:"rss_duration_ns"`
	IdleWait       time.Duration `json:"idle_wait_ns"`
	Modes          []string      `json:"modes"`
	Rounds         int           `json:"rounds"`
	Pin            bool          `json:"pin"`
	ServerCPUs     string        `json:"server_cpus"`
	ClientCPU      int           `json:"client_cpu"`
	ServerProcs    int           `json:"server_gomaxprocs"`
	ClientProcs    int           `json:"client_gomaxprocs"`
	ColdSamples    int           `json:"cold_samples"`
	ColdBench      bool          `json:"cold_bench"`
	BenchTime      string        `json:"benchtime"`
	JSONOut        string        `json:"-"`
	Bin            string        `json:"-"`
	PlainBin       string        `json:"-"`
	NoiseLimit     float64       `json:"noise_limit_pct"`
	NoiseRetries   int           `json:"noise_retries"`
	Quiet          bool          `json:"-"`
	ServerLogDir   string        `json:"-"`
	AS             bool          `json:"as"`
	ASServerCPUs   string        `json:"as_server_cpus"`
	ASServerProcs  int           `json:"as_server_gomaxprocs"`
	devConfig      string        // the dev-IdP config file of the oidcproxy servers
	ASCodes        int           `json:"as_codes"`
}

var allModes = []string{"plain", "none", "api-key", "jwt", "zscaler", "oidcproxy"}

func parseFlags(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.DurationVar(&o.Duration, "duration", 10*time.Second, "measured duration per mode")
	fs.DurationVar(&o.Warmup, "warmup", 3*time.Second, "warm-up per mode (excluded from stats)")
	fs.IntVar(&o.Concurrency, "concurrency", 16, "concurrent workers (one MCP session and connection each)")
	fs.IntVar(&o.RSSConcurrency, "rss-concurrency", 64, "workers of the peak-RSS phase (0 skips it)")
	fs.DurationVar(&o.RSSDuration, "rss-duration", 5*time.Second, "duration of the peak-RSS phase")
	fs.DurationVar(&o.IdleWait, "idle-wait", time.Second, "pause after warm-up before reading idle RSS")
	modes := fs.String("modes", strings.Join(allModes, ","), "modes to run, in order (plain is the ratio baseline)")
	fs.IntVar(&o.Rounds, "rounds", 1, "repeat every mode this many times (interleaved); the table shows each mode's median-throughput round")
	fs.BoolVar(&o.Pin, "pin", true, "pin servers to -server-cpus and the harness to -client-cpu (needs taskset and 2+ CPUs; off otherwise)")
	fs.StringVar(&o.ServerCPUs, "server-cpus", "1", "CPU list for the server processes when pinning (taskset -c)")
	fs.IntVar(&o.ClientCPU, "client-cpu", 0, "CPU for the harness (load generator, loopback IdP) when pinning")
	fs.IntVar(&o.ServerProcs, "server-procs", 1, "GOMAXPROCS of the servers (and of the cold benchmarks)")
	fs.IntVar(&o.ClientProcs, "client-procs", 1, "GOMAXPROCS of the harness")
	fs.IntVar(&o.ColdSamples, "cold-samples", 25, "fresh-credential first requests per token mode (0 skips)")
	fs.BoolVar(&o.ColdBench, "cold-bench", true, "run BenchmarkVerifyCold and BenchmarkValidateCold")
	fs.StringVar(&o.BenchTime, "benchtime", "2s", "-test.benchtime of the cold benchmarks")
	fs.StringVar(&o.JSONOut, "json", "", "write the results as JSON to this file")
	fs.StringVar(&o.Bin, "bin", "", "prebuilt zscaler-mcp binary (default: go build ./cmd/zscaler-mcp)")
	fs.StringVar(&o.PlainBin, "plain-bin", "", "prebuilt bench/plainserver binary (default: go build ./bench/plainserver)")
	fs.Float64Var(&o.NoiseLimit, "noise-limit", 15, "re-run a mode whose measured phase saw more than this much CPU (% of one CPU) used by other processes (0: never)")
	fs.IntVar(&o.NoiseRetries, "noise-retries", 3, "re-runs allowed per mode and round by -noise-limit")
	fs.BoolVar(&o.Quiet, "q", false, "no progress lines")
	fs.StringVar(&o.ServerLogDir, "server-log-dir", "", "write each server's stderr to DIR/MODE-rROUND.log")
	fs.BoolVar(&o.AS, "as", true, "also benchmark the authorization server (oidcproxy mode): registrations, code exchanges, refreshes, introspections")
	fs.IntVar(&o.ASCodes, "as-codes", 4000, "authorization codes prepared through the browser path for the code-exchange phase")
	fs.StringVar(&o.ASServerCPUs, "as-server-cpus", "", "CPU list for the authorization-server benchmark's server when pinning (\"\": not pinned, the whole machine)")
	fs.IntVar(&o.ASServerProcs, "as-server-procs", runtime.NumCPU(), "GOMAXPROCS of the authorization-server benchmark's server")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	for m := range strings.SplitSeq(*modes, ",") {
		if m = strings.TrimSpace(m); m == "" {
			continue
		}
		if !slices.Contains(allModes, m) {
			return o, fmt.Errorf("-modes: unknown mode %q (%s)", m, strings.Join(allModes, ", "))
		}
		o.Modes = append(o.Modes, m)
	}
	switch {
	case len(o.Modes) == 0 && !o.AS:
		return o, errors.New("-modes: nothing to run")
	case o.AS && (o.ASCodes < 1 || o.ASServerProcs < 1):
		return o, errors.New("-as-codes and -as-server-procs must be at least 1")
	case o.Duration <= 0 || o.Warmup < 0 || o.RSSDuration < 0 || o.IdleWait < 0:
		return o, errors.New("durations must be positive")
	case o.Concurrency < 1 || o.RSSConcurrency < 0 || o.Rounds < 1 || o.ServerProcs < 1 || o.ClientProcs < 1:
		return o, errors.New("-concurrency, -rounds, -server-procs and -client-procs must be at least 1")
	}
	return o, nil
}

// env describes the machine, for the JSON output.
type envInfo struct {
	GoVersion string `json:"go_version"`
	GOOS      string `json:"goos"`
	GOARCH    string `json:"goarch"`
	NumCPU    int    `json:"num_cpu"`
	CPUModel  string `json:"cpu_model"`
	Commit    string `json:"commit"`
	Pinned    bool   `json:"pinned"`
	Started   string `json:"started"`
}

// report is the JSON output.
type report struct {
	Options options        `json:"options"`
	Env     envInfo        `json:"env"`
	Results []modeResult   `json:"results"` // the median round of each mode
	Rounds  [][]modeResult `json:"rounds"`  // every round
	Cold    []benchLine    `json:"cold_benchmarks,omitempty"`
	AS      *asResult      `json:"authorization_server,omitempty"`
	Targets targetCheck    `json:"targets"`
}

type targetCheck struct {
	MinRatio    float64  `json:"min_ratio"`
	MaxIdleMB   float64  `json:"max_idle_rss_mb"`
	MaxPeakMB   float64  `json:"max_peak_rss_mb"`
	AllMet      bool     `json:"all_met"`
	Failures    []string `json:"failures,omitempty"`
	ErrorsTotal int      `json:"errors_total"`
}

const (
	targetRatio  = 0.90
	targetIdleMB = 30
	targetPeakMB = 120
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	o, err := parseFlags(os.Args[1:], os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(2)
	}
	rep, err := run(ctx, o, os.Stdout, os.Stderr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
	if rep.Targets.ErrorsTotal > 0 {
		os.Exit(1)
	}
}

// run is the whole benchmark: build, run every mode, print the table.
func run(ctx context.Context, o options, stdout, stderr io.Writer) (*report, error) {
	logf := func(format string, a ...any) {
		if !o.Quiet {
			fmt.Fprintf(stderr, "bench: "+format+"\n", a...)
		}
	}
	root, err := moduleRoot()
	if err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp("", "zscaler-mcp-bench-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)

	o.devConfig = filepath.Join(tmp, "dev-idp.yaml")
	if err := os.WriteFile(o.devConfig, []byte(devIdPConfig), 0o600); err != nil {
		return nil, err
	}
	// Build everything before pinning (the go tool gets every CPU).
	logf("building in %s", root)
	if o.Bin == "" {
		o.Bin = filepath.Join(tmp, "zscaler-mcp")
		if err := goCmd(ctx, root, "build", "-o", o.Bin, "./cmd/zscaler-mcp"); err != nil {
			return nil, err
		}
	}
	if o.PlainBin == "" && slices.Contains(o.Modes, "plain") {
		o.PlainBin = filepath.Join(tmp, "plain-mcp-go")
		if err := goCmd(ctx, root, "build", "-o", o.PlainBin, "./bench/plainserver"); err != nil {
			return nil, err
		}
	}
	var coldBins []coldBench
	if o.ColdBench {
		if coldBins, err = buildColdBenches(ctx, root, tmp); err != nil {
			return nil, err
		}
	}

	rep := &report{Options: o, Env: machineInfo(ctx, root)}
	serverCPUs := ""
	if o.Pin {
		if _, err := exec.LookPath("taskset"); err != nil || runtime.NumCPU() < 2 {
			logf("not pinning: needs taskset and at least 2 CPUs")
			o.Pin = false
		} else if err := pinSelf(o.ClientCPU); err != nil {
			logf("not pinning: %v", err)
			o.Pin = false
		} else {
			serverCPUs = o.ServerCPUs
		}
	}
	rep.Options.Pin, rep.Env.Pinned = o.Pin, o.Pin
	runtime.GOMAXPROCS(o.ClientProcs)
	logf("servers: GOMAXPROCS=%d cpus=%q; harness: GOMAXPROCS=%d cpu=%v (pinned=%v)",
		o.ServerProcs, serverCPUs, o.ClientProcs, o.ClientCPU, o.Pin)

	id, err := startIdP()
	if err != nil {
		return nil, err
	}
	defer id.close()

	for r := 0; r < o.Rounds; r++ {
		var round []modeResult
		for _, m := range o.Modes {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			logf("round %d/%d: %s", r+1, o.Rounds, m)
			var res modeResult
			for try := 0; ; try++ {
				res, err = runMode(ctx, o, m, r+1, id, serverCPUs, tmp, logf)
				if err != nil {
					return nil, fmt.Errorf("mode %s: %w", m, err)
				}
				res.Retries = try
				if o.NoiseLimit <= 0 || res.OtherCPUPct <= o.NoiseLimit || try >= o.NoiseRetries {
					break
				}
				logf("  %s: other processes used %.0f%% CPU during the measurement (> -noise-limit %.0f%%): running it again in 5s",
					m, res.OtherCPUPct, o.NoiseLimit)
				select {
				case <-ctx.Done():
					return nil, ctx.Err()
				case <-time.After(5 * time.Second):
				}
			}
			res.Round = r + 1
			round = append(round, res)
		}
		rep.Rounds = append(rep.Rounds, round)
	}
	rep.Results = medianRounds(rep.Rounds, o.Modes)

	if o.AS {
		logf("authorization server (oidcproxy mode, dev IdP, sqlite; rate limits off)")
		asCPUs := ""
		if o.Pin {
			asCPUs = o.ASServerCPUs
		}
		// An unpinned server gets the whole machine, and so does the load
		// generator (pinned to one CPU it would be the bottleneck).
		wholeMachine := asCPUs == ""
		if wholeMachine {
			if o.Pin {
				if err := unpinSelf(); err != nil {
					return nil, err
				}
			}
			runtime.GOMAXPROCS(runtime.NumCPU())
		}
		rep.AS, err = runAS(ctx, o, asCPUs, tmp, logf)
		if wholeMachine {
			runtime.GOMAXPROCS(o.ClientProcs)
			if o.Pin {
				if perr := pinSelf(o.ClientCPU); perr != nil && err == nil {
					err = perr
				}
			}
		}
		if err != nil {
			return nil, fmt.Errorf("authorization server: %w", err)
		}
	}

	if len(coldBins) > 0 {
		logf("cold benchmarks (benchtime %s, GOMAXPROCS=%d)", o.BenchTime, o.ServerProcs)
		for _, b := range coldBins {
			lines, err := b.run(ctx, o, serverCPUs)
			if err != nil {
				return nil, err
			}
			rep.Cold = append(rep.Cold, lines...)
		}
	}
	rep.Targets = checkTargets(rep.Results, rep.AS)
	printReport(stdout, rep)
	if o.JSONOut != "" {
		b, err := json.MarshalIndent(rep, "", "  ")
		if err != nil {
			return nil, err
		}
		if err := os.WriteFile(o.JSONOut, append(b, '\n'), 0o644); err != nil {
			return nil, err
		}
		logf("wrote %s", o.JSONOut)
	}
	return rep, nil
}

// modeSpec is how to start a mode's server and authenticate to it.
type modeSpec struct {
	bin    string
	env    []string
	header http.Header
	// wantMode is the "mode" whoami must report.
	wantMode string
	// fresh returns headers with a credential the server has never seen
	// (nil for modes without a cold path).
	fresh func() (http.Header, error)
	// args are extra server arguments.
	args []string
	// login, when set, obtains the credential from the running server at
	// base (oidcproxy: an access token through the browser flow).
	login func(ctx context.Context, base string) (http.Header, error)
}

func specFor(o options, mode string, id *idp) (modeSpec, error) {
	s := modeSpec{bin: o.Bin, env: []string{fmt.Sprintf("GOMAXPROCS=%d", o.ServerProcs)}, header: http.Header{}, wantMode: mode}
	switch mode {
	case "plain":
		s.bin, s.wantMode = o.PlainBin, "none"
	case "none":
	case "api-key":
		key := strings.Repeat("b3", 32) // 64 hex chars, like --generate-auth-token
		s.env = append(s.env, "ZSCALER_MCP_AUTH_API_KEY="+key)
		s.header.Set("Authorization", "Bearer "+key)
	case "jwt":
		s.env = append(s.env, "ZSCALER_MCP_AUTH_JWKS_URI="+id.base+"/jwks.json",
			"ZSCALER_MCP_AUTH_ISSUER="+jwtIssuer, "ZSCALER_MCP_AUTH_AUDIENCE="+jwtAudience)
		tok, err := id.mintJWT()
		if err != nil {
			return s, err
		}
		s.header.Set("Authorization", "Bearer "+tok)
		s.fresh = func() (http.Header, error) {
			t, err := id.mintJWT()
			return http.Header{"Authorization": {"Bearer " + t}}, err
		}
	case "oidcproxy":
		s.args = []string{"--config", o.devConfig}
		s.login = func(ctx context.Context, base string) (http.Header, error) {
			a := &asClient{base: base}
			_, tok, err := a.login(ctx, false)
			if err != nil {
				return nil, err
			}
			return http.Header{"Authorization": {"Bearer " + tok.AccessToken}}, nil
		}
	case "zscaler":
		s.env = append(s.env, "ZSCALER_MCP_AUTH_MODE=zscaler", "ZSCALER_TOKEN_URL="+id.base+"/oauth2/v1/token")
		s.header.Set("Authorization", basic(zsClientID, zsSecret(zsClientID)))
		n := 0
		s.fresh = func() (http.Header, error) {
			n++
			cid := fmt.Sprintf("bench-cold-%d-%d", time.Now().UnixNano(), n)
			return http.Header{"Authorization": {basic(cid, zsSecret(cid))}}, nil
		}
	default:
		return s, fmt.Errorf("unknown mode %q", mode)
	}
	return s, nil
}

func basic(id, secret string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(id+":"+secret))
}

// modeResult is one mode's measurement.
type modeResult struct {
	Mode    string `json:"mode"`
	Round   int    `json:"round"`
	Retries int    `json:"noise_retries"` // re-runs caused by -noise-limit

	Requests  int     `json:"requests"`
	ReqPerSec float64 `json:"req_per_sec"`
	Ratio     float64 `json:"ratio_vs_plain"`
	P50       usec    `json:"p50_us"`
	P99       usec    `json:"p99_us"`
	Mean      usec    `json:"mean_us"`
	Max       usec    `json:"max_us"`
	Errors    int     `json:"errors"` // warm-up + measured + RSS phase
	FirstErr  string  `json:"first_error,omitempty"`
	Conns     int64   `json:"connections"` // TCP connections the load opened

	ServerCPUPct float64 `json:"server_cpu_pct"` // of one CPU, during the measured phase
	ServerCPUUs  float64 `json:"server_cpu_us_per_req"`
	ClientCPUPct float64 `json:"client_cpu_pct"`
	// OtherCPUPct is CPU used by anything else on the machine (other
	// processes, kernel work not charged to either process) during the
	// measured phase: a noise indicator.
	OtherCPUPct float64 `json:"other_cpu_pct"`
	// CPURatio is plain's server CPU per request over this mode's: the
	// throughput ratio a CPU-bound server would reach, insensitive to
	// noise that steals wall-clock time.
	CPURatio      float64 `json:"cpu_ratio_vs_plain"`
	UpstreamCalls int64   `json:"upstream_calls_measured"` // JWKS + token requests during the measured phase

	RSSStartKB int64 `json:"rss_start_kb"`
	RSSIdleKB  int64 `json:"rss_idle_kb"`
	RSSPeakKB  int64 `json:"rss_peak_kb"` // max of VmRSS samples and VmHWM during the RSS phase
	HWMKB      int64 `json:"vmhwm_kb"`    // VmHWM at the end of the RSS phase

	RSSPhase *phaseStats `json:"rss_phase,omitempty"`
	Cold     *coldResult `json:"cold_first_request,omitempty"`
	Whoami   string      `json:"whoami_sample"`
}

// phaseStats summarises the peak-RSS phase's load.
type phaseStats struct {
	Workers   int     `json:"workers"`
	Conns     int64   `json:"connections"`
	ReqPerSec float64 `json:"req_per_sec"`
	P50       usec    `json:"p50_us"`
	P99       usec    `json:"p99_us"`
	Errors    int     `json:"errors"`
}

// coldResult compares initialize with a never-seen credential against
// initialize with the cached one.
type coldResult struct {
	Samples  int   `json:"samples"`
	ColdP50  usec  `json:"cold_p50_us"`
	ColdMax  usec  `json:"cold_max_us"`
	WarmP50  usec  `json:"warm_p50_us"`
	Delta    usec  `json:"delta_p50_us"`
	Upstream int64 `json:"upstream_calls"`
}

// usec marshals a duration as fractional microseconds.
type usec time.Duration

func (u usec) MarshalJSON() ([]byte, error) {
	return fmt.Appendf(nil, "%.1f", float64(u)/1e3), nil
}

func (u *usec) UnmarshalJSON(b []byte) error {
	var f float64
	if err := json.Unmarshal(b, &f); err != nil {
		return err
	}
	*u = usec(f * 1e3)
	return nil
}

func (u usec) String() string { return fmtDur(time.Duration(u)) }

func runMode(ctx context.Context, o options, mode string, round int, id *idp, cpus, tmp string, logf func(string, ...any)) (modeResult, error) {
	res := modeResult{Mode: mode}
	dataDir, err := os.MkdirTemp(tmp, mode+"-")
	if err != nil {
		return res, err
	}
	spec, err := specFor(o, mode, id)
	if err != nil {
		return res, err
	}
	args := []string{"--host", "127.0.0.1", "--port", "0"}
	if mode != "plain" {
		args = append(args, "--transport", "streamable-http", "--data-dir", dataDir)
		args = append(args, spec.args...)
	}
	var logTo io.Writer
	if o.ServerLogDir != "" {
		f, err := os.Create(filepath.Join(o.ServerLogDir, fmt.Sprintf("%s-r%d.log", mode, round)))
		if err != nil {
			return res, err
		}
		defer f.Close()
		logTo = f
	}
	p, err := startProc(mode, spec.bin, args, spec.env, cpus, logTo)
	if err != nil {
		return res, err
	}
	defer p.stop()
	time.Sleep(100 * time.Millisecond)
	res.RSSStartKB, _, _ = memKB(p.pid)
	if spec.login != nil {
		if spec.header, err = spec.login(ctx, p.base); err != nil {
			return res, fmt.Errorf("login: %w\nserver log:\n%s", err, p.lastLog())
		}
	}

	c := newClient(p.base, o.Concurrency, spec.header)
	defer c.close()
	// Sanity: one session, one call, the right identity.
	s0, _, err := c.initialize(ctx, nil)
	if err != nil {
		return res, fmt.Errorf("%w\nserver log:\n%s", err, p.lastLog())
	}
	payload, err := s0.callWhoami(ctx)
	if err != nil {
		return res, fmt.Errorf("tools/call whoami: %w\nserver log:\n%s", err, p.lastLog())
	}
	s0.hc.CloseIdleConnections() // the workers' connections are their own
	dials0 := c.dials.Load()
	res.Whoami = whoamiText(payload)
	if !strings.Contains(res.Whoami, `"mode":"`+spec.wantMode+`"`) {
		return res, fmt.Errorf("whoami = %s, want mode %q", res.Whoami, spec.wantMode)
	}

	sessions, err := c.openSessions(ctx, o.Concurrency)
	if err != nil {
		return res, err
	}
	warm := runLoad(ctx, sessions, o.Warmup, false, 0)
	res.Errors += warm.Errors
	res.FirstErr = warm.FirstErr
	time.Sleep(o.IdleWait)
	res.RSSIdleKB, _, _ = memKB(p.pid)

	// Pre-size each worker's latency slice from the warm-up rate (+50%).
	capHint := 4096
	if o.Warmup > 0 && warm.Requests > 0 {
		perWorker := float64(warm.Requests) / o.Warmup.Seconds() / float64(o.Concurrency)
		capHint = max(capHint, int(perWorker*o.Duration.Seconds()*1.5))
	}
	up0 := id.jwksCalls.Load() + id.tokCalls.Load()
	cpu0, self0, sys0, wall0 := mustCPU(p.pid), selfCPU(), systemBusy(), time.Now()
	meas := runLoad(ctx, sessions, o.Duration, true, capHint)
	cpu1, self1, sys1, wall := mustCPU(p.pid), selfCPU(), systemBusy(), time.Since(wall0)
	res.Conns = c.dials.Load() - dials0
	res.UpstreamCalls = id.jwksCalls.Load() + id.tokCalls.Load() - up0
	res.Errors += meas.Errors
	if res.FirstErr == "" {
		res.FirstErr = meas.FirstErr
	}
	ok := meas.Requests - meas.Errors
	res.Requests = ok
	res.ReqPerSec = float64(ok) / meas.Elapsed.Seconds()
	lat := meas.Latencies
	slices.Sort(lat)
	res.P50, res.P99 = usec(percentile(lat, 0.50)), usec(percentile(lat, 0.99))
	if len(lat) > 0 {
		var sum time.Duration
		for _, l := range lat {
			sum += l
		}
		res.Mean, res.Max = usec(sum/time.Duration(len(lat))), usec(lat[len(lat)-1])
	}
	// CPU shares over the wall time of the phase (the window plus the last
	// in-flight calls).
	res.ServerCPUPct = 100 * (cpu1 - cpu0).Seconds() / wall.Seconds()
	res.ClientCPUPct = 100 * (self1 - self0).Seconds() / wall.Seconds()
	res.OtherCPUPct = max(0, 100*(sys1-sys0-(cpu1-cpu0)-(self1-self0)).Seconds()/wall.Seconds())
	if ok > 0 {
		res.ServerCPUUs = float64((cpu1 - cpu0).Microseconds()) / float64(ok)
	}
	logf("  %s: %.0f req/s, p50 %s, p99 %s, errors %d, CPU: server %.0f%% (%.1fµs/req), harness %.0f%%, other %.0f%%",
		mode, res.ReqPerSec, res.P50, res.P99, res.Errors, res.ServerCPUPct, res.ServerCPUUs, res.ClientCPUPct, res.OtherCPUPct)

	if spec.fresh != nil && o.ColdSamples > 0 {
		cr, err := coldFirstRequests(ctx, c, spec, o.ColdSamples, id)
		if err != nil {
			return res, fmt.Errorf("cold first requests: %w", err)
		}
		res.Cold = cr
		logf("  %s cold initialize: p50 %s (warm %s, +%s), %d upstream calls",
			mode, cr.ColdP50, cr.WarmP50, cr.Delta, cr.Upstream)
	}

	if o.RSSConcurrency > 0 && o.RSSDuration > 0 {
		c.close() // only the RSS phase's connections stay open
		ph, peak, hwm, err := rssPhase(ctx, o, p, spec)
		if err != nil {
			return res, err
		}
		res.RSSPhase, res.RSSPeakKB, res.HWMKB = ph, peak, hwm
		res.Errors += ph.Errors
		logf("  %s: %d conns: %.0f req/s, p99 %s, peak RSS %.1f MB", mode, ph.Conns, ph.ReqPerSec, ph.P99, float64(peak)/1024)
	}
	return res, nil
}

func mustCPU(pid int) time.Duration {
	d, _ := procCPU(pid)
	return d
}

// rssPhase runs RSSConcurrency workers (fresh sessions and connections) for
// RSSDuration while sampling the server's VmRSS every 20 ms.
func rssPhase(ctx context.Context, o options, p *proc, spec modeSpec) (*phaseStats, int64, int64, error) {
	c := newClient(p.base, o.RSSConcurrency, spec.header)
	defer c.close()
	sessions, err := c.openSessions(ctx, o.RSSConcurrency)
	if err != nil {
		return nil, 0, 0, fmt.Errorf("RSS phase: %w", err)
	}
	var peak int64
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for {
			if rss, _, err := memKB(p.pid); err == nil {
				peak = max(peak, rss)
			}
			select {
			case <-stop:
				return
			case <-t.C:
			}
		}
	}()
	res := runLoad(ctx, sessions, o.RSSDuration, true, 4096)
	close(stop)
	<-sampled
	_, hwm, _ := memKB(p.pid)
	slices.Sort(res.Latencies)
	ok := res.Requests - res.Errors
	ph := &phaseStats{
		Workers: o.RSSConcurrency, Conns: c.dials.Load(),
		ReqPerSec: float64(ok) / res.Elapsed.Seconds(),
		P50:       usec(percentile(res.Latencies, 0.5)), P99: usec(percentile(res.Latencies, 0.99)),
		Errors: res.Errors,
	}
	return ph, max(peak, hwm), hwm, nil
}

// coldFirstRequests alternates initialize with a fresh credential (cold:
// full JWT verification, or a token request to the IdP) and initialize with
// the mode's cached credential (warm), sequentially.
func coldFirstRequests(ctx context.Context, c *client, spec modeSpec, n int, id *idp) (*coldResult, error) {
	var cold, warm []time.Duration
	hc := c.newHTTP() // one keep-alive connection for every sample
	up0 := id.jwksCalls.Load() + id.tokCalls.Load()
	for range n {
		h, err := spec.fresh()
		if err != nil {
			return nil, err
		}
		hdr := c.baseHeader()
		for k, v := range h {
			hdr[k] = v
		}
		_, took, err := c.initializeOn(ctx, hc, hdr)
		if err != nil {
			return nil, err
		}
		cold = append(cold, took)
		_, took, err = c.initializeOn(ctx, hc, nil)
		if err != nil {
			return nil, err
		}
		warm = append(warm, took)
	}
	slices.Sort(cold)
	slices.Sort(warm)
	cp, wp := percentile(cold, 0.5), percentile(warm, 0.5)
	return &coldResult{Samples: n, ColdP50: usec(cp), ColdMax: usec(cold[len(cold)-1]), WarmP50: usec(wp),
		Delta: usec(cp - wp), Upstream: id.jwksCalls.Load() + id.tokCalls.Load() - up0}, nil
}

// medianRounds picks, per mode, the round with the median throughput and
// sets the ratios against plain's pick.
func medianRounds(rounds [][]modeResult, modes []string) []modeResult {
	var out []modeResult
	for i := range modes {
		var rs []modeResult
		for _, r := range rounds {
			rs = append(rs, r[i])
		}
		slices.SortFunc(rs, func(a, b modeResult) int {
			switch {
			case a.ReqPerSec < b.ReqPerSec:
				return -1
			case a.ReqPerSec > b.ReqPerSec:
				return 1
			}
			return 0
		})
		m := rs[(len(rs)-1)/2]
		// Errors of every round count.
		m.Errors = 0
		for _, r := range rs {
			m.Errors += r.Errors
		}
		out = append(out, m)
	}
	var plain, plainCPU float64
	for _, r := range out {
		if r.Mode == "plain" {
			plain, plainCPU = r.ReqPerSec, r.ServerCPUUs
		}
	}
	if plainCPU > 0 {
		for i := range out {
			if out[i].ServerCPUUs > 0 {
				out[i].CPURatio = plainCPU / out[i].ServerCPUUs
			}
		}
	}
	if plain > 0 {
		for i := range out {
			out[i].Ratio = out[i].ReqPerSec / plain
		}
		for _, round := range rounds {
			for i := range round {
				round[i].Ratio = round[i].ReqPerSec / plain
			}
		}
	}
	return out
}

func checkTargets(rs []modeResult, as *asResult) targetCheck {
	t := targetCheck{MinRatio: targetRatio, MaxIdleMB: targetIdleMB, MaxPeakMB: targetPeakMB, AllMet: true}
	fail := func(format string, a ...any) {
		t.AllMet = false
		t.Failures = append(t.Failures, fmt.Sprintf(format, a...))
	}
	for _, r := range rs {
		t.ErrorsTotal += r.Errors
		if r.Errors > 0 {
			fail("%s: %d errors (first: %s)", r.Mode, r.Errors, r.FirstErr)
		}
		if r.Mode == "plain" {
			continue
		}
		if r.Ratio > 0 && r.Ratio < targetRatio {
			fail("%s: %.3f× plain mcp-go < %.2f×", r.Mode, r.Ratio, targetRatio)
		}
		if mb := float64(r.RSSIdleKB) / 1024; mb > targetIdleMB {
			fail("%s: idle RSS %.1f MB > %d MB", r.Mode, mb, targetIdleMB)
		}
		if mb := float64(r.RSSPeakKB) / 1024; r.RSSPeakKB > 0 && mb > targetPeakMB {
			fail("%s: peak RSS %.1f MB > %d MB", r.Mode, mb, targetPeakMB)
		}
	}
	if as != nil {
		for _, p := range as.Phases {
			t.ErrorsTotal += p.Errors
			if p.Errors > 0 {
				fail("as %s: %d errors (first: %s)", p.Name, p.Errors, p.FirstErr)
			}
			if p.OpsPerSec < p.Target {
				fail("as %s: %.0f/s < %.0f/s", p.Name, p.OpsPerSec, p.Target)
			}
		}
	}
	return t
}

func fmtDur(d time.Duration) string {
	switch {
	case d >= time.Second:
		return fmt.Sprintf("%.2fs", d.Seconds())
	case d >= time.Millisecond:
		return fmt.Sprintf("%.2fms", float64(d)/1e6)
	default:
		return fmt.Sprintf("%.0fµs", float64(d)/1e3)
	}
}

// moduleRoot finds the directory of the zscaler-mcp go.mod, from the
// working directory up.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && strings.Contains(string(b), "module github.com/zscalermcp/zscaler-mcp\n") {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("run from inside the zscaler-mcp module (no go.mod found)")
		}
		dir = parent
	}
}

func goCmd(ctx context.Context, dir string, args ...string) error {
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = dir
	// Static, as the README builds it: with cgo the net package links libc
	// and its resolver (about 1.4 MB more resident memory, no other change).
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("go %s: %w\n%s", strings.Join(args, " "), err, out)
	}
	return nil
}

func machineInfo(ctx context.Context, root string) envInfo {
	e := envInfo{GoVersion: runtime.Version(), GOOS: runtime.GOOS, GOARCH: runtime.GOARCH, NumCPU: runtime.NumCPU(),
		Started: time.Now().UTC().Format(time.RFC3339)}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for line := range strings.SplitSeq(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				e.CPUModel = strings.TrimSpace(v)
				break
			}
		}
	}
	cmd := exec.CommandContext(ctx, "git", "rev-parse", "--short", "HEAD")
	cmd.Dir = root
	if out, err := cmd.Output(); err == nil {
		e.Commit = strings.TrimSpace(string(out))
	}
	return e
}
