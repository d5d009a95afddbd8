package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestToolSettingsFromConfigFile: the tools: section of the config file
// sets the selection and the write gate; an unknown key in it is an error
// naming the key.
func TestToolSettingsFromConfigFile(t *testing.T) {
	si := newStandIn(t)
	dir := t.TempDir()
	good := filepath.Join(dir, "good.yaml")
	if err := os.WriteFile(good, []byte("tools:\n  services: [zia]\n  enable_write_tools: true\n  write_tools: [zia_create_*]\n  confirmation_ttl: 1m\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	srv := startCat(t, si.env(nil), testCatalogue(), "--config", good)
	c, err := connect(t, srv.URL, "streamable-http", bearer())
	if err != nil {
		t.Fatal(err)
	}
	got := listNames(t, c)
	slices.Sort(got)
	if want := []string{"whoami", "zia_create_url_category", "zia_list_url_categories"}; !slices.Equal(got, want) {
		t.Errorf("tools/list = %v, want %v", got, want)
	}

	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("tools:\n  write_tool: [zia_*]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errb syncBuffer
	env := si.env(nil)
	code := runWith(context.Background(), []string{"--transport", "streamable-http", "--config", bad, "--data-dir", dir}, func(k string) string { return env[k] }, strings.NewReader(""), &out, &errb, testCatalogue())
	if code != 2 || !strings.Contains(errb.String(), "unknown key(s): tools.write_tool") {
		t.Errorf("typo in tools: exit %d, %q", code, errb.String())
	}
}

// TestStdioServesTools: the stdio transport registers the same Zscaler
// tools (the local user holds both scopes) and keeps stdout JSON-RPC only.
func TestStdioServesTools(t *testing.T) {
	si := newStandIn(t)
	env := si.env(nil)
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	var errb syncBuffer
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() {
		done <- runWith(ctx, []string{"--transport", "stdio", "--data-dir", t.TempDir(), "--enable-write-tools", "--write-tools", "zia_*"},
			func(k string) string { return env[k] }, inR, outW, &errb, testCatalogue())
		outW.Close()
	}()
	t.Cleanup(func() {
		cancel()
		inW.Close()
		<-done
	})
	lines := make(chan string, 8)
	go func() {
		sc := bufio.NewScanner(outR)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	send := func(s string) {
		if _, err := io.WriteString(inW, s+"\n"); err != nil {
			t.Fatal(err)
		}
	}
	next := func() map[string]any {
		t.Helper()
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("stdout closed\n%s", errb.String())
			}
			var m map[string]any
			if err := json.Unmarshal([]byte(l), &m); err != nil || m["jsonrpc"] != "2.0" {
				t.Fatalf("stdout line is not JSON-RPC: %q", l)
			}
			return m
		case <-time.After(10 * time.Second):
			t.Fatalf("no answer\n%s", errb.String())
		}
		return nil
	}
	send(`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}`)
	next()
	send(`{"jsonrpc":"2.0","method":"notifications/initialized"}`)
	send(`{"jsonrpc":"2.0","id":2,"method":"tools/list"}`)
	b, _ := json.Marshal(next())
	for _, w := range []string{"zia_list_url_categories", "zia_delete_url_category", "confirmation_token"} {
		if !strings.Contains(string(b), w) {
			t.Errorf("tools/list over stdio lacks %s: %s", w, b)
		}
	}
	if strings.Contains(string(b), "zpa_update_segment_group") {
		t.Errorf("a write tool outside --write-tools is listed: %s", b)
	}
	send(`{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"zia_list_url_categories","arguments":{}}}`)
	b, _ = json.Marshal(next())
	if !strings.Contains(string(b), "Finance") {
		t.Errorf("tools/call over stdio: %s", b)
	}
	if !strings.Contains(errb.String(), "write_tools=2") {
		t.Errorf("stdio summary lacks the write tool count:\n%s", errb.String())
	}
}
