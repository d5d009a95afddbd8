package zscalerauth

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// TokenURL returns the Zscaler OneAPI (ZIdentity) token endpoint.
//
// override (ZSCALER_TOKEN_URL) wins when set and must be an absolute http or
// https URL. Otherwise the URL is derived from vanityDomain
// (ZSCALER_VANITY_DOMAIN, a single DNS label such as "acme") and cloud
// (ZSCALER_CLOUD): https://{vanity}.zslogin.net/oauth2/v1/token for the
// production cloud (cloud empty or "production"), and
// https://{vanity}.zslogin{cloud}.net/oauth2/v1/token otherwise (cloud
// "beta" gives zsloginbeta.net). Vanity domain and cloud are case-insensitive
// and lower-cased.
func TokenURL(vanityDomain, cloud, override string) (string, error) {
	if o := strings.TrimSpace(override); o != "" {
		if err := checkTokenURL(o); err != nil {
			return "", fmt.Errorf("ZSCALER_TOKEN_URL: %w", err)
		}
		return o, nil
	}
	vanity := strings.ToLower(strings.TrimSpace(vanityDomain))
	if vanity == "" {
		return "", errors.New("zscaler client auth needs ZSCALER_VANITY_DOMAIN (the first label of your <vanity>.zslogin.net login domain) or ZSCALER_TOKEN_URL")
	}
	if !isDNSLabel(vanity) {
		return "", fmt.Errorf("ZSCALER_VANITY_DOMAIN %q is not a DNS label: give only the vanity name (for acme.zslogin.net use \"acme\"): letters, digits and inner hyphens, at most 63 characters", vanityDomain)
	}
	c := strings.ToLower(strings.TrimSpace(cloud))
	if c == "" || c == "production" {
		return "https://" + vanity + ".zslogin.net/oauth2/v1/token", nil
	}
	host := "zslogin" + c
	if !isDNSLabel(host) {
		return "", fmt.Errorf("ZSCALER_CLOUD %q is not a valid cloud name (letters, digits and hyphens, for example \"beta\")", cloud)
	}
	return "https://" + vanity + "." + host + ".net/oauth2/v1/token", nil
}

// checkTokenURL reports why u is not usable as a token endpoint URL.
func checkTokenURL(u string) error {
	p, err := url.Parse(u)
	if err != nil {
		return fmt.Errorf("token URL %q is not a valid URL: %w", u, err)
	}
	if p.Scheme != "https" && p.Scheme != "http" || p.Host == "" || p.Opaque != "" {
		return fmt.Errorf("token URL %q must be an absolute http(s) URL", u)
	}
	if p.User != nil {
		return fmt.Errorf("token URL %q must not carry user information", p.Redacted())
	}
	if p.Fragment != "" {
		return fmt.Errorf("token URL %q must not have a fragment", u)
	}
	return nil
}

// isDNSLabel reports whether s is a lower-case RFC 1123 label: 1 to 63
// letters, digits and hyphens, not starting or ending with a hyphen.
func isDNSLabel(s string) bool {
	if len(s) == 0 || len(s) > 63 || s[0] == '-' || s[len(s)-1] == '-' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}
