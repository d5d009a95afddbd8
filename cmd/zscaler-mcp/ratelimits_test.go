package main

import (
	"math"
	"net/http"
	"strings"
	"testing"

	"golang.org/x/time/rate"
)

// TestASRateLimitSettings: the rate settings reach the authorization
// server of the real binary: past the configured burst a client IP (here
// from X-Forwarded-For of a trusted proxy) gets 429 with Retry-After at
// /token, another IP does not.
func TestASRateLimitSettings(t *testing.T) {
	srv := start(t, map[string]string{
		"ZSCALER_MCP_TOKEN_RATE_LIMIT": "1/h", "ZSCALER_MCP_TOKEN_RATE_BURST": "2",
		"ZSCALER_MCP_TRUSTED_PROXIES": "127.0.0.1/32",
	}, "--transport", "streamable-http", "--config", devIdPConfig(t))
	form := "grant_type=refresh_token&refresh_token=x&client_id=nobody"
	post := func(ip string) *http.Response {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/token", strings.NewReader(form))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("X-Forwarded-For", ip)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	for i := range 2 {
		if resp := post("192.0.2.10"); resp.StatusCode == http.StatusTooManyRequests {
			t.Fatalf("request %d within the burst: 429", i+1)
		}
	}
	if resp := post("192.0.2.10"); resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("past the burst: %d Retry-After %q", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	if resp := post("192.0.2.11"); resp.StatusCode == http.StatusTooManyRequests {
		t.Fatalf("another IP: 429")
	}
}

func TestASRateLimitParsing(t *testing.T) {
	for _, tc := range []struct {
		env   map[string]string
		token rate.Limit
		reg   rate.Limit
		err   string
	}{
		{env: nil, token: 50, reg: rate.Limit(10.0 / 60)},
		{env: map[string]string{"ZSCALER_MCP_TOKEN_RATE_LIMIT": "120/m", "ZSCALER_MCP_REGISTRATION_RATE_LIMIT": "off"}, token: 2, reg: rate.Inf},
		{env: map[string]string{"ZSCALER_MCP_TOKEN_RATE_LIMIT": "3600/h", "ZSCALER_MCP_REGISTRATION_RATE_LIMIT": "7"}, token: 1, reg: 7},
		{env: map[string]string{"ZSCALER_MCP_TOKEN_RATE_LIMIT": "0"}, err: "ZSCALER_MCP_TOKEN_RATE_LIMIT"},
		{env: map[string]string{"ZSCALER_MCP_TOKEN_RATE_LIMIT": "5/d"}, err: "ZSCALER_MCP_TOKEN_RATE_LIMIT"},
		{env: map[string]string{"ZSCALER_MCP_REGISTRATION_RATE_LIMIT": "fast"}, err: "ZSCALER_MCP_REGISTRATION_RATE_LIMIT"},
		{env: map[string]string{"ZSCALER_MCP_TOKEN_RATE_BURST": "0"}, err: "ZSCALER_MCP_TOKEN_RATE_BURST"},
		{env: map[string]string{"ZSCALER_MCP_REGISTRATION_RATE_BURST": "-1"}, err: "ZSCALER_MCP_REGISTRATION_RATE_BURST"},
	} {
		c, err := resolve(t, tc.env, "--transport", "streamable-http")
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%v: error %v, want one naming %s", tc.env, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%v: %v", tc.env, err)
		}
		if math.Abs(float64(c.ASLimits.TokenRate-tc.token)) > 1e-9 || (c.ASLimits.RegistrationRate != tc.reg && math.Abs(float64(c.ASLimits.RegistrationRate-tc.reg)) > 1e-9) {
			t.Errorf("%v: token %v registration %v, want %v %v", tc.env, c.ASLimits.TokenRate, c.ASLimits.RegistrationRate, tc.token, tc.reg)
		}
	}
}
