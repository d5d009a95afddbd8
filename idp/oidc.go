package idp

import (
	"context"
	"crypto/subtle"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strings"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// oidcQuirks are the hooks a preset passes to the generic oidc provider.
// The zero value is the plain generic behaviour.
type oidcQuirks struct {
	// checkDiscovery, when set, inspects the discovery document before the
	// generic checks, to explain a preset-specific misconfiguration (an
	// Entra v1 issuer, a Cognito pool without a domain).
	checkDiscovery func(meta discoveryMeta) error
	// checkIssuer, when set, replaces the exact issuer comparisons (the
	// discovery document's issuer against Config.Issuer, and the ID token's
	// iss against it): for IdPs whose discovery issuer is a template, such as
	// Entra multi-tenant's ".../{tenantid}/v2.0". It gets the discovery
	// document's issuer, the ID token's iss and claims, and must refuse what
	// it does not trust. A [*PolicyError] it returns reaches the user as is.
	checkIssuer func(discovered, iss string, claims map[string]any) error
	// identity runs after the generic claim mapping and before the access
	// policy; it may fill or override fields (e.g. a subject from tid+oid,
	// EmailVerified from a verified-domain signal) or refuse the login.
	identity func(ctx context.Context, id *Identity) error
}

// discoveryMeta is the part of the discovery document the provider uses.
type discoveryMeta struct {
	Issuer      string   `json:"issuer"`
	AuthURL     string   `json:"authorization_endpoint"`
	TokenURL    string   `json:"token_endpoint"`
	JWKSURL     string   `json:"jwks_uri"`
	UserInfoURL string   `json:"userinfo_endpoint"`
	PKCEMethods []string `json:"code_challenge_methods_supported"`
}

// oidcProvider is the generic "oidc" kind.
type oidcProvider struct {
	id, name    string
	issuer      string
	clientID    string
	policy      Policy
	mapping     ClaimMapping
	getUserInfo bool

	provider   *oidc.Provider
	verifier   *oidc.IDTokenVerifier
	oauth      *oauth2.Config // RedirectURL = Options.RedirectURI; shared so its auth-style cache is too
	authParams []oauth2.AuthCodeOption
	client     *http.Client
	logger     *slog.Logger
	quirks     oidcQuirks
	discovered string // the discovery document's issuer (a template for Entra multi-tenant)
}

func openOIDCType(ctx context.Context, c Config, opts Options) (Provider, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return openOIDC(ctx, c, opts, oidcQuirks{})
}

// wellKnownSuffix is the discovery path (OpenID Connect Discovery §4).
const wellKnownSuffix = "/.well-known/openid-configuration"

// openOIDC runs OpenID discovery for a validated generic entry c (a
// preset's resolved entry) and returns the provider.
func openOIDC(ctx context.Context, c Config, opts Options, q oidcQuirks) (*oidcProvider, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, fmt.Errorf("idp %q: %w", c.ID, err)
	}
	client, err := httpClientFor(c, opts.HTTPClient)
	if err != nil {
		return nil, err
	}

	dctx, cancel := context.WithTimeout(ctx, opts.DiscoveryTimeout)
	defer cancel()
	dctx = oidc.ClientContext(dctx, client)
	discoveryBase := c.Issuer
	if c.DiscoveryURL != "" && c.DiscoveryURL != c.Issuer {
		// Fetch the document elsewhere, but validate tokens against Issuer
		// (go-oidc then skips its own document check; ours is below).
		discoveryBase = strings.TrimSuffix(c.DiscoveryURL, wellKnownSuffix)
		dctx = oidc.InsecureIssuerURLContext(dctx, c.Issuer)
	}
	docURL := strings.TrimSuffix(discoveryBase, "/") + wellKnownSuffix
	prov, err := oidc.NewProvider(dctx, discoveryBase)
	if err != nil {
		var mismatch *oidc.IssuerMismatchError
		if errors.As(err, &mismatch) && q.checkIssuer == nil {
			return nil, &ConfigError{IdP: c.ID, Field: "issuer", Msg: fmt.Sprintf(
				"the discovery document at %s names issuer %q, not %q (they must match byte for byte, trailing slash included)",
				docURL, mismatch.Discovered, c.Issuer)}
		}
		if mismatch == nil {
			return nil, fmt.Errorf("idp %q: OpenID discovery at %s failed: %w: %w", c.ID, docURL, ErrUnavailable, err)
		}
		// A preset with its own issuer check accepts a templated issuer:
		// discover again, validating tokens against the configured issuer.
		prov, err = oidc.NewProvider(oidc.InsecureIssuerURLContext(dctx, c.Issuer), discoveryBase)
		if err != nil {
			return nil, fmt.Errorf("idp %q: OpenID discovery at %s failed: %w: %w", c.ID, docURL, ErrUnavailable, err)
		}
	}
	var meta discoveryMeta
	if err := prov.Claims(&meta); err != nil {
		return nil, fmt.Errorf("idp %q: discovery document at %s: %w", c.ID, docURL, err)
	}
	if q.checkDiscovery != nil {
		if err := q.checkDiscovery(meta); err != nil {
			return nil, fmt.Errorf("idp %q: discovery document at %s: %w", c.ID, docURL, err)
		}
	}
	if meta.Issuer != c.Issuer && q.checkIssuer == nil {
		return nil, &ConfigError{IdP: c.ID, Field: "issuer", Msg: fmt.Sprintf(
			"the discovery document at %s names issuer %q, not %q", docURL, meta.Issuer, c.Issuer)}
	}
	for _, e := range []struct{ name, url string }{
		{"authorization_endpoint", meta.AuthURL}, {"token_endpoint", meta.TokenURL},
		{"jwks_uri", meta.JWKSURL}, {"userinfo_endpoint", meta.UserInfoURL},
	} {
		if e.url == "" && e.name == "userinfo_endpoint" && !c.GetUserInfo {
			continue
		}
		if e.url == "" {
			return nil, fmt.Errorf("idp %q: discovery document at %s has no %s", c.ID, docURL, e.name)
		}
		if msg := checkEndpointURL(e.url); msg != "" {
			return nil, fmt.Errorf("idp %q: discovery document at %s: %s: %s", c.ID, docURL, e.name, msg)
		}
	}
	if len(meta.PKCEMethods) > 0 && !containsFold(meta.PKCEMethods, "S256") {
		opts.Logger.Warn("upstream IdP does not advertise PKCE S256; sending it anyway",
			slog.String("idp", c.ID), slog.Any("code_challenge_methods_supported", meta.PKCEMethods))
	}

	endpoint := prov.Endpoint()
	switch c.AuthStyle {
	case AuthStyleBasic:
		endpoint.AuthStyle = oauth2.AuthStyleInHeader
	case AuthStylePost:
		endpoint.AuthStyle = oauth2.AuthStyleInParams
	default:
		endpoint.AuthStyle = oauth2.AuthStyleAutoDetect
	}
	p := &oidcProvider{
		id:          c.ID,
		name:        c.DisplayName(),
		issuer:      c.Issuer,
		clientID:    c.ClientID,
		policy:      c.Policy,
		mapping:     c.ClaimMapping,
		getUserInfo: c.GetUserInfo,
		provider:    prov,
		oauth: &oauth2.Config{
			ClientID:     c.ClientID,
			ClientSecret: c.ClientSecret,
			Endpoint:     endpoint,
			RedirectURL:  opts.RedirectURI,
			Scopes:       c.scopes(),
		},
		client:     client,
		logger:     opts.Logger.With(slog.String("idp", c.ID)),
		quirks:     q,
		discovered: meta.Issuer,
	}
	// The key set fetches JWKS with our client, never bound to ctx's deadline.
	p.verifier = prov.VerifierContext(oidc.ClientContext(context.Background(), client), &oidc.Config{
		ClientID:        c.ClientID,
		Now:             opts.Now,
		SkipIssuerCheck: q.checkIssuer != nil,
	})
	for _, k := range sortedKeys(c.ExtraAuthParams) {
		p.authParams = append(p.authParams, oauth2.SetAuthURLParam(k, c.ExtraAuthParams[k]))
	}
	return p, nil
}

