package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/zscalermcp/zscaler-mcp/idp"
)

// configCheck validates a config file exactly as the server does at start
// (parseSettings + buildConfig, the same functions) without starting
// anything; with --probe it also fetches each IdP's discovery document and
// opens each IdP as the server would.
func configCheck(ctx context.Context, env adminEnv, args []string) int {
	fs := flag.NewFlagSet("zscaler-mcp config check", flag.ContinueOnError)
	fs.SetOutput(env.stderr)
	cfgPath := fs.String("config", "", "YAML config file to check (env ZSCALER_MCP_CONFIG)")
	probe := fs.Bool("probe", false, "also fetch each IdP's discovery document and report what it found")
	timeout := fs.Duration("timeout", 10*time.Second, "per-IdP timeout of --probe")
	fs.Usage = func() {
		fmt.Fprintln(env.stderr, "Usage: zscaler-mcp config check --config FILE [--probe] [--timeout 10s]")
		fmt.Fprintln(env.stderr, "\nValidates the config (and the environment it references) as the server would at start.")
		fmt.Fprintln(env.stderr, "Exit status: 0 valid (and every probe succeeded), 1 invalid or a probe failed, 2 usage.")
		fmt.Fprintln(env.stderr, "\nFlags:")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(env.stderr, "zscaler-mcp config check: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	if *cfgPath == "" {
		*cfgPath = env.getenv("ZSCALER_MCP_CONFIG")
	}
	if *cfgPath == "" {
		fmt.Fprintln(env.stderr, "zscaler-mcp config check: --config FILE is required")
		fs.Usage()
		return 2
	}

	c, notes, err := checkConfig(*cfgPath, env.getenv)
	if err != nil {
		fmt.Fprintf(env.stdout, "%s: invalid\n", *cfgPath)
		for line := range strings.SplitSeq(err.Error(), "\n") {
			fmt.Fprintf(env.stdout, "  error: %s\n", line)
		}
		return 1
	}
	fmt.Fprintf(env.stdout, "%s: ok\n", *cfgPath)
	printSummary(env.stdout, c, notes)
	if !*probe {
		return 0
	}
	fmt.Fprintln(env.stdout)
	failed := 0
	for _, e := range c.IdPs {
		pr := probeIdP(ctx, c, e, *timeout)
		pr.print(env.stdout)
		if pr.err != nil {
			failed++
		}
	}
	if failed > 0 {
		fmt.Fprintf(env.stdout, "\n%d of %d IdP(s) failed the probe\n", failed, len(c.IdPs))
		return 1
	}
	return 0
}

// checkConfig runs the server's own start-up validation on the file. With
// the stdio transport (which ignores idps:) the IdP entries are still
// validated, for the HTTP transports the file may be used with.
func checkConfig(path string, getenv func(string) string) (*config, []string, error) {
	v, err := parseSettings([]string{"--config", path}, getenv, io.Discard)
	if err != nil {
		return nil, nil, err
	}
	c, err := buildConfig(v, getenv)
	if err != nil {
		return nil, nil, err
	}
	var notes []string
	if c.Transport == "stdio" && (c.HasIdPs || c.OIDC.ConfigURL != "") {
		c.LoopbackBind = isLoopbackBind(c.Host)
		if err := c.resolveIdPs(v); err != nil {
			return nil, nil, err
		}
		if err := c.resolveOAuth(v); err != nil {
			return nil, nil, err
		}
		notes = append(notes, "the transport is stdio: the idps are used only with --transport streamable-http or sse")
	}
	return c, notes, nil
}

func printSummary(w io.Writer, c *config, notes []string) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "  transport:\t%s\n", c.Transport)
	if c.Mode != "" {
		fmt.Fprintf(tw, "  auth mode:\t%s (%s)\n", c.Mode, c.ModeReason)
	}
	if c.PublicURL != "" && !c.publicURLDerived {
		fmt.Fprintf(tw, "  public URL:\t%s\n", c.PublicURL)
	}
	fmt.Fprintf(tw, "  data dir:\t%s\n", c.DataDir)
	fmt.Fprintf(tw, "  idps:\t%d\n", len(c.IdPs))
	_ = tw.Flush()
	if len(c.IdPs) > 0 {
		tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "    ID\tTYPE\tNAME\tISSUER")
		for _, e := range c.IdPs {
			fmt.Fprintf(tw, "    %s\t%s\t%s\t%s\n", e.ID, e.Type, e.DisplayName(), orDash(e.Issuer))
		}
		_ = tw.Flush()
	}
	for _, n := range notes {
		fmt.Fprintf(w, "  note: %s\n", n)
	}
}

// probeResult is what --probe found for one IdP.
type probeResult struct {
	id, typ string
	docURL  string // "" when the document was not fetched here
	issuer  string
	// issuerMatch: the document's issuer equals the configured one.
	issuerMatch bool
	endpoints   []string // the endpoint fields present
	pkce        []string // code_challenge_methods_supported
	skipped     string   // why nothing was fetched
	err         error
}

