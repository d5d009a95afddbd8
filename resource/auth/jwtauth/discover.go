package jwtauth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// MaxDiscoveryBytes bounds a discovery document.
const MaxDiscoveryBytes = 1 << 20

const (
	oidcWellKnown  = "/.well-known/openid-configuration"
	oauthWellKnown = "/.well-known/oauth-authorization-server"
)

// Discover fetches an OpenID Connect (or RFC 8414 OAuth) discovery document
// and returns its issuer and jwks_uri, for the oidc mode
// (OIDCPROXY_CONFIG_URL). configURL is either the issuer, in which case
// <issuer>/.well-known/openid-configuration is tried and then the RFC 8414
// location, or the full .well-known URL. The document's issuer must be the
// one configURL names (a trailing slash aside); it is returned verbatim, as
// tokens carry it. client nil means a client with a 10 s timeout.
func Discover(ctx context.Context, client *http.Client, configURL string) (issuer, jwksURI string, err error) {
	if err := checkHTTPURL(configURL); err != nil {
		return "", "", fmt.Errorf("discovery URL: %w", err)
	}
	if client == nil {
		client = &http.Client{Timeout: DefaultJWKSTimeout}
	}
	candidates, expected := discoveryURLs(configURL)
	var errs []error
	for _, u := range candidates {
		iss, jwks, err := fetchDiscovery(ctx, client, u, expected)
		if err == nil {
			return iss, jwks, nil
		}
		errs = append(errs, fmt.Errorf("%s: %w", redactURL(u), err))
		if ctx.Err() != nil {
			break
		}
	}
	return "", "", fmt.Errorf("OIDC discovery failed: %w", errors.Join(errs...))
}

// discoveryURLs returns the documents to try for configURL and the issuer
// they must name ("" when it cannot be derived).
func discoveryURLs(configURL string) (urls []string, issuer string) {
	u, _ := url.Parse(configURL) // checked by the caller
	if before, after, ok := strings.Cut(u.Path, "/.well-known/"); ok {
		switch {
		case "/.well-known/"+after == oidcWellKnown:
			iss := *u
			iss.Path, iss.RawPath, iss.RawQuery, iss.Fragment = before, "", "", ""
			issuer = iss.String()
		case "/.well-known/"+after == oauthWellKnown || strings.HasPrefix("/.well-known/"+after, oauthWellKnown+"/"):
			iss := *u
			iss.Path = strings.TrimPrefix("/.well-known/"+after, oauthWellKnown)
			iss.RawPath, iss.RawQuery, iss.Fragment = "", "", ""
			issuer = iss.String()
		}
		return []string{configURL}, issuer
	}
	base := *u
	base.RawQuery, base.Fragment = "", ""
	issuer = strings.TrimSuffix(base.String(), "/")
	path := strings.TrimSuffix(base.Path, "/")
	rfc8414 := base
	rfc8414.Path, rfc8414.RawPath = oauthWellKnown+path, ""
	return []string{issuer + oidcWellKnown, rfc8414.String()}, issuer
}

func fetchDiscovery(ctx context.Context, client *http.Client, docURL, wantIssuer string) (string, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, docURL, nil)
	if err != nil {
		return "", "", err
	}
	req.Header.Set("Accept", "application/json")
	body, _, err := getBounded(client, req, MaxDiscoveryBytes)
	if err != nil {
		return "", "", err
	}
	var doc struct {
		Issuer  string `json:"issuer"`
		JWKSURI string `json:"jwks_uri"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		return "", "", fmt.Errorf("not a JSON discovery document: %w", err)
	}
	if err := checkHTTPURL(doc.Issuer); err != nil {
		return "", "", fmt.Errorf("issuer: %w", err)
	}
	if wantIssuer != "" && strings.TrimSuffix(doc.Issuer, "/") != strings.TrimSuffix(wantIssuer, "/") {
		return "", "", fmt.Errorf("document names issuer %q, expected %q", doc.Issuer, wantIssuer)
	}
	if err := checkHTTPURL(doc.JWKSURI); err != nil {
		return "", "", fmt.Errorf("jwks_uri: %w", err)
	}
	return doc.Issuer, doc.JWKSURI, nil
}
