// Package idptest runs a real OpenID provider on 127.0.0.1 for tests: the
// OpenID-certified `op` package of github.com/zitadel/oidc/v3 with a small
// in-memory storage (after the library's example storage), confidential
// clients, users with a password, and a minimal login UI.
//
// Nothing of the protocol is hand-written here: discovery, the authorize
// endpoint (client and redirect URI checks, PKCE method), the token endpoint
// (client authentication, PKCE verification, code binding to client and
// redirect URI), ID token signing (ES256) and userinfo are the library's.
// The test controls only what a real IdP's administrator or user would: the
// registered clients and users, whether the user signs in or cancels, and
// how long codes live, and the issuer's path. Instruments are added in
// front of the OP for assertions: the authorization and token requests it
// received are recorded. Where the library cannot produce a real IdP's
// shape, a test installs a thin, named shim that rewrites just that part:
// the token endpoint's JSON response (token substitution), the discovery
// document (Entra's "{tenantid}" issuer, Cognito's hosted-UI endpoints), or
// the iss of one user's ID tokens ([User.Issuer]: a multi-tenant IdP naming
// the user's home tenant). The tokens are still the library's, signed by
// the OP's key.
package idptest

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"html/template"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
	"golang.org/x/text/language"
)

// User is an account at the test OP.
type User struct {
	ID, Username, Password string
	Email                  string
	// EmailVerified false leaves email_verified out of the claims
	// altogether (as Entra does); to send an explicit false, put
	// "email_verified" in Claims.
	EmailVerified bool
	Name          string
	// Groups go into the "groups" claim (ID token and userinfo).
	Groups []string
	// Claims are extra claims of the ID token and userinfo.
	Claims map[string]any
	// Issuer, when set, is the iss of this user's ID tokens instead of the
	// OP's issuer: a shim reproducing multi-tenant IdPs whose tokens name
	// the user's home tenant (Entra's organizations endpoint issues
	// https://login.microsoftonline.com/<user's tid>/v2.0) or a v1 issuer.
	Issuer string
}

// Client is a confidential web client registered at the test OP.
type Client struct {
	ID, Secret   string
	RedirectURIs []string
	// AuthMethod is "client_secret_basic" (default) or "client_secret_post";
	// the OP accepts either at the token endpoint, and TokenRequest records
	// which one was used.
	AuthMethod string
	// ExtraAudience is added to the ID tokens' aud (after the client id),
	// e.g. to mint a token for this client that another client also accepts.
	ExtraAudience []string
	// ThinIDToken keeps the email and profile claims out of the ID token
	// (they are then only at userinfo), as many IdPs do.
	ThinIDToken bool
	// ExtraScopes are scopes beyond the standard ones this client may ask for.
	ExtraScopes []string
}

// Options configure a Server.
type Options struct {
	Users   []User
	Clients []Client
	// AutoLogin signs this username in without showing the login form.
	AutoLogin string
	// CodeLifetime is how long an authorization code can be exchanged;
	// default one minute. See also Server.Advance.
	CodeLifetime time.Duration
	// TLS serves https with httptest's certificate (see Server.Certificate).
	TLS bool
	// IssuerPath is appended to the OP's origin to form its issuer, and
	// every endpoint is served below it: e.g. "/realms/acme" (Keycloak),
	// "/<tenant>/v2.0" (Entra), or "/" for an issuer with a trailing slash
	// (Auth0). Empty means the bare origin.
	IssuerPath string
}

// AuthRequest is an authorization request the OP accepted.
type AuthRequest struct {
	ClientID, RedirectURI, State, Nonce string
	Scopes                              []string
	CodeChallenge, CodeChallengeMethod  string
	// Query is the full query string the authorize endpoint received.
	Query url.Values
}

// TokenRequest is a request the token endpoint received.
type TokenRequest struct {
	// ClientAuth is "basic" (Authorization header), "post" (client_secret in
	// the body) or "none".
	ClientAuth   string
	GrantType    string
	CodeVerifier string
	RedirectURI  string
	// Status is the HTTP status the OP answered.
	Status int
	// IDToken is the id_token the OP issued (before any shim), if any.
	IDToken string
}

