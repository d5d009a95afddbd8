package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"time"
)

// asClient drives our authorization server over HTTP the way an MCP client
// and its user's browser do: discovery, dynamic registration, /authorize →
// dev IdP sign-in form → consent → code, and the token, introspection and
// revocation endpoints. It dials 127.0.0.1 only (localhost, the public URL
// of a loopback server, is dialled as 127.0.0.1).
type asClient struct {
	base  string // http://127.0.0.1:PORT
	meta  asMetadata
	dials atomic.Int64
}

// asMetadata is the part of RFC 8414 metadata the harness uses.
type asMetadata struct {
	Issuer                string `json:"issuer"`
	AuthorizationEndpoint string `json:"authorization_endpoint"`
	TokenEndpoint         string `json:"token_endpoint"`
	RegistrationEndpoint  string `json:"registration_endpoint"`
	IntrospectionEndpoint string `json:"introspection_endpoint"`
}

// asRedirect is the redirect URI every benchmark client registers (a
// loopback callback nobody listens on: the harness reads the code from the
// Location header).
const asRedirect = "http://127.0.0.1:9/callback"

// tokenResponse is a successful /token answer.
type tokenResponse struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int    `json:"expires_in"`
}

// asCreds are a registered client's credentials (Secret empty: public).
type asCreds struct {
	ID, Secret string
}

// newHTTP returns a keep-alive client of its own (one connection per
// worker), with a cookie jar when browser is set, that never follows
// redirects.
func (a *asClient) newHTTP(browser bool) *http.Client {
	d := &net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}
	tr := &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			host, port, err := net.SplitHostPort(addr)
			if err != nil || (host != "127.0.0.1" && host != "localhost") {
				return nil, fmt.Errorf("bench: refusing to dial %q (loopback 127.0.0.1 only)", addr)
			}
			a.dials.Add(1)
			return d.DialContext(ctx, network, net.JoinHostPort("127.0.0.1", port))
		},
		Proxy:               nil,
		MaxIdleConnsPerHost: 4,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
	}
	hc := &http.Client{Transport: tr, Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	if browser {
		hc.Jar, _ = cookiejar.New(nil)
	}
	return hc
}

// do sends req and returns the status, headers and body.
func do(hc *http.Client, req *http.Request) (int, http.Header, []byte, error) {
	resp, err := hc.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return resp.StatusCode, resp.Header, b, err
}

// discover reads the AS metadata.
func (a *asClient) discover(ctx context.Context, hc *http.Client) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, a.base+"/.well-known/oauth-authorization-server", nil)
	if err != nil {
		return err
	}
	code, _, body, err := do(hc, req)
	if err != nil {
		return err
	}
	if code != http.StatusOK {
		return fmt.Errorf("metadata: %d %s", code, body)
	}
	if err := json.Unmarshal(body, &a.meta); err != nil {
		return fmt.Errorf("metadata: %w", err)
	}
	if a.meta.TokenEndpoint == "" || a.meta.RegistrationEndpoint == "" {
		return fmt.Errorf("metadata without token or registration endpoint: %s", body)
	}
	return nil
}

// registrationBody is what an MCP client (mcp-remote) registers: a public
// client with a loopback redirect, or a confidential one.
func registrationBody(confidential bool) []byte {
	method := "none"
	if confidential {
		method = "client_secret_basic"
	}
	b, _ := json.Marshal(map[string]any{
		"client_name": "bench", "redirect_uris": []string{asRedirect},
		"grant_types": []string{"authorization_code", "refresh_token"}, "response_types": []string{"code"},
		"token_endpoint_auth_method": method, "scope": "zscaler.read zscaler.write",
	})
	return b
}

