package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
)

// coldBench is a compiled test binary of a validator package and the
// benchmark to run in it.
type coldBench struct {
	pkg   string // ./resource/auth/jwtauth
	bin   string
	dir   string // the package directory (a test binary runs there)
	bench string
	what  string
}

// buildColdBenches compiles the test binaries of the two validator
// packages, so that running them later (pinned like the servers) does not
// compete with a compilation.
func buildColdBenches(ctx context.Context, root, tmp string) ([]coldBench, error) {
	bs := []coldBench{
		{pkg: "./resource/auth/jwtauth", bench: "^BenchmarkVerifyCold$", what: "one ES256 JWT verification (parse, claims, warm JWKS, signature; token cache off)"},
		{pkg: "./resource/auth/zscalerauth", bench: "^BenchmarkValidateCold$", what: "one Zscaler credential validation (HMAC key, cache miss, token request to an in-process fake IdP)"},
	}
	for i := range bs {
		b := &bs[i]
		b.bin = filepath.Join(tmp, filepath.Base(b.pkg)+".test")
		b.dir = filepath.Join(root, filepath.FromSlash(b.pkg))
		if err := goCmd(ctx, root, "test", "-c", "-o", b.bin, b.pkg); err != nil {
			return nil, err
		}
	}
	return bs, nil
}

// benchLine is one parsed `go test -bench` result.
type benchLine struct {
	Package     string  `json:"package"`
	Name        string  `json:"name"`
	What        string  `json:"what"`
	N           int64   `json:"n"`
	NsPerOp     float64 `json:"ns_per_op"`
	BytesPerOp  int64   `json:"bytes_per_op"`
	AllocsPerOp int64   `json:"allocs_per_op"`
}

var benchRE = regexp.MustCompile(`^(Benchmark\S+)\s+(\d+)\s+([0-9.]+) ns/op(?:\s+(\d+) B/op\s+(\d+) allocs/op)?`)

// run runs the benchmark with the servers' GOMAXPROCS, on the servers' CPUs
// when pinning.
func (b coldBench) run(ctx context.Context, o options, cpus string) ([]benchLine, error) {
	argv := []string{b.bin, "-test.run=^$", "-test.bench=" + b.bench, "-test.benchtime=" + o.BenchTime,
		"-test.benchmem", "-test.cpu=" + strconv.Itoa(o.ServerProcs)}
	if cpus != "" {
		argv = append([]string{"taskset", "-c", cpus}, argv...)
	}
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Dir = b.dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w\n%s", b.pkg, b.bench, err, out)
	}
	lines := parseBench(out)
	if len(lines) == 0 {
		return nil, fmt.Errorf("%s %s: no benchmark result in:\n%s", b.pkg, b.bench, out)
	}
	for i := range lines {
		lines[i].Package, lines[i].What = strings.TrimPrefix(b.pkg, "./"), b.what
	}
	return lines, nil
}

func parseBench(out []byte) []benchLine {
	var res []benchLine
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		m := benchRE.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		l := benchLine{Name: m[1]}
		l.N, _ = strconv.ParseInt(m[2], 10, 64)
		l.NsPerOp, _ = strconv.ParseFloat(m[3], 64)
		if m[4] != "" {
			l.BytesPerOp, _ = strconv.ParseInt(m[4], 10, 64)
			l.AllocsPerOp, _ = strconv.ParseInt(m[5], 10, 64)
		}
		res = append(res, l)
	}
	return res
}