// Server is a running test OP. Its methods are safe for concurrent use.
type Server struct {
	// Issuer is the OP's issuer URL (http://127.0.0.1:port, or https).
	Issuer string

	srv      *httptest.Server
	provider *op.Provider
	store    *storage
	offset   atomic.Int64 // clock offset, for code expiry

	mu          sync.Mutex
	autoLogin   string
	deny        *oidc.Error
	shim        func(body map[string]any)
	discovery   func(doc map[string]any)
	authQueries []url.Values
	tokenReqs   []TokenRequest
}

const (
	loginPath = "/login"
	tokenPath = "/oauth/token" // the op package's default token endpoint
	authPath  = "/authorize"   // the op package's default authorization endpoint

	discoveryPath = "/.well-known/openid-configuration"
)

// issuerKey carries a per-user issuer from recordToken to issuerFunc.
type issuerKey struct{}

// issuerFunc is the OP's issuer: the configured one, or the per-user
// issuer recordToken put in the request's context ([User.Issuer]).
func (s *Server) issuerFunc(bool) (op.IssuerFromRequest, error) {
	if err := op.ValidateIssuer(s.Issuer, true); err != nil {
		return nil, err
	}
	return func(r *http.Request) string {
		if iss, ok := r.Context().Value(issuerKey{}).(string); ok {
			return iss
		}
		return s.Issuer
	}, nil
}

// New starts a test OP on 127.0.0.1 and stops it when the test ends.
func New(t testing.TB, o Options) *Server {
	t.Helper()
	s := &Server{srv: httptest.NewUnstartedServer(nil), autoLogin: o.AutoLogin}
	scheme := "http"
	if o.TLS {
		scheme = "https"
	}
	s.Issuer = scheme + "://" + s.srv.Listener.Addr().String() + o.IssuerPath
	prefix := strings.TrimSuffix(o.IssuerPath, "/")

	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatalf("idptest: key: %v", err)
	}
	if o.CodeLifetime <= 0 {
		o.CodeLifetime = time.Minute
	}
	s.store = &storage{
		now:          s.now,
		codeLifetime: o.CodeLifetime,
		key:          signingKey{id: "test-key-1", key: key},
		clients:      map[string]*client{},
		users:        map[string]*User{},
		requests:     map[string]*authRequest{},
		codes:        map[string]codeEntry{},
		tokens:       map[string]*accessToken{},
		prefix:       prefix,
	}
	for _, u := range o.Users {
		s.AddUser(u)
	}
	for _, c := range o.Clients {
		s.AddClient(c)
	}

	var cryptoKey [32]byte
	if _, err := rand.Read(cryptoKey[:]); err != nil {
		t.Fatalf("idptest: %v", err)
	}
	s.provider, err = op.NewProvider(&op.Config{
		CryptoKey:          cryptoKey,
		CodeMethodS256:     true,
		AuthMethodPost:     true,
		SupportedUILocales: []language.Tag{language.English},
	}, s.store, s.issuerFunc, op.WithAllowInsecure())
	if err != nil {
		t.Fatalf("idptest: op.NewProvider: %v", err)
	}
	mux := http.NewServeMux()
	mux.Handle(loginPath, op.NewIssuerInterceptor(s.provider.IssuerFromRequest).HandlerFunc(s.login))
	mux.Handle(authPath, s.recordAuthorize(s.provider))
	mux.Handle(tokenPath, s.recordToken(s.provider))
	mux.Handle(discoveryPath, s.shimDiscovery(s.provider))
	mux.Handle("/", s.provider)
	s.srv.Config.Handler = mux
	if prefix != "" {
		outer := http.NewServeMux()
		outer.Handle(prefix+"/", http.StripPrefix(prefix, mux))
		s.srv.Config.Handler = outer
	}
	if o.TLS {
		s.srv.StartTLS()
	} else {
		s.srv.Start()
	}
	t.Cleanup(s.Close)
	return s
}

