package jsonguard

import (
	"strings"
	"testing"
)

func benchBody() []byte {
	var b strings.Builder
	b.WriteString(`{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"zpa_create_application_segment","arguments":{"items":[`)
	for i := range 2000 {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString(`{"name":"segment-` + strings.Repeat("x", 20) + `","domainNames":["a.example.com","b.example.com"],"tcpPortRanges":["443","443"],"enabled":true,"bypassType":"NEVER","description":"some \"quoted\" text \u00e9"}`)
	}
	b.WriteString(`]}}}`)
	return []byte(b.String())
}

func BenchmarkCheckDuplicateKeysLarge(b *testing.B) {
	data := benchBody()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if err := CheckDuplicateKeys(data, 0); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCheckDuplicateKeysSmall(b *testing.B) {
	data := []byte(`{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"whoami","arguments":{}}}`)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if err := CheckDuplicateKeys(data, 0); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkScanMessagesSmall(b *testing.B) {
	data := []byte(`{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"whoami","arguments":{}}}`)
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := scanMessages(data, 0); err != nil {
			b.Fatal(err)
		}
	}
}
