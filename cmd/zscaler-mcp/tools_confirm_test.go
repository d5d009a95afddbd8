package main

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"

	"github.com/zscalermcp/zscaler-mcp/zscaler/tools"
)

const ziaDeletePath = "/zia/api/v1/urlCategories/"

// TestDeleteConfirmationToken: a client without elicitation gets a
// confirmation token instead of a deletion; the token deletes once, only
// with the same arguments, only untampered, only before it expires.
func TestDeleteConfirmationToken(t *testing.T) {
	si := newStandIn(t)
	srv := startCat(t, si.env(nil), testCatalogue(), "--enable-write-tools", "--write-tools", "*_delete_*", "--confirmation-ttl", "2s")
	c, err := connect(t, srv.URL, "streamable-http", bearer())
	if err != nil {
		t.Fatal(err)
	}
	ask := func(args map[string]any) tools.ConfirmationRequired {
		t.Helper()
		res, text, err := call(t, c, "zia_delete_url_category", args)
		if err != nil || res.IsError {
			t.Fatalf("first call: %v %s", err, text)
		}
		var cr tools.ConfirmationRequired
		structured(t, res, &cr)
		if !cr.ConfirmationRequired || cr.ConfirmationToken == "" || !strings.Contains(text, cr.ConfirmationToken) {
			t.Fatalf("first call did not ask for confirmation: %s", text)
		}
		if !strings.Contains(text, "nothing was deleted") || !strings.Contains(text, `id="`+args["id"].(string)+`"`) {
			t.Errorf("confirmation text does not say what would be deleted: %s", text)
		}
		return cr
	}
	deletes := func() int { return si.requests("DELETE", ziaDeletePath) }

	// The schema offers the optional token parameter on delete tools only.
	res, err := c.ListTools(context.Background(), mcp.ListToolsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tl := range res.Tools {
		_, has := tl.InputSchema.Properties[tools.ConfirmationArg]
		if has != strings.Contains(tl.Name, "_delete_") {
			t.Errorf("%s: confirmation_token in schema = %v", tl.Name, has)
		}
	}

	cr := ask(map[string]any{"id": "1"})
	if deletes() != 0 {
		t.Fatal("the first call deleted without confirmation")
	}

	// Changed argument, tampered token, other tool: refused, nothing deleted.
	for _, bad := range []struct {
		tool string
		args map[string]any
		want string
	}{
		{"zia_delete_url_category", map[string]any{"id": "2", tools.ConfirmationArg: cr.ConfirmationToken}, "does not match this tool and these arguments"},
		{"zia_delete_url_category", map[string]any{"id": "1", "extra": true, tools.ConfirmationArg: cr.ConfirmationToken}, "does not match"},
		{"zpa_delete_segment_group", map[string]any{"id": "1", tools.ConfirmationArg: cr.ConfirmationToken}, "does not match"},
		{"zia_delete_url_category", map[string]any{"id": "1", tools.ConfirmationArg: cr.ConfirmationToken[:len(cr.ConfirmationToken)-2] + "AA"}, "does not match"},
		{"zia_delete_url_category", map[string]any{"id": "1", tools.ConfirmationArg: "guess"}, "malformed"},
		{"zia_delete_url_category", map[string]any{"id": "1", tools.ConfirmationArg: 12}, "must be a non-empty string"},
	} {
		res, text, err := call(t, c, bad.tool, bad.args)
		if err != nil || !res.IsError || !strings.Contains(text, bad.want) || !strings.Contains(text, "nothing was deleted") && !strings.Contains(text, "invalid arguments") {
			t.Errorf("%s %v: err %v, isError %v, %q; want isError containing %q", bad.tool, bad.args, err, res != nil && res.IsError, text, bad.want)
		}
	}
	if n := deletes() + si.requests("DELETE", "/zpa/"); n != 0 {
		t.Fatalf("%d deletions after refused confirmations", n)
	}

	// The right call deletes once; the token is then spent.
	res2, text, err := call(t, c, "zia_delete_url_category", map[string]any{"id": "1", tools.ConfirmationArg: cr.ConfirmationToken})
	if err != nil || res2.IsError {
		t.Fatalf("confirmed call: %v %s", err, text)
	}
	if deletes() != 1 {
		t.Fatalf("%d DELETE requests, want 1", deletes())
	}
	if _, ok := si.URLCategories.Get("1"); ok {
		t.Fatal("URL category 1 still exists")
	}
	res2, text, _ = call(t, c, "zia_delete_url_category", map[string]any{"id": "1", tools.ConfirmationArg: cr.ConfirmationToken})
	if !res2.IsError || !strings.Contains(text, "already been used") {
		t.Errorf("reused token: %q", text)
	}
	if deletes() != 1 {
		t.Fatalf("the reused token deleted again")
	}

	// Expiry (--confirmation-ttl 2s).
	cr = ask(map[string]any{"id": "2"})
	time.Sleep(2100 * time.Millisecond)
	res2, text, _ = call(t, c, "zia_delete_url_category", map[string]any{"id": "2", tools.ConfirmationArg: cr.ConfirmationToken})
	if !res2.IsError || !strings.Contains(text, "expired") {
		t.Errorf("expired token: %q", text)
	}
	if deletes() != 1 {
		t.Fatalf("an expired token deleted")
	}

	// A token is bound to the caller that asked for it (another api-key).
	si2 := newStandIn(t)
	other := "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"
	srv2 := startCat(t, si2.env(map[string]string{"ZSCALER_MCP_AUTH_API_KEY": testAPIKey + "," + other}), testCatalogue(), "--enable-write-tools", "--write-tools", "*")
	c1, err := connect(t, srv2.URL, "streamable-http", bearer())
	if err != nil {
		t.Fatal(err)
	}
	c2, err := connect(t, srv2.URL, "streamable-http", map[string]string{"Authorization": "Bearer " + other})
	if err != nil {
		t.Fatal(err)
	}
	r1, _, _ := call(t, c1, "zia_delete_url_category", map[string]any{"id": "2"})
	structured(t, r1, &cr)
	r2, text, _ := call(t, c2, "zia_delete_url_category", map[string]any{"id": "2", tools.ConfirmationArg: cr.ConfirmationToken})
	if r2 == nil || !r2.IsError || si2.requests("DELETE", ziaDeletePath) != 0 {
		t.Errorf("another caller used the token: %q", text)
	}
}

// elicitor answers elicitation requests like a human would, and records them.
type elicitor struct {
	mu      sync.Mutex
	asked   []string
	answer  func() (*mcp.ElicitationResult, error)
	respond chan struct{}
}

func (e *elicitor) Elicit(ctx context.Context, req mcp.ElicitationRequest) (*mcp.ElicitationResult, error) {
	e.mu.Lock()
	e.asked = append(e.asked, req.Params.Message)
	e.mu.Unlock()
	return e.answer()
}

func (e *elicitor) messages() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]string(nil), e.asked...)
}