// Close stops the OP (a test's cleanup does it too).
func (s *Server) Close() { s.srv.Close() }

// Client returns an HTTP client that trusts the OP's TLS certificate (for
// TLS servers) with no cookie jar.
func (s *Server) Client() *http.Client { return s.srv.Client() }

// Server returns the underlying httptest server (e.g. for its Certificate).
func (s *Server) Server() *httptest.Server { return s.srv }

// AddUser registers (or replaces) a user.
func (s *Server) AddUser(u User) {
	s.store.mu.Lock()
	defer s.store.mu.Unlock()
	s.store.users[u.ID] = &u
}

// AddClient registers (or replaces) a client.
func (s *Server) AddClient(c Client) {
	s.store.mu.Lock()
	defer s.store.mu.Unlock()
	s.store.clients[c.ID] = &client{Client: c, prefix: s.store.prefix}
}

// SetAutoLogin signs this username in without the form ("" shows the form).
func (s *Server) SetAutoLogin(username string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.autoLogin = username
}

// SetDeny makes the next logins end with this OAuth error sent to the
// client's redirect URI, as when the user cancels (code "access_denied");
// code "" restores normal logins.
func (s *Server) SetDeny(code, description string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if code == "" {
		s.deny = nil
		return
	}
	// The library's error type has an unexported code type: build it from JSON.
	e := new(oidc.Error)
	b, _ := json.Marshal(map[string]string{"error": code, "error_description": description})
	if err := json.Unmarshal(b, e); err != nil {
		panic("idptest: " + err.Error())
	}
	s.deny = e
}

// SetTokenResponseShim installs a function that rewrites the JSON body of
// successful token responses before they leave (nil removes it). Tests use
// it to reproduce token substitution; name the behaviour in the test.
func (s *Server) SetTokenResponseShim(f func(body map[string]any)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.shim = f
}

// SetDiscoveryShim installs a function that rewrites the discovery
// document before it leaves (nil removes it): a named shim for shapes the
// library cannot produce, e.g. Entra's "{tenantid}" issuer placeholder.
func (s *Server) SetDiscoveryShim(f func(doc map[string]any)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.discovery = f
}

// Advance moves the OP's clock for code expiry forward by d.
func (s *Server) Advance(d time.Duration) { s.offset.Add(int64(d)) }

func (s *Server) now() time.Time { return time.Now().Add(time.Duration(s.offset.Load())) }

// AuthRequests returns the authorization requests the OP accepted, oldest first.
func (s *Server) AuthRequests() []AuthRequest {
	s.store.mu.Lock()
	recs := slices.Clone(s.store.recorded)
	s.store.mu.Unlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range recs {
		// Match the raw query of the same request by state and client.
		for _, q := range s.authQueries {
			if q.Get("state") == recs[i].State && q.Get("client_id") == recs[i].ClientID {
				recs[i].Query = q
			}
		}
	}
	return recs
}

// TokenRequests returns the token endpoint requests, oldest first.
func (s *Server) TokenRequests() []TokenRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.tokenReqs)
}

func (s *Server) recordAuthorize(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.authQueries = append(s.authQueries, r.URL.Query())
		s.mu.Unlock()
		next.ServeHTTP(w, r)
	})
}

