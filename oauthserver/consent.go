package oauthserver

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/zscalermcp/zscaler-mcp/store"
	"github.com/zscalermcp/zscaler-mcp/web"
)

// scopeWords describes our scopes on the consent page.
var scopeWords = map[string]string{
	ScopeRead:  "see your Zscaler configuration and use the read-only tools",
	ScopeWrite: "change your Zscaler configuration with the write tools",
}

// consentScope is one line of the consent page's scope list.
type consentScope struct{ Name, Text string }

// redirectParts is the redirect URI split around its host, which the page
// emphasises (for a URI without a host, the scheme).
type redirectParts struct{ Before, Host, After, Note string }

func splitRedirect(raw string) redirectParts {
	u, err := url.Parse(raw)
	if err != nil {
		return redirectParts{Before: raw}
	}
	if u.Host != "" {
		prefix := u.Scheme + "://"
		if i := strings.Index(raw, u.Host); strings.HasPrefix(raw, prefix) && i == len(prefix) {
			p := redirectParts{Before: prefix, Host: u.Host, After: raw[i+len(u.Host):]}
			switch h := u.Hostname(); {
			case h == "localhost" || h == "127.0.0.1" || h == "::1":
				p.Note = "An application on this computer."
			case u.Scheme != "https" && u.Scheme != "http":
				p.Note = "An application installed on this computer (" + u.Scheme + " links)."
			}
			return p
		}
	}
	if u.Scheme != "" && strings.HasPrefix(raw, u.Scheme+":") {
		return redirectParts{Host: u.Scheme + ":", After: raw[len(u.Scheme)+1:],
			Note: "An application installed on this computer (" + u.Scheme + " links)."}
	}
	return redirectParts{Before: raw}
}

// originText says how the client came to exist.
func originText(c *store.Client) (text, detail string) {
	switch c.Origin {
	case store.OriginDCR:
		return "It registered itself with this server (dynamic client registration); anyone can do that.", ""
	case store.OriginCIMD:
		return "It is identified by its metadata document at", c.ID
	case store.OriginStatic:
		return "It was configured by this server's administrator.", ""
	}
	return "Its origin is unknown.", ""
}

// consentPage is the consent page's data.
type consentPage struct {
	ClientName   string
	User         string
	IdPName      string
	Scopes       []consentScope
	Redirect     redirectParts
	Origin       string
	OriginDetail string
	Pending      string
	CSRFToken    string
}

func (a *LoginAuthenticator) handleConsentPage(w http.ResponseWriter, r *http.Request) {
	pending := r.URL.Query().Get("pending")
	var page consentPage
	if err := a.withLogin(r, pending, func(l *login) error {
		if l.identity == nil {
			return errWrongStep
		}
		page = a.consentData(l)
		return nil
	}); err != nil {
		a.loginError(w, r, err)
		return
	}
	a.render(w, http.StatusOK, web.PageConsent, page)
}

func (a *LoginAuthenticator) consentData(l *login) consentPage {
	id := l.identity
	user := id.Name
	switch {
	case id.Name != "" && id.Email != "":
		user = fmt.Sprintf("%s (%s)", id.Name, id.Email)
	case id.Email != "":
		user = id.Email
	case user == "":
		user = id.Subject
	}
	var idpName string
	if l.prov != nil { // the provider the user signed in with (a reload may have replaced it since)
		idpName = l.prov.DisplayName()
	}
	page := consentPage{
		ClientName: displayClientName(l.req.Client), User: user, IdPName: idpName,
		Redirect: splitRedirect(l.req.RedirectURI), Pending: l.pendingID, CSRFToken: l.csrf,
	}
	page.Origin, page.OriginDetail = originText(l.req.Client)
	for _, s := range l.req.Scopes {
		text, ok := scopeWords[s]
		if !ok {
			text = "a permission named " + s
		}
		page.Scopes = append(page.Scopes, consentScope{Name: s, Text: text})
	}
	return page
}

// errBadCSRF: the consent POST's csrf_token is missing or wrong.
var errBadCSRF = errors.New("bad csrf token")

// handleConsentPost takes the consent answer: approve remembers the
// consent and resumes the authorization request, deny denies it; both end
// in a 303 to the client's redirect URI.
func (a *LoginAuthenticator) handleConsentPost(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		a.errorPage(w, http.StatusBadRequest, errorData{Title: "Request refused", Message: "The form could not be read."})
		return
	}
	pending, token, decision := r.PostForm.Get("pending"), r.PostForm.Get("csrf_token"), r.PostForm.Get("decision")
	var userID, clientID string
	var scopes []string
	err := a.withLogin(r, pending, func(l *login) error {
		if l.identity == nil {
			return errWrongStep
		}
		if token == "" || subtle.ConstantTimeCompare([]byte(token), []byte(l.csrf)) != 1 {
			return errBadCSRF
		}
		userID, clientID, scopes = l.identity.UserID(), l.req.Client.ID, append([]string(nil), l.req.Scopes...)
		return nil
	})
	switch {
	case errors.Is(err, errBadCSRF):
		a.errorPage(w, http.StatusForbidden, errorData{Title: "Request refused",
			Message: "The form was stale or did not come from this page. Go back to your application and connect again."})
		return
	case err != nil:
		a.loginError(w, r, err)
		return
	}
	a.auditConsent(r, userID, clientID, decision)
	switch decision {
	case "approve":
		ctx := r.Context()
		if old, err := a.cfg.Store.GetConsent(ctx, userID, clientID); err == nil {
			scopes = unionScopes(old.Scopes, scopes)
		}
		if err := a.cfg.Store.PutConsent(ctx, &store.Consent{Subject: userID, ClientID: clientID, Scopes: scopes, GrantedAt: a.cfg.Now()}); err != nil {
			// Not fatal: the user is asked again next time.
			a.cfg.Logger.WarnContext(ctx, "remember consent", "client", clientID, "err", err)
		}
		a.finish(w, r, pending, true)
	case "deny":
		a.finish(w, r, pending, false)
	default:
		a.errorPage(w, http.StatusBadRequest, errorData{Title: "Request refused", Message: "Choose Allow or Deny."})
	}
}

// unionScopes returns a ∪ b, in order of first appearance.
func unionScopes(a, b []string) []string {
	seen := make(map[string]bool, len(a)+len(b))
	var out []string
	for _, s := range append(append([]string(nil), a...), b...) {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}