// connectEliciting opens an MCP client that declares elicitation, on
// protocol version (a legacy revision uses elicitation/create on the POST
// stream; 2026-07-28 the input_required round trip).
func connectEliciting(t *testing.T, base, version string, h client.ElicitationHandler) *client.Client {
	t.Helper()
	tr, err := transport.NewStreamableHTTP(base+"/mcp", transport.WithHTTPHeaders(bearer()))
	if err != nil {
		t.Fatal(err)
	}
	c := client.NewClient(tr, client.WithElicitationHandler(h), client.WithProtocolVersion(version))
	if err := c.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := c.Initialize(ctx, mcp.InitializeRequest{Params: mcp.InitializeParams{
		ProtocolVersion: version, ClientInfo: mcp.Implementation{Name: "zscaler-mcp-test", Version: "1"},
	}}); err != nil {
		t.Fatalf("initialize %s: %v", version, err)
	}
	if got := c.ProtocolVersion(); got != version {
		t.Fatalf("negotiated protocol %q, want %q", got, version)
	}
	return c
}

// TestDeleteElicitation: with a client that declared elicitation, the
// human is asked with a message naming the object; only accept with
// confirm=true deletes; decline, cancel, confirm=false, an error or no
// answer within the TTL fail closed with an isError result.
func TestDeleteElicitation(t *testing.T) {
	accept := func(v any) func() (*mcp.ElicitationResult, error) {
		return func() (*mcp.ElicitationResult, error) {
			return &mcp.ElicitationResult{ElicitationResponse: mcp.ElicitationResponse{Action: mcp.ElicitationResponseActionAccept, Content: map[string]any{"confirm": v}}}, nil
		}
	}
	action := func(a mcp.ElicitationResponseAction) func() (*mcp.ElicitationResult, error) {
		return func() (*mcp.ElicitationResult, error) {
			return &mcp.ElicitationResult{ElicitationResponse: mcp.ElicitationResponse{Action: a}}, nil
		}
	}
	for _, version := range []string{"2025-06-18", mcp.ProtocolVersion20260728} {
		t.Run(version, func(t *testing.T) {
			si := newStandIn(t)
			srv := startCat(t, si.env(nil), testCatalogue(), "--enable-write-tools", "--write-tools", "*", "--confirmation-ttl", "2s")
			for _, tc := range []struct {
				name    string
				answer  func() (*mcp.ElicitationResult, error)
				id      string
				deleted bool
				want    string
			}{
				{"accept", accept(true), "1", true, ""},
				{"decline", action(mcp.ElicitationResponseActionDecline), "2", false, "the user declined the deletion"},
				{"cancel", action(mcp.ElicitationResponseActionCancel), "2", false, "the user cancelled"},
				{"accept without confirm", accept(false), "2", false, "did not tick confirm"},
				{"accept with a string", accept("true"), "2", false, "did not tick confirm"},
				{"client error", func() (*mcp.ElicitationResult, error) { return nil, context.Canceled }, "2", false, ""},
			} {
				t.Run(tc.name, func(t *testing.T) {
					e := &elicitor{answer: tc.answer}
					c := connectEliciting(t, srv.URL, version, e)
					before := si.requests("DELETE", ziaDeletePath)
					res, text, err := call(t, c, "zia_delete_url_category", map[string]any{"id": tc.id})
					deleted := si.requests("DELETE", ziaDeletePath) - before
					if tc.deleted {
						if err != nil || res.IsError || deleted != 1 {
							t.Fatalf("accepted deletion: err %v, %q, %d DELETEs", err, text, deleted)
						}
					} else {
						if deleted != 0 {
							t.Fatalf("deleted although %s", tc.name)
						}
						if err == nil && !res.IsError {
							t.Fatalf("%s: not an error: %q", tc.name, text)
						}
						if err == nil && (!strings.Contains(text, "nothing was deleted") || !strings.Contains(text, tc.want)) {
							t.Errorf("%s: %q, want it to say nothing was deleted and %q", tc.name, text, tc.want)
						}
					}
					asked := e.messages()
					if len(asked) != 1 || !strings.Contains(asked[0], `id="`+tc.id+`"`) || !strings.Contains(asked[0], "zia_delete_url_category") || !strings.Contains(asked[0], "cannot be undone") {
						t.Errorf("the user was asked %q", asked)
					}
					if res != nil && strings.Contains(text, "confirmation_token") {
						t.Errorf("an eliciting client was handed a token: %q", text)
					}
				})
			}
		})
	}
}

