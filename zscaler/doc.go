// Package zscaler is the Zscaler OneAPI client the tools use: the server's
// own credential (client credentials or private-key JWT at the ZIdentity
// token URL, through golang.org/x/oauth2), never an MCP client's token.
//
// A Client sends [Request]s to the OneAPI base URL
// (ZSCALER_API_BASE_URL, default https://api.zsapi.net), where every
// service lives under its own prefix: /zia/api/v1, /zpa/mgmtconfig/v1 (and
// /zpa/mgmtconfig/v2), /zdx/v1, /zcc/papi/public/v1, /ziam/admin/api/v1.
//
// Files, one job each:
//   - client.go: [Config] and its validation, [New], the [Client].
//   - do.go: [Request], [Client.Do]: URL building and the attempt loop
//     (rate limiter → token → one bounded HTTP attempt → retry or not).
//   - attempt.go: one HTTP attempt with its timeout and bounded body.
//   - token.go: the token cache: one token shared by all callers, replaced
//     before it expires, one fetch at a time, dropped after a 401.
//   - privatekey.go: ZSCALER_PRIVATE_KEY loading and RFC 7523 assertions.
//   - retry.go: which answers are retried, Retry-After, backoff with jitter.
//   - ratelimit.go: per-service, per-weight token buckets and their
//     documented defaults.
//   - errors.go: [*APIError] (read from the API's error body),
//     [*RequestError], [*TokenError] and the sentinel kinds ([ErrNotFound],
//     [ErrRateLimited], [ErrUnauthorized], [ErrUnavailable], ...) they
//     match with errors.Is.
//   - env.go: [ConfigFromEnv] and the environment variable names.
//   - paginate.go: [CollectPages], [ZIAPages], [ZPAPages].
//   - entitlements.go: the service-info claim ([ParseEntitlements],
//     [Client.Entitlements]).
//
// Non-2xx answers become an [*APIError] that a tool turns into an MCP
// isError result carrying the API's status and message.
package zscaler
