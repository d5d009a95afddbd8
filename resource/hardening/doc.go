// Package hardening holds the net/http middlewares that guard the MCP server
// before client authentication runs (DESIGN.md §3 "Routes, and what guards
// each group"): the source-IP ACL with trusted proxies, the Host allowlist
// against DNS rebinding, the Origin allowlist with CORS, the request body
// limit, and mTLS.
//
// Every middleware has the shape func(http.Handler) http.Handler so it mounts
// on chi with r.Use. Rejections are JSON objects of the form
// {"error": "...", "error_description": "..."} (see WriteJSONError). The
// package keeps no global mutable state; each constructor copies and
// normalises its configuration once.
package hardening
