package main

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"golang.org/x/time/rate"
)

// asLimits are the per-IP rate limits of our authorization server's JSON
// endpoints (oidcproxy mode).
type asLimits struct {
	TokenRate         rate.Limit // /token, /revoke, /introspect, each its own buckets
	TokenBurst        int
	RegistrationRate  rate.Limit // POST /register
	RegistrationBurst int
}

// resolveASLimits parses the rate-limit settings.
func (c *config) resolveASLimits(v values) error {
	var err error
	if c.ASLimits.TokenRate, err = parseRate(v, "token-rate-limit"); err != nil {
		return err
	}
	if c.ASLimits.TokenBurst, err = parseBurst(v, "token-rate-burst"); err != nil {
		return err
	}
	if c.ASLimits.RegistrationRate, err = parseRate(v, "registration-rate-limit"); err != nil {
		return err
	}
	if c.ASLimits.RegistrationBurst, err = parseBurst(v, "registration-rate-burst"); err != nil {
		return err
	}
	return nil
}

// parseRate reads a rate such as "50/s", "10/m", "100/h", "20" (per
// second) or "off" (unlimited).
func parseRate(v values, key string) (rate.Limit, error) {
	raw := strings.ToLower(strings.TrimSpace(v.get(key)))
	if raw == "off" {
		return rate.Inf, nil
	}
	num, unit, _ := strings.Cut(raw, "/")
	per := time.Second
	switch unit {
	case "", "s":
	case "m":
		per = time.Minute
	case "h":
		per = time.Hour
	default:
		num = "" // force the error below
	}
	n, err := strconv.ParseFloat(num, 64)
	if err != nil || n <= 0 || n > 1e9 {
		return 0, fmt.Errorf("%s: %q is not a rate (e.g. 50/s, 10/m, 100/h, or off)", v.describe(key), v.get(key))
	}
	return rate.Limit(n / per.Seconds()), nil
}

// parseBurst reads a positive request count.
func parseBurst(v values, key string) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(v.get(key)))
	if err != nil || n < 1 || n > 1_000_000 {
		return 0, fmt.Errorf("%s: %q is not a request count between 1 and 1000000", v.describe(key), v.get(key))
	}
	return n, nil
}
