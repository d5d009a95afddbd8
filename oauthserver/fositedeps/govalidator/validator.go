// Package govalidator is the one function of github.com/asaskevich/govalidator
// (MIT, see LICENSE) that github.com/ory/fosite v0.49.0 calls, copied
// verbatim: IsRequestURL (authorize_helper.go, the redirect URI check).
// The original package compiles ~100 regular expressions in its package
// initialisation (~1 ms and ~300 KiB of live heap in every process), which
// zscaler-mcp never uses; go.mod replaces it with this copy.
package govalidator

import "net/url"

// IsRequestURL checks if the string rawurl, assuming it was received in an
// HTTP request, is a valid URL confirm to RFC 3986.
func IsRequestURL(rawurl string) bool {
	url, err := url.ParseRequestURI(rawurl)
	if err != nil {
		return false //Couldn't even parse the rawurl
	}
	if len(url.Scheme) == 0 {
		return false //No Scheme found
	}
	return true
}
