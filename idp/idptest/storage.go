package idptest

import (
	"context"
	"crypto/ecdsa"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// storage is the in-memory op.Storage behind Server, after the library's
// own example storage (example/server/storage): auth requests, codes,
// access tokens, clients, users and one ES256 signing key. Refresh tokens,
// client credentials, JWT profile and device flow are not offered.
type storage struct {
	mu           sync.Mutex
	now          func() time.Time
	codeLifetime time.Duration

	key      signingKey
	clients  map[string]*client
	users    map[string]*User // by ID
	requests map[string]*authRequest
	codes    map[string]codeEntry
	tokens   map[string]*accessToken
	nextID   int
	prefix   string // the issuer's path, below which every endpoint is served
	// recorded auth requests, for assertions
	recorded []AuthRequest
}

type codeEntry struct {
	requestID string
	created   time.Time
}

type accessToken struct {
	subject, clientID string
	scopes            []string
	expires           time.Time
}

var (
	_ op.Storage                   = (*storage)(nil)
	_ op.CanSetUserinfoFromRequest = (*storage)(nil)
)

func (s *storage) id(prefix string) string {
	s.nextID++
	return fmt.Sprintf("%s-%d", prefix, s.nextID)
}

// authRequest implements op.AuthRequest.
type authRequest struct {
	id           string
	clientID     string
	redirectURI  string
	state, nonce string
	scopes       []string
	responseType oidc.ResponseType
	responseMode oidc.ResponseMode
	challenge    *oidc.CodeChallenge
	audience     []string
	userID       string
	done         bool
	authTime     time.Time
}

func (a *authRequest) GetID() string                         { return a.id }
func (a *authRequest) GetACR() string                        { return "" }
func (a *authRequest) GetAMR() []string                      { return []string{"pwd"} }
func (a *authRequest) GetAudience() []string                 { return a.audience }
func (a *authRequest) GetAuthTime() time.Time                { return a.authTime }
func (a *authRequest) GetClientID() string                   { return a.clientID }
func (a *authRequest) GetCodeChallenge() *oidc.CodeChallenge { return a.challenge }
func (a *authRequest) GetNonce() string                      { return a.nonce }
func (a *authRequest) GetRedirectURI() string                { return a.redirectURI }
func (a *authRequest) GetResponseType() oidc.ResponseType    { return a.responseType }
func (a *authRequest) GetResponseMode() oidc.ResponseMode    { return a.responseMode }
func (a *authRequest) GetScopes() []string                   { return a.scopes }
func (a *authRequest) GetState() string                      { return a.state }
func (a *authRequest) GetSubject() string                    { return a.userID }
func (a *authRequest) Done() bool                            { return a.done }

// CreateAuthRequest stores a validated authorization request.
func (s *storage) CreateAuthRequest(_ context.Context, ar *oidc.AuthRequest, userID string) (op.AuthRequest, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(ar.Prompt) == 1 && ar.Prompt[0] == oidc.PromptNone {
		return nil, oidc.ErrLoginRequired()
	}
	c, ok := s.clients[ar.ClientID]
	if !ok {
		return nil, errors.New("client not found")
	}
	req := &authRequest{
		id:           s.id("ar"),
		clientID:     ar.ClientID,
		redirectURI:  ar.RedirectURI,
		state:        ar.State,
		nonce:        ar.Nonce,
		scopes:       ar.Scopes,
		responseType: ar.ResponseType,
		responseMode: ar.ResponseMode,
		audience:     append([]string{ar.ClientID}, c.ExtraAudience...),
		userID:       userID,
	}
	if ar.CodeChallenge != "" {
		req.challenge = &oidc.CodeChallenge{Challenge: ar.CodeChallenge, Method: ar.CodeChallengeMethod}
	}
	s.requests[req.id] = req
	s.recorded = append(s.recorded, AuthRequest{
		ClientID: ar.ClientID, RedirectURI: ar.RedirectURI, State: ar.State, Nonce: ar.Nonce,
		Scopes: slices.Clone([]string(ar.Scopes)), CodeChallenge: ar.CodeChallenge,
		CodeChallengeMethod: string(ar.CodeChallengeMethod),
	})
	return req, nil
}

func (s *storage) AuthRequestByID(_ context.Context, id string) (op.AuthRequest, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	req, ok := s.requests[id]
	if !ok {
		return nil, errors.New("auth request not found")
	}
	return req, nil
}

// AuthRequestByCode returns the request of a live code; a code older than
// the code lifetime is refused (the OP then answers invalid_grant).
func (s *storage) AuthRequestByCode(_ context.Context, code string) (op.AuthRequest, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.codes[code]
	if !ok {
		return nil, errors.New("code invalid or already used")
	}
	if s.now().Sub(e.created) > s.codeLifetime {
		delete(s.codes, code)
		return nil, errors.New("code expired")
	}
	req, ok := s.requests[e.requestID]
	if !ok {
		return nil, errors.New("auth request not found")
	}
	return req, nil
}

func (s *storage) SaveAuthCode(_ context.Context, id, code string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.codes[code] = codeEntry{requestID: id, created: s.now()}
	return nil
}

// DeleteAuthRequest is called once tokens were issued: the code is spent.
func (s *storage) DeleteAuthRequest(_ context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.requests, id)
	for code, e := range s.codes {
		if e.requestID == id {
			delete(s.codes, code)
		}
	}
	return nil
}

