package zscaler

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// TokenClaims returns the decoded payload of the client's current OneAPI
// access token (fetching one if needed), for the entitlement filter's
// service-info claim. The signature is not verified: the token is the
// answer of the token endpoint we called ourselves, and its claims are
// informational. An opaque (non-JWT) token is an error.
func (c *Client) TokenClaims(ctx context.Context) (map[string]any, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	tok, err := c.token.Token()
	if err != nil {
		return nil, fmt.Errorf("zscaler: get OneAPI token: %w", err)
	}
	parts := strings.Split(tok.AccessToken, ".")
	if len(parts) != 3 {
		return nil, errors.New("zscaler: the OneAPI token is not a JWT")
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return nil, fmt.Errorf("zscaler: OneAPI token payload: %w", err)
	}
	var claims map[string]any
	if err := json.Unmarshal(payload, &claims); err != nil {
		return nil, fmt.Errorf("zscaler: OneAPI token payload: %w", err)
	}
	return claims, nil
}
