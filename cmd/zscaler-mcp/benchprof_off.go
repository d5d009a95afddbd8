//go:build !benchprof

package main

// startBenchProfile is a no-op outside -tags benchprof builds.
func startBenchProfile() (stop func()) { return func() {} }