// register performs one dynamic client registration (RFC 7591).
func (a *asClient) register(ctx context.Context, hc *http.Client, body []byte) (asCreds, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, a.meta.RegistrationEndpoint, bytes.NewReader(body))
	if err != nil {
		return asCreds{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	code, _, resp, err := do(hc, req)
	if err != nil {
		return asCreds{}, err
	}
	var out struct {
		ClientID     string `json:"client_id"`
		ClientSecret string `json:"client_secret"`
	}
	if code != http.StatusCreated || json.Unmarshal(resp, &out) != nil || out.ClientID == "" {
		return asCreds{}, fmt.Errorf("register: %d %.200s", code, resp)
	}
	return asCreds{ID: out.ClientID, Secret: out.ClientSecret}, nil
}

var reHidden = regexp.MustCompile(`name="(pending|csrf_token|state)" value="([^"]*)"`)

func hiddenInputs(body []byte) url.Values {
	v := url.Values{}
	for _, m := range reHidden.FindAllSubmatch(body, -1) {
		v.Set(string(m[1]), string(m[2]))
	}
	return v
}

// pkce returns a fresh code verifier and its S256 challenge.
func pkce() (verifier, challenge string) {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	verifier = base64.RawURLEncoding.EncodeToString(b)
	sum := sha256.Sum256([]byte(verifier))
	return verifier, base64.RawURLEncoding.EncodeToString(sum[:])
}

// authorize obtains one authorization code for c through the real browser
// path: GET /authorize → the dev IdP's sign-in form (POST user) →
// /auth/callback → consent (POST approve; skipped once remembered for the
// same user, client and scopes) → redirect to the client with the code.
// hc must have a cookie jar (the login is bound to the browser).
func (a *asClient) authorize(ctx context.Context, hc *http.Client, c asCreds, user string) (code, verifier string, err error) {
	verifier, challenge := pkce()
	q := url.Values{"response_type": {"code"}, "client_id": {c.ID}, "redirect_uri": {asRedirect},
		"scope": {"zscaler.read"}, "state": {"bench-state"}, "code_challenge": {challenge}, "code_challenge_method": {"S256"}}
	next, err := url.Parse(a.meta.AuthorizationEndpoint + "?" + q.Encode())
	if err != nil {
		return "", "", err
	}
	method, form := http.MethodGet, url.Values(nil)
	for range 12 {
		var rd io.Reader
		if form != nil {
			rd = strings.NewReader(form.Encode())
		}
		req, err := http.NewRequestWithContext(ctx, method, next.String(), rd)
		if err != nil {
			return "", "", err
		}
		if form != nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		status, h, body, err := do(hc, req)
		if err != nil {
			return "", "", err
		}
		switch {
		case status >= 300 && status < 400:
			loc, err := next.Parse(h.Get("Location"))
			if err != nil {
				return "", "", fmt.Errorf("authorize: bad Location %q", h.Get("Location"))
			}
			if strings.HasPrefix(loc.String(), asRedirect) {
				lq := loc.Query()
				if lq.Get("code") == "" || lq.Get("state") != "bench-state" || lq.Get("iss") != a.meta.Issuer {
					return "", "", fmt.Errorf("authorize: authorization response %s", loc)
				}
				return lq.Get("code"), verifier, nil
			}
			next, method, form = loc, http.MethodGet, nil
		case status == http.StatusOK && strings.HasPrefix(next.Path, "/auth/dev/"):
			form = hiddenInputs(body)
			form.Set("username", user)
			form.Set("action", "signin")
			method = http.MethodPost
		case status == http.StatusOK && next.Path == "/consent":
			form = hiddenInputs(body)
			form.Set("decision", "approve")
			method = http.MethodPost
		default:
			return "", "", fmt.Errorf("authorize: %d at %s: %.300s", status, next.Path, body)
		}
	}
	return "", "", errors.New("authorize: too many steps")
}

// tokenRequest POSTs form to path with c's credentials (Basic for a
// confidential client, client_id in the form for a public one).
func (a *asClient) tokenRequest(ctx context.Context, hc *http.Client, path string, c asCreds, form url.Values) (int, []byte, error) {
	if c.Secret == "" {
		form.Set("client_id", c.ID)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, a.base+path, strings.NewReader(form.Encode()))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if c.Secret != "" {
		req.SetBasicAuth(url.QueryEscape(c.ID), url.QueryEscape(c.Secret))
	}
	status, _, body, err := do(hc, req)
	return status, body, err
}

func (a *asClient) token(ctx context.Context, hc *http.Client, c asCreds, form url.Values) (tokenResponse, error) {
	status, body, err := a.tokenRequest(ctx, hc, "/token", c, form)
	if err != nil {
		return tokenResponse{}, err
	}
	var t tokenResponse
	if status != http.StatusOK || json.Unmarshal(body, &t) != nil || t.AccessToken == "" || t.RefreshToken == "" {
		return tokenResponse{}, fmt.Errorf("token (%s): %d %.200s", form.Get("grant_type"), status, body)
	}
	return t, nil
}

// exchange redeems an authorization code.
func (a *asClient) exchange(ctx context.Context, hc *http.Client, c asCreds, code, verifier string) (tokenResponse, error) {
	return a.token(ctx, hc, c, url.Values{"grant_type": {"authorization_code"}, "code": {code},
		"redirect_uri": {asRedirect}, "code_verifier": {verifier}})
}

// refresh rotates a refresh token.
func (a *asClient) refresh(ctx context.Context, hc *http.Client, c asCreds, rt string) (tokenResponse, error) {
	return a.token(ctx, hc, c, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}})
}

// introspect asks about token as confidential client c and checks that it
// is active.
func (a *asClient) introspect(ctx context.Context, hc *http.Client, c asCreds, token string) error {
	status, body, err := a.tokenRequest(ctx, hc, "/introspect", c, url.Values{"token": {token}})
	if err != nil {
		return err
	}
	if status != http.StatusOK || !bytes.Contains(body, []byte(`"active":true`)) {
		return fmt.Errorf("introspect: %d %.200s", status, body)
	}
	return nil
}

// login runs discovery, registration, authorization and code exchange once
// and returns the tokens (the oidcproxy /mcp mode's credential).
func (a *asClient) login(ctx context.Context, confidential bool) (asCreds, tokenResponse, error) {
	hc := a.newHTTP(true)
	defer hc.CloseIdleConnections()
	if a.meta.TokenEndpoint == "" {
		if err := a.discover(ctx, hc); err != nil {
			return asCreds{}, tokenResponse{}, err
		}
	}
	c, err := a.register(ctx, hc, registrationBody(confidential))
	if err != nil {
		return c, tokenResponse{}, err
	}
	code, verifier, err := a.authorize(ctx, hc, c, "bench-user")
	if err != nil {
		return c, tokenResponse{}, err
	}
	t, err := a.exchange(ctx, hc, c, code, verifier)
	return c, t, err
}