// TestDeleteElicitationTimeout: no answer within the confirmation TTL
// fails closed (legacy elicitation/create, where the server waits).
func TestDeleteElicitationTimeout(t *testing.T) {
	si := newStandIn(t)
	srv := startCat(t, si.env(nil), testCatalogue(), "--enable-write-tools", "--write-tools", "*", "--confirmation-ttl", "1s")
	release := make(chan struct{})
	defer close(release)
	e := &elicitor{answer: func() (*mcp.ElicitationResult, error) {
		<-release
		return nil, context.Canceled
	}}
	c := connectEliciting(t, srv.URL, "2025-06-18", e)
	start := time.Now()
	res, text, err := call(t, c, "zia_delete_url_category", map[string]any{"id": "1"})
	if err != nil || !res.IsError || !strings.Contains(text, "no answer within 1s") {
		t.Fatalf("unanswered confirmation: err %v, %q", err, text)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v", d)
	}
	if si.requests("DELETE", ziaDeletePath) != 0 {
		t.Fatal("deleted without an answer")
	}
}

// TestDeleteOverSSEFallsBackToToken: mcp-go's legacy SSE transport cannot
// carry an elicitation, so a client on it that declared the capability is
// handed a confirmation token instead of being stuck.
func TestDeleteOverSSEFallsBackToToken(t *testing.T) {
	si := newStandIn(t)
	srv := startCat(t, si.env(nil), testCatalogue(), "--enable-write-tools", "--write-tools", "*")
	tr, err := transport.NewSSE(srv.URL+"/sse", transport.WithHeaders(bearer()))
	if err != nil {
		t.Fatal(err)
	}
	e := &elicitor{answer: func() (*mcp.ElicitationResult, error) {
		return &mcp.ElicitationResult{ElicitationResponse: mcp.ElicitationResponse{Action: mcp.ElicitationResponseActionAccept, Content: map[string]any{"confirm": true}}}, nil
	}}
	c := client.NewClient(tr, client.WithElicitationHandler(e))
	if err := c.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := c.Initialize(ctx, mcp.InitializeRequest{Params: mcp.InitializeParams{ProtocolVersion: "2024-11-05", ClientInfo: mcp.Implementation{Name: "t", Version: "1"}}}); err != nil {
		t.Fatal(err)
	}
	res, text, err := call(t, c, "zia_delete_url_category", map[string]any{"id": "1"})
	if err != nil || res.IsError {
		t.Fatalf("first call: %v %q", err, text)
	}
	var cr tools.ConfirmationRequired
	structured(t, res, &cr)
	if cr.ConfirmationToken == "" || len(e.messages()) != 0 || si.requests("DELETE", ziaDeletePath) != 0 {
		t.Fatalf("want a token and no question: %q, asked %q", text, e.messages())
	}
	res, text, err = call(t, c, "zia_delete_url_category", map[string]any{"id": "1", tools.ConfirmationArg: cr.ConfirmationToken})
	if err != nil || res.IsError || si.requests("DELETE", ziaDeletePath) != 1 {
		t.Fatalf("confirmed delete over SSE: %v %q", err, text)
	}
}