func (p *oidcProvider) ID() string          { return p.id }
func (p *oidcProvider) DisplayName() string { return p.name }

// oauthFor returns the oauth2 config for a login's redirect URI: the shared
// one (whose auto-detected auth style is cached across logins), or a copy
// for a per-login override.
func (p *oidcProvider) oauthFor(redirectURI string) *oauth2.Config {
	if redirectURI == "" || redirectURI == p.oauth.RedirectURL {
		return p.oauth
	}
	// Field by field: copying the struct would race with its cache.
	return &oauth2.Config{ClientID: p.oauth.ClientID, ClientSecret: p.oauth.ClientSecret,
		Endpoint: p.oauth.Endpoint, Scopes: p.oauth.Scopes, RedirectURL: redirectURI}
}

// LoginURL returns the IdP's authorization URL for this login: response
// type code, our client id and redirect URI, the scopes, state, nonce, the
// S256 challenge of the verifier, then the configured extra parameters.
func (p *oidcProvider) LoginURL(_ context.Context, req LoginRequest) (string, error) {
	if err := req.validate(); err != nil {
		return "", fmt.Errorf("idp %q: %w", p.id, err)
	}
	opts := append([]oauth2.AuthCodeOption{oidc.Nonce(req.Nonce), oauth2.S256ChallengeOption(req.PKCEVerifier)}, p.authParams...)
	return p.oauthFor(req.RedirectURI).AuthCodeURL(req.State, opts...), nil
}