// completeLogin marks an auth request as authenticated for user.
func (s *storage) completeLogin(id string, user *User) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	req, ok := s.requests[id]
	if !ok {
		return errors.New("auth request not found")
	}
	req.userID, req.done, req.authTime = user.ID, true, s.now()
	return nil
}

// issuerForCode returns the per-user issuer of the user a live code was
// issued to, or "".
func (s *storage) issuerForCode(code string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.codes[code]
	if !ok {
		return ""
	}
	req, ok := s.requests[e.requestID]
	if !ok {
		return ""
	}
	if u, ok := s.users[req.userID]; ok {
		return u.Issuer
	}
	return ""
}

func (s *storage) userByUsername(username string) *User {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, u := range s.users {
		if u.Username == username {
			return u
		}
	}
	return nil
}

func (s *storage) CreateAccessToken(_ context.Context, req op.TokenRequest) (string, time.Time, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var clientID string
	if ar, ok := req.(*authRequest); ok {
		clientID = ar.clientID
	}
	id := s.id("at")
	exp := time.Now().Add(5 * time.Minute)
	s.tokens[id] = &accessToken{subject: req.GetSubject(), clientID: clientID, scopes: req.GetScopes(), expires: exp}
	return id, exp, nil
}

func (s *storage) CreateAccessAndRefreshTokens(context.Context, op.TokenRequest, string) (string, string, time.Time, error) {
	return "", "", time.Time{}, errors.New("refresh tokens are not offered by the test OP")
}

func (s *storage) TokenRequestByRefreshToken(context.Context, string) (op.RefreshTokenRequest, error) {
	return nil, errors.New("refresh tokens are not offered by the test OP")
}

func (s *storage) TerminateSession(context.Context, string, string) error { return nil }

func (s *storage) RevokeToken(_ context.Context, tokenOrID, _, _ string) *oidc.Error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.tokens, tokenOrID)
	return nil
}

func (s *storage) GetRefreshTokenInfo(context.Context, string, string) (string, string, error) {
	return "", "", op.ErrInvalidRefreshToken
}

func (s *storage) SigningKey(context.Context) (op.SigningKey, error) { return &s.key, nil }

func (s *storage) SignatureAlgorithms(context.Context) ([]jose.SignatureAlgorithm, error) {
	return []jose.SignatureAlgorithm{jose.ES256}, nil
}

func (s *storage) KeySet(context.Context) ([]op.Key, error) {
	return []op.Key{&publicKey{s.key}}, nil
}

func (s *storage) GetClientByClientID(_ context.Context, id string) (op.Client, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.clients[id]
	if !ok {
		return nil, errors.New("client not found")
	}
	return c, nil
}

func (s *storage) AuthorizeClientIDSecret(_ context.Context, id, secret string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.clients[id]
	if !ok || c.Secret != secret {
		return errors.New("invalid client credentials")
	}
	return nil
}

func (s *storage) SetUserinfoFromScopes(context.Context, *oidc.UserInfo, string, string, []string) error {
	return nil
}

func (s *storage) SetUserinfoFromRequest(_ context.Context, ui *oidc.UserInfo, req op.IDTokenRequest, scopes []string) error {
	return s.setUserinfo(ui, req.GetSubject(), scopes)
}

