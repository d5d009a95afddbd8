// Package e2e holds end-to-end tests that drive the zscaler-mcp binary
// through the real mcp-remote npm package, the stdio↔HTTP proxy users put
// between a stdio-only MCP host and the server. They need Node and are
// behind the e2e build tag:
//
//	bash e2e/setup.sh
//	go test -tags e2e -count=1 ./e2e/
package e2e