// HandleCallback completes the login: it checks the callback, exchanges the
// code with the PKCE verifier, verifies the ID token (signature, iss, aud,
// exp by go-oidc; azp, nonce and at_hash here), optionally merges userinfo,
// maps the claims and applies the access policy.
func (p *oidcProvider) HandleCallback(ctx context.Context, r *http.Request, st LoginState) (Identity, error) {
	if ce := callbackError(p.id, r); ce != nil {
		p.logger.InfoContext(ctx, "upstream login failed", slog.String("error", ce.Code))
		return Identity{}, ce
	}
	if err := st.validate(); err != nil {
		return Identity{}, fmt.Errorf("idp %q: %w: %w", p.id, ErrInvalidCallback, err)
	}
	query := r.URL.Query()
	if subtle.ConstantTimeCompare([]byte(query.Get("state")), []byte(st.State)) != 1 {
		return Identity{}, fmt.Errorf("idp %q: %w: state does not match this login", p.id, ErrInvalidCallback)
	}
	code := query.Get("code")
	if code == "" {
		return Identity{}, fmt.Errorf("idp %q: %w: no code in the callback", p.id, ErrInvalidCallback)
	}
	// RFC 9207: an IdP that names itself must name the right issuer (mix-up defence).
	if iss := query.Get("iss"); iss != "" && iss != p.issuer && p.quirks.checkIssuer == nil {
		return Identity{}, fmt.Errorf("idp %q: %w: the callback comes from issuer %q, not %q", p.id, ErrInvalidCallback, iss, p.issuer)
	}

	ctx = oidc.ClientContext(ctx, p.client)
	tok, err := p.oauthFor(st.RedirectURI).Exchange(ctx, code, oauth2.VerifierOption(st.PKCEVerifier))
	if err != nil {
		return Identity{}, p.exchangeError(err)
	}
	id, err := p.identityFromToken(ctx, tok, st)
	if err != nil {
		p.logger.WarnContext(ctx, "upstream login refused", slog.String("error", err.Error()))
		return Identity{}, err
	}
	p.logger.InfoContext(ctx, "upstream login", slog.String("user", id.UserID()))
	return id, nil
}

func (p *oidcProvider) identityFromToken(ctx context.Context, tok *oauth2.Token, st LoginState) (Identity, error) {
	invalid := func(format string, args ...any) error {
		return fmt.Errorf("idp %q: %w: %s", p.id, ErrInvalidIDToken, fmt.Sprintf(format, args...))
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return Identity{}, invalid("the token response has no id_token (is the openid scope granted?)")
	}
	idt, err := p.verifier.Verify(ctx, raw)
	if err != nil {
		return Identity{}, invalid("%v", err)
	}
	var rawClaims json.RawMessage
	if err := idt.Claims(&rawClaims); err != nil {
		return Identity{}, invalid("claims: %v", err)
	}
	claims, err := decodeClaims(rawClaims)
	if err != nil {
		return Identity{}, invalid("claims: %v", err)
	}
	if p.quirks.checkIssuer != nil {
		if err := p.quirks.checkIssuer(p.discovered, idt.Issuer, claims); err != nil {
			var pe *PolicyError
			if errors.As(err, &pe) {
				pe.ProviderID = p.id
				return Identity{}, pe
			}
			return Identity{}, invalid("issuer %q: %v", idt.Issuer, err)
		}
	}
	// OpenID Connect Core §3.1.3.7 (4, 5): with several audiences azp must be
	// present, and whenever present it must be our client id.
	azp, hasAZP := claims["azp"].(string)
	if len(idt.Audience) > 1 && !hasAZP {
		return Identity{}, invalid("the token has several audiences %q but no azp", idt.Audience)
	}
	if hasAZP && azp != p.clientID {
		return Identity{}, invalid("azp is %q, not our client id", azp)
	}
	if subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(st.Nonce)) != 1 {
		return Identity{}, invalid("nonce does not match this login")
	}
	if idt.AccessTokenHash != "" {
		if err := idt.VerifyAccessToken(tok.AccessToken); err != nil {
			return Identity{}, invalid("%v", err)
		}
	}
	if p.getUserInfo {
		if err := p.mergeUserInfo(ctx, tok, idt.Subject, claims); err != nil {
			return Identity{}, err
		}
	}
	id, err := mapIdentity(p.id, claims, p.mapping)
	if err != nil {
		return Identity{}, invalid("%v", err)
	}
	if p.quirks.identity != nil {
		if err := p.quirks.identity(ctx, &id); err != nil {
			return Identity{}, err
		}
	}
	if err := p.policy.Allows(id); err != nil {
		return Identity{}, err
	}
	return id, nil
}