// recordToken records token requests and applies the response shim.
func (s *Server) recordToken(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			http.Error(w, "read", http.StatusBadRequest)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		form, _ := url.ParseQuery(string(body))
		if iss := s.store.issuerForCode(form.Get("code")); iss != "" {
			r = r.WithContext(context.WithValue(r.Context(), issuerKey{}, iss))
		}
		rec := TokenRequest{ClientAuth: "none", GrantType: form.Get("grant_type"),
			CodeVerifier: form.Get("code_verifier"), RedirectURI: form.Get("redirect_uri")}
		if _, _, ok := r.BasicAuth(); ok {
			rec.ClientAuth = "basic"
		} else if form.Has("client_secret") {
			rec.ClientAuth = "post"
		}

		rr := httptest.NewRecorder()
		next.ServeHTTP(rr, r)
		out := rr.Body.Bytes()
		rec.Status = rr.Code
		var resp map[string]any
		if rr.Code == http.StatusOK && json.Unmarshal(out, &resp) == nil {
			rec.IDToken, _ = resp["id_token"].(string)
			s.mu.Lock()
			shim := s.shim
			s.mu.Unlock()
			if shim != nil {
				shim(resp)
				out, _ = json.Marshal(resp)
			}
		}
		s.mu.Lock()
		s.tokenReqs = append(s.tokenReqs, rec)
		s.mu.Unlock()
		for k, v := range rr.Header() {
			w.Header()[k] = v
		}
		w.Header().Set("Content-Length", strconv.Itoa(len(out)))
		w.WriteHeader(rr.Code)
		_, _ = w.Write(out)
	})
}

// shimDiscovery applies the discovery shim, if any.
func (s *Server) shimDiscovery(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		shim := s.discovery
		s.mu.Unlock()
		if shim == nil {
			next.ServeHTTP(w, r)
			return
		}
		rr := httptest.NewRecorder()
		next.ServeHTTP(rr, r)
		var doc map[string]any
		if rr.Code != http.StatusOK || json.Unmarshal(rr.Body.Bytes(), &doc) != nil {
			http.Error(w, "idptest: discovery shim: the OP's document did not decode", http.StatusInternalServerError)
			return
		}
		shim(doc)
		out, _ := json.Marshal(doc)
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", strconv.Itoa(len(out)))
		_, _ = w.Write(out)
	})
}

// login is the OP's login UI: GET shows a username/password form (or signs
// the auto-login user in, or denies); POST checks the password, or cancels.
func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	id := r.FormValue("authRequestID")
	authReq, err := s.store.AuthRequestByID(r.Context(), id)
	if err != nil {
		http.Error(w, "unknown auth request", http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	deny, auto := s.deny, s.autoLogin
	s.mu.Unlock()
	switch {
	case deny != nil:
		op.AuthRequestError(w, r, authReq, deny, s.provider)
		return
	case r.Method == http.MethodPost && r.PostFormValue("action") == "cancel":
		op.AuthRequestError(w, r, authReq, oidc.ErrAccessDenied().WithDescription("The user cancelled the login."), s.provider)
		return
	case r.Method == http.MethodPost:
		u := s.store.userByUsername(r.PostFormValue("username"))
		if u == nil || u.Password != r.PostFormValue("password") {
			w.WriteHeader(http.StatusUnauthorized)
			_ = loginPage.Execute(w, map[string]string{"ID": id, "Error": "Wrong username or password.", "Action": s.store.prefix + loginPath, "Issuer": s.Issuer})
			return
		}
		s.finish(w, r, id, u)
	case auto != "":
		u := s.store.userByUsername(auto)
		if u == nil {
			http.Error(w, "auto-login user not found", http.StatusInternalServerError)
			return
		}
		s.finish(w, r, id, u)
	default:
		_ = loginPage.Execute(w, map[string]string{"ID": id, "Action": s.store.prefix + loginPath, "Issuer": s.Issuer})
	}
}

func (s *Server) finish(w http.ResponseWriter, r *http.Request, id string, u *User) {
	if err := s.store.completeLogin(id, u); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	http.Redirect(w, r, op.AuthCallbackURL(s.provider)(r.Context(), id), http.StatusFound)
}

var loginPage = template.Must(template.New("login").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Test IdP sign-in</title></head>
<body><h1>Test IdP</h1><p>Issuer: <code>{{.Issuer}}</code></p>
{{if .Error}}<p role="alert">{{.Error}}</p>{{end}}
<form method="post" action="{{.Action}}">
<input type="hidden" name="authRequestID" value="{{.ID}}">
<label>Username <input name="username" autofocus></label>
<label>Password <input name="password" type="password"></label>
<button type="submit" name="action" value="login">Sign in</button>
<button type="submit" name="action" value="cancel">Cancel</button>
</form></body></html>
`))
