//go:build benchprof

package main

import (
	"os"
	"runtime"
	"runtime/pprof"
)

func init() {
	// A fine-grained heap profile (the default samples every 512 KiB).
	if os.Getenv("ZSCALER_MCP_BENCH_MEMPROFILE") != "" {
		runtime.MemProfileRate = 512
	}
}

// startBenchProfile writes a CPU profile of the whole run to the file named
// by ZSCALER_MCP_BENCH_CPUPROFILE and, at exit, a heap profile to
// ZSCALER_MCP_BENCH_MEMPROFILE. Only in binaries built with -tags benchprof
// (for bench/; never in a release build).
func startBenchProfile() (stop func()) {
	var stops []func()
	if path := os.Getenv("ZSCALER_MCP_BENCH_CPUPROFILE"); path != "" {
		if f, err := os.Create(path); err == nil {
			if pprof.StartCPUProfile(f) == nil {
				stops = append(stops, func() { pprof.StopCPUProfile(); f.Close() })
			} else {
				f.Close()
			}
		}
	}
	if path := os.Getenv("ZSCALER_MCP_BENCH_MEMPROFILE"); path != "" {
		stops = append(stops, func() {
			if m, err := os.Create(path); err == nil {
				runtime.GC()
				_ = pprof.Lookup("heap").WriteTo(m, 0)
				m.Close()
			}
		})
	}
	return func() {
		for _, s := range stops {
			s()
		}
	}
}
