package idp

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"unicode"

	"golang.org/x/oauth2"
)

// Provider is one configured upstream identity provider.
//
// Implementations are safe for concurrent use.
type Provider interface {
	// ID is the IdP entry's id ([Config.ID]): the {idp} of /login/{idp} and
	// the prefix of [Identity.UserID].
	ID() string
	// DisplayName is what the IdP chooser shows on the button ([Config.Name],
	// else the id).
	DisplayName() string
	// LoginURL returns the URL to send the browser to for this login. It
	// carries req.State, req.Nonce and the PKCE S256 challenge of
	// req.PKCEVerifier.
	LoginURL(ctx context.Context, req LoginRequest) (string, error)
	// HandleCallback completes a login when the browser comes back to the
	// redirect URI: r is that request (its query carries code and state, or
	// error and error_description) and st what the AS stored for the login.
	// It returns the signed-in user, or an error: [*CallbackError] when the
	// IdP reported one (e.g. the user cancelled), [*PolicyError] when the
	// IdP's access policy refused the user, otherwise an error wrapping one
	// of [ErrInvalidCallback], [ErrExchange], [ErrInvalidIDToken] or
	// [ErrUnavailable]. Errors never contain codes, tokens or secrets.
	HandleCallback(ctx context.Context, r *http.Request, st LoginState) (Identity, error)
}

// LocalHandler is implemented by providers that serve pages of their own on
// our origin (the dev IdP's sign-in form). The AS mounts Handler() at
// exactly Path() (GET and POST), inside its HTML route group.
type LocalHandler interface {
	Path() string
	Handler() http.Handler
}

// Refresher is the capability, for a later issue, of refreshing a user's
// upstream session (for instance to re-read groups at our refresh time). It
// is declared so kinds can grow into it; no kind implements it yet, and the
// AS re-checks the access policy on the Identity it stored instead.
type Refresher interface {
	Refresh(ctx context.Context, id Identity) (Identity, error)
}

// LoginRequest is what the AS generated for one login and passes to
// [Provider.LoginURL]. It keeps the same values server-side (bound to the
// browser) and hands them back as a [LoginState] at the callback.
type LoginRequest struct {
	// State is the OAuth state parameter: unguessable, single use.
	State string
	// Nonce is the OpenID Connect nonce: unguessable, single use; the ID
	// token must carry it back.
	Nonce string
	// PKCEVerifier is the RFC 7636 code verifier (oauth2.GenerateVerifier);
	// only its S256 challenge leaves the server at login.
	PKCEVerifier string
	// RedirectURI overrides [Options.RedirectURI] for this login; empty
	// means the configured one. It must be registered at the IdP.
	RedirectURI string
}

// LoginState is what the AS stored for a login, given back to
// [Provider.HandleCallback].
type LoginState struct {
	// State is the state of the login; the callback's state must equal it
	// (the AS found the login by it, so this is a second check).
	State string
	// Nonce is the nonce sent at login; the ID token must carry it.
	Nonce string
	// PKCEVerifier is the code verifier whose challenge was sent at login.
	PKCEVerifier string
	// RedirectURI is the redirect URI sent at login (empty = the configured one).
	RedirectURI string
}

// NewLoginRequest returns a LoginRequest with a fresh random State and Nonce
// (256 bits each) and PKCE verifier, for the provider's configured redirect URI.
func NewLoginRequest() (LoginRequest, error) {
	state, err := randomToken()
	if err != nil {
		return LoginRequest{}, err
	}
	nonce, err := randomToken()
	if err != nil {
		return LoginRequest{}, err
	}
	return LoginRequest{State: state, Nonce: nonce, PKCEVerifier: oauth2.GenerateVerifier()}, nil
}

// LoginState returns the values the AS must store for this login and hand
// back to [Provider.HandleCallback].
func (r LoginRequest) LoginState() LoginState {
	return LoginState{State: r.State, Nonce: r.Nonce, PKCEVerifier: r.PKCEVerifier, RedirectURI: r.RedirectURI}
}

// validate checks the fields every kind needs.
func (r LoginRequest) validate() error {
	switch {
	case r.State == "":
		return errors.New("login request: state is empty")
	case r.Nonce == "":
		return errors.New("login request: nonce is empty")
	case r.PKCEVerifier == "":
		return errors.New("login request: PKCE verifier is empty")
	}
	return nil
}

func (st LoginState) validate() error {
	switch {
	case st.State == "":
		return errors.New("login state: state is empty")
	case st.Nonce == "":
		return errors.New("login state: nonce is empty")
	case st.PKCEVerifier == "":
		return errors.New("login state: PKCE verifier is empty")
	}
	return nil
}

func randomToken() (string, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("idp: random: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b[:]), nil
}

// Error kinds, for errors.Is on what HandleCallback (and Open) return, so the
// AS can pick the page to show.
var (
	// ErrInvalidCallback: the callback request is not a valid answer to this
	// login (no code, state mismatch, unknown or reused dev code).
	ErrInvalidCallback = errors.New("invalid callback")
	// ErrExchange: the IdP refused to exchange the code (expired or reused
	// code, wrong PKCE verifier, client authentication failure, ...).
	ErrExchange = errors.New("code exchange refused")
	// ErrInvalidIDToken: the ID token (or userinfo) did not verify: signature,
	// iss, aud, exp, nonce, azp, at_hash, or a missing subject.
	ErrInvalidIDToken = errors.New("invalid ID token")
	// ErrUnavailable: the IdP could not be reached or answered with a server
	// error (discovery, token endpoint, userinfo); trying later may work.
	ErrUnavailable = errors.New("identity provider unavailable")
)

// CallbackError is an error the upstream IdP returned to the redirect URI
// (RFC 6749 §4.1.2.1), e.g. Code "access_denied" when the user cancelled.
// Code and Description come from the query string: both are sanitised to
// printable text and bounded, but still untrusted — escape them when shown.
type CallbackError struct {
	ProviderID  string
	Code        string
	Description string
}

func (e *CallbackError) Error() string {
	s := fmt.Sprintf("idp %q: the identity provider answered %s", e.ProviderID, e.Code)
	if e.Description != "" {
		s += ": " + e.Description
	}
	return s
}

// callbackError reads an upstream error from the callback query, if any.
func callbackError(providerID string, r *http.Request) *CallbackError {
	q := r.URL.Query()
	code := q.Get("error")
	if code == "" {
		return nil
	}
	return &CallbackError{
		ProviderID:  providerID,
		Code:        sanitize(code, 64),
		Description: sanitize(q.Get("error_description"), 300),
	}
}

// sanitize keeps printable characters of s, at most max runes.
func sanitize(s string, max int) string {
	var b strings.Builder
	n := 0
	for _, r := range s {
		if n == max {
			b.WriteString("…")
			break
		}
		if unicode.IsPrint(r) {
			b.WriteRune(r)
			n++
		}
	}
	return b.String()
}
