package zscalerauth

import (
	"encoding/base64"
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"time"

	"golang.org/x/oauth2"
)

// UnverifiedClaims returns the payload of a JWT-shaped access token that the
// Zscaler token endpoint issued, as a map, or nil when the token is not a JWT
// with a JSON object payload. Both the zscaler client-auth mode and the
// OneAPI client read the OneAPI entitlements ("service-info") with it.
//
// The signature is deliberately NOT verified: the token is not a credential
// presented to us, it is the answer the Zscaler IdP's token endpoint gave on
// a connection we opened ourselves to the configured token URL (HTTPS in
// production), so it is exactly as trustworthy as that endpoint. The claims are informational (for example
// the OneAPI entitlements in "service-info"); authentication rests on the
// IdP having accepted the client's credentials, not on the token. The token
// itself is never kept.
func UnverifiedClaims(token string) map[string]any {
	parts := strings.Split(token, ".")
	if len(parts) != 3 || parts[1] == "" {
		return nil
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return nil
	}
	var claims map[string]any
	if err := json.Unmarshal(payload, &claims); err != nil {
		return nil
	}
	return claims
}

// expiresIn returns the token lifetime from the response's expires_in
// (capped at maxTokenLifetime), or false when the response carried none.
func expiresIn(tok *oauth2.Token) (time.Duration, bool) {
	var secs float64
	switch x := tok.Extra("expires_in").(type) {
	case float64:
		secs = x
	case int64:
		secs = float64(x)
	case json.Number:
		f, err := x.Float64()
		if err != nil {
			return 0, false
		}
		secs = f
	case string:
		f, err := strconv.ParseFloat(strings.TrimSpace(x), 64)
		if err != nil {
			return 0, false
		}
		secs = f
	default:
		return 0, false
	}
	if math.IsNaN(secs) || secs <= 0 {
		return 0, false
	}
	if secs >= maxTokenLifetime.Seconds() {
		return maxTokenLifetime, true
	}
	return time.Duration(secs * float64(time.Second)), true
}