// probeIdP fetches e's discovery document (at discovery_url, else
// <issuer>/.well-known/openid-configuration, trusting root_ca) and reports
// its contents, then opens the IdP with the server's own code (which also
// applies the type's quirks); either failing fails the probe.
func probeIdP(ctx context.Context, c *config, e idp.Config, timeout time.Duration) probeResult {
	pr := probeResult{id: e.ID, typ: e.Type}
	if e.Type == idp.TypeDev {
		pr.skipped = "built in: nothing to fetch"
		return pr
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	client, err := probeClient(e, timeout)
	if err != nil {
		pr.err = err
		return pr
	}
	if doc := discoveryDocURL(e); doc != "" {
		pr.docURL = doc
		if err := pr.fetch(ctx, client, e); err != nil {
			pr.err = err
			return pr
		}
	}
	redirect := "http://localhost/auth/callback"
	if c.PublicURL != "" {
		redirect = c.PublicURL + "/auth/callback"
	}
	_, err = idp.NewRegistry().Open(ctx, e, idp.Options{RedirectURI: redirect, LoopbackBind: true, DiscoveryTimeout: timeout})
	if err != nil {
		pr.err = err
	}
	return pr
}

// discoveryDocURL is where the server fetches e's discovery document, or
// "" when the type computes it (a preset without an explicit issuer).
func discoveryDocURL(e idp.Config) string {
	base := e.Issuer
	if e.DiscoveryURL != "" {
		base = e.DiscoveryURL
	}
	if base == "" {
		return ""
	}
	const wk = "/.well-known/openid-configuration"
	return strings.TrimSuffix(strings.TrimSuffix(base, wk), "/") + wk
}

func (pr *probeResult) fetch(ctx context.Context, client *http.Client, e idp.Config) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, pr.docURL, nil)
	if err != nil {
		return fmt.Errorf("discovery URL %s: %w", pr.docURL, err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		var ue *url.Error // it repeats the URL
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return fmt.Errorf("fetch %s: %w", pr.docURL, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("fetch %s: HTTP %s", pr.docURL, resp.Status)
	}
	var doc map[string]any
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&doc); err != nil {
		return fmt.Errorf("%s is not a JSON discovery document: %w", pr.docURL, err)
	}
	pr.issuer, _ = doc["issuer"].(string)
	pr.issuerMatch = pr.issuer != "" && pr.issuer == e.Issuer
	for _, k := range []string{"authorization_endpoint", "token_endpoint", "jwks_uri", "userinfo_endpoint", "end_session_endpoint", "registration_endpoint"} {
		if s, _ := doc[k].(string); s != "" {
			pr.endpoints = append(pr.endpoints, k)
		}
	}
	if ms, ok := doc["code_challenge_methods_supported"].([]any); ok {
		for _, m := range ms {
			if s, ok := m.(string); ok {
				pr.pkce = append(pr.pkce, s)
			}
		}
	}
	return nil
}

// probeClient is an HTTP client with the IdP's root_ca trusted besides the
// system roots (as the server's client does).
func probeClient(e idp.Config, timeout time.Duration) (*http.Client, error) {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.Proxy = http.ProxyFromEnvironment
	if e.RootCA != "" {
		pemBytes, err := os.ReadFile(e.RootCA)
		if err != nil {
			return nil, &idp.ConfigError{IdP: e.ID, Field: "root_ca", Msg: err.Error()}
		}
		pool, err := x509.SystemCertPool()
		if err != nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(pemBytes) {
			return nil, &idp.ConfigError{IdP: e.ID, Field: "root_ca", Msg: "no PEM certificate in " + e.RootCA}
		}
		tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	}
	return &http.Client{Transport: tr, Timeout: timeout}, nil
}

func (pr probeResult) print(w io.Writer) {
	status := "ok"
	switch {
	case pr.err != nil:
		status = "FAILED: " + pr.err.Error()
	case pr.skipped != "":
		status = "skipped (" + pr.skipped + ")"
	}
	fmt.Fprintf(w, "idp %s (%s): %s\n", pr.id, pr.typ, status)
	if pr.docURL == "" || pr.issuer == "" && pr.endpoints == nil {
		return
	}
	match := "matches the configured issuer"
	if !pr.issuerMatch {
		match = "does NOT match the configured issuer"
	}
	pkce := "not advertised (code_challenge_methods_supported absent; PKCE is sent anyway)"
	switch {
	case slices.ContainsFunc(pr.pkce, func(m string) bool { return strings.EqualFold(m, "S256") }):
		pkce = "S256 supported"
	case len(pr.pkce) > 0:
		pkce = "S256 NOT supported (only " + strings.Join(pr.pkce, ", ") + ")"
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "  discovery:\t%s\n", pr.docURL)
	fmt.Fprintf(tw, "  issuer:\t%s (%s)\n", orDash(pr.issuer), match)
	fmt.Fprintf(tw, "  endpoints:\t%s\n", orDash(strings.Join(pr.endpoints, ", ")))
	fmt.Fprintf(tw, "  PKCE:\t%s\n", pkce)
	_ = tw.Flush()
}
