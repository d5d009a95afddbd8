// Package zscaler is the Zscaler OneAPI client the tools use: the server's
// own credential (client credentials or private-key JWT at the ZIdentity
// token URL, through golang.org/x/oauth2), never an MCP client's token.
//
// A Client sends [Request]s to the OneAPI base URL
// (ZSCALER_API_BASE_URL, default https://api.zsapi.net), where every
// service lives under its own prefix: /zia/api/v1, /zpa/mgmtconfig/v1 (and
// /zpa/mgmtconfig/v2), /zdx/v1, /zcc/papi/public/v1, /ziam/admin/api/v1.
// Non-2xx answers become an [*APIError] that a tool turns into an MCP
// isError result.
package zscaler