// mergeUserInfo fetches userinfo and adds the claims the ID token lacks.
func (p *oidcProvider) mergeUserInfo(ctx context.Context, tok *oauth2.Token, sub string, claims map[string]any) error {
	ui, err := p.provider.UserInfo(ctx, oauth2.StaticTokenSource(tok))
	if err != nil {
		return fmt.Errorf("idp %q: %w: userinfo: %w", p.id, ErrUnavailable, err)
	}
	var raw json.RawMessage
	if err := ui.Claims(&raw); err != nil {
		return fmt.Errorf("idp %q: %w: userinfo: %w", p.id, ErrInvalidIDToken, err)
	}
	uc, err := decodeClaims(raw)
	if err != nil {
		return fmt.Errorf("idp %q: %w: userinfo: %w", p.id, ErrInvalidIDToken, err)
	}
	// OpenID Connect Core §5.3.2: the userinfo sub must be the ID token's.
	if s, _ := uc["sub"].(string); s != sub {
		return fmt.Errorf("idp %q: %w: userinfo is about subject %q, the ID token about %q", p.id, ErrInvalidIDToken, s, sub)
	}
	for k, v := range uc {
		if _, ok := claims[k]; !ok {
			claims[k] = v
		}
	}
	return nil
}

// exchangeError classifies a failed code exchange, without the code, the
// verifier or our secret (x/oauth2 errors carry none of them).
func (p *oidcProvider) exchangeError(err error) error {
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) {
		return fmt.Errorf("idp %q: %w: token endpoint: %w", p.id, ErrUnavailable, err)
	}
	status := 0
	if re.Response != nil {
		status = re.Response.StatusCode
	}
	what := fmt.Sprintf("HTTP %d", status)
	if re.ErrorCode != "" {
		what = re.ErrorCode
		if re.ErrorDescription != "" {
			what += ": " + sanitize(re.ErrorDescription, 300)
		}
	}
	if status >= 500 {
		return fmt.Errorf("idp %q: %w: the token endpoint answered %s", p.id, ErrUnavailable, what)
	}
	return fmt.Errorf("idp %q: %w: the token endpoint answered %s", p.id, ErrExchange, what)
}

// httpClientFor returns base, or a copy trusting c.RootCA as well.
func httpClientFor(c Config, base *http.Client) (*http.Client, error) {
	if c.RootCA == "" {
		return base, nil
	}
	pemBytes, err := os.ReadFile(c.RootCA)
	if err != nil {
		return nil, &ConfigError{IdP: c.ID, Field: "root_ca", Msg: err.Error()}
	}
	pool, err := x509.SystemCertPool()
	if err != nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(pemBytes) {
		return nil, &ConfigError{IdP: c.ID, Field: "root_ca", Msg: fmt.Sprintf("no PEM certificate in %s", c.RootCA)}
	}
	var tr *http.Transport
	switch t := base.Transport.(type) {
	case nil:
		tr = http.DefaultTransport.(*http.Transport).Clone()
	case *http.Transport:
		tr = t.Clone()
	default:
		return nil, &ConfigError{IdP: c.ID, Field: "root_ca", Msg: fmt.Sprintf("cannot be applied to an HTTP client with a %T transport", t)}
	}
	if tr.TLSClientConfig == nil {
		tr.TLSClientConfig = &tls.Config{}
	}
	tr.TLSClientConfig.RootCAs = pool
	if tr.TLSClientConfig.MinVersion < tls.VersionTLS12 {
		tr.TLSClientConfig.MinVersion = tls.VersionTLS12
	}
	cl := *base
	cl.Transport = tr
	return &cl, nil
}

// checkEndpointURL refuses endpoints we would send secrets or codes to in clear.
func checkEndpointURL(raw string) string {
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return "not a URL: " + err.Error()
	case u.Host == "" || (u.Scheme != "https" && u.Scheme != "http"):
		return fmt.Sprintf("%q is not an absolute http(s) URL", raw)
	case u.Scheme == "http" && !isLoopbackHost(u.Hostname()):
		return fmt.Sprintf("%q is plain http to a non-loopback host", raw)
	}
	return ""
}

func containsFold(list []string, s string) bool {
	for _, v := range list {
		if strings.EqualFold(v, s) {
			return true
		}
	}
	return false
}
