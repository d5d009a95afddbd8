// Package jsonguard rejects JSON that different parsers could read
// differently before it reaches mcp-go.
//
// Go's encoding/json matches object keys to struct fields case-insensitively
// and lets the last duplicate win, so {"method":"tools/list","Method":"tools/call"}
// is tools/call to mcp-go but may be tools/list to a gateway or a scope
// check. CheckDuplicateKeys refuses any object holding two keys that are
// equal or equal under Unicode simple case folding, at any depth; Middleware
// applies it to MCP POST bodies, checks the Mcp-Method and Mcp-Name headers
// against the body, and hands later middlewares the parsed method and tool
// name (Calls) from the very bytes mcp-go will execute.
package jsonguard