func (s *storage) SetUserinfoFromToken(_ context.Context, ui *oidc.UserInfo, tokenID, subject, _ string) error {
	s.mu.Lock()
	t, ok := s.tokens[tokenID]
	s.mu.Unlock()
	if !ok || t.subject != subject || time.Now().After(t.expires) {
		return errors.New("token invalid or expired")
	}
	return s.setUserinfo(ui, subject, t.scopes)
}

// setUserinfo fills the claims of the user for the granted scopes: sub,
// groups and extra claims always; email with "email"; name with "profile".
func (s *storage) setUserinfo(ui *oidc.UserInfo, userID string, scopes []string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[userID]
	if !ok {
		return errors.New("user not found")
	}
	ui.Subject = u.ID
	if len(u.Groups) > 0 {
		ui.AppendClaims("groups", slices.Clone(u.Groups))
	}
	for k, v := range u.Claims {
		ui.AppendClaims(k, v)
	}
	for _, sc := range scopes {
		switch sc {
		case oidc.ScopeEmail:
			ui.Email = u.Email
			ui.EmailVerified = oidc.Bool(u.EmailVerified)
		case oidc.ScopeProfile:
			ui.Name = u.Name
			ui.PreferredUsername = u.Username
		}
	}
	return nil
}

func (s *storage) SetIntrospectionFromToken(context.Context, *oidc.IntrospectionResponse, string, string, string) error {
	return errors.New("introspection is not offered by the test OP")
}

func (s *storage) GetPrivateClaimsFromScopes(context.Context, string, string, []string) (map[string]any, error) {
	return nil, nil
}

func (s *storage) GetKeyByIDAndClientID(context.Context, string, string) (*jose.JSONWebKey, error) {
	return nil, errors.New("JWT profile is not offered by the test OP")
}

func (s *storage) ValidateJWTProfileScopes(context.Context, string, []string) ([]string, error) {
	return nil, errors.New("JWT profile is not offered by the test OP")
}

func (s *storage) Health(context.Context) error { return nil }

// signingKey is the OP's ES256 key.
type signingKey struct {
	id  string
	key *ecdsa.PrivateKey
}

func (k *signingKey) SignatureAlgorithm() jose.SignatureAlgorithm { return jose.ES256 }
func (k *signingKey) Key() any                                    { return k.key }
func (k *signingKey) ID() string                                  { return k.id }

type publicKey struct{ signingKey }

func (k *publicKey) ID() string                         { return k.id }
func (k *publicKey) Algorithm() jose.SignatureAlgorithm { return jose.ES256 }
func (k *publicKey) Use() string                        { return "sig" }
func (k *publicKey) Key() any                           { return &k.key.PublicKey }

// client implements op.Client for a confidential web client.
type client struct {
	Client
	prefix string // the issuer's path
}

func (c *client) GetID() string                    { return c.ID }
func (c *client) RedirectURIs() []string           { return c.Client.RedirectURIs }
func (c *client) PostLogoutRedirectURIs() []string { return nil }
func (c *client) ApplicationType() op.ApplicationType {
	return op.ApplicationTypeWeb
}
func (c *client) AuthMethod() oidc.AuthMethod {
	if c.Client.AuthMethod == "" {
		return oidc.AuthMethodBasic
	}
	return oidc.AuthMethod(c.Client.AuthMethod)
}
func (c *client) ResponseTypes() []oidc.ResponseType {
	return []oidc.ResponseType{oidc.ResponseTypeCode}
}
func (c *client) GrantTypes() []oidc.GrantType { return []oidc.GrantType{oidc.GrantTypeCode} }
func (c *client) LoginURL(id string) string    { return c.prefix + loginPath + "?authRequestID=" + id }
func (c *client) AccessTokenType() op.AccessTokenType {
	return op.AccessTokenTypeBearer
}
func (c *client) IDTokenLifetime() time.Duration { return time.Hour }
func (c *client) DevMode() bool                  { return false }
func (c *client) RestrictAdditionalIdTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}
func (c *client) RestrictAdditionalAccessTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}
func (c *client) IsScopeAllowed(scope string) bool     { return slices.Contains(c.ExtraScopes, scope) }
func (c *client) IDTokenUserinfoClaimsAssertion() bool { return !c.ThinIDToken }
func (c *client) ClockSkew() time.Duration             { return 0 }
