package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
)

func mb(kb int64) string {
	if kb <= 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f MB", float64(kb)/1024)
}

func ratio(x float64) string {
	if x <= 0 {
		return "-"
	}
	return fmt.Sprintf("%.3f", x)
}

func printReport(w io.Writer, rep *report) {
	o := rep.Options
	fmt.Fprintf(w, "\nzscaler-mcp tools/call benchmark — %s, %d CPUs (%s), commit %s\n",
		rep.Env.GoVersion, rep.Env.NumCPU, rep.Env.CPUModel, rep.Env.Commit)
	pin := "not pinned"
	if rep.Env.Pinned {
		pin = fmt.Sprintf("servers pinned to CPU %s, harness to CPU %d", o.ServerCPUs, o.ClientCPU)
	}
	fmt.Fprintf(w, "streamable HTTP on 127.0.0.1; %d workers × 1 session + 1 keep-alive connection each; warm-up %s, measured %s, %d round(s); server GOMAXPROCS=%d, harness GOMAXPROCS=%d; %s\n\n",
		o.Concurrency, o.Warmup, o.Duration, o.Rounds, o.ServerProcs, o.ClientProcs, pin)

	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "mode\treq/s\t× plain\tp50\tp99\terrors\tsrv CPU/req\t× plain (CPU)\tsrv CPU\tother CPU\tconns\tRSS start\tRSS idle\tRSS peak@"+fmt.Sprint(o.RSSConcurrency)+"\t")
	for _, r := range rep.Results {
		fmt.Fprintf(tw, "%s\t%.0f\t%s\t%s\t%s\t%d\t%.1fµs\t%s\t%.0f%%\t%.0f%%\t%d\t%s\t%s\t%s\t\n",
			r.Mode, r.ReqPerSec, ratio(r.Ratio), r.P50, r.P99, r.Errors, r.ServerCPUUs, ratio(r.CPURatio),
			r.ServerCPUPct, r.OtherCPUPct, r.Conns, mb(r.RSSStartKB), mb(r.RSSIdleKB), mb(r.RSSPeakKB))
	}
	tw.Flush()

	if o.RSSConcurrency > 0 {
		fmt.Fprintf(w, "\n%d-connection phase (%s, fresh sessions; RSS sampled every 20 ms + VmHWM):\n", o.RSSConcurrency, o.RSSDuration)
		tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "mode\tconns\treq/s\tp50\tp99\terrors\tpeak RSS\tVmHWM\t")
		for _, r := range rep.Results {
			if p := r.RSSPhase; p != nil {
				fmt.Fprintf(tw, "%s\t%d\t%.0f\t%s\t%s\t%d\t%s\t%s\t\n", r.Mode, p.Conns, p.ReqPerSec, p.P50, p.P99, p.Errors, mb(r.RSSPeakKB), mb(r.HWMKB))
			}
		}
		tw.Flush()
	}

	var cold []modeResult
	for _, r := range rep.Results {
		if r.Cold != nil {
			cold = append(cold, r)
		}
	}
	if len(cold) > 0 || len(rep.Cold) > 0 {
		fmt.Fprintln(w, "\ncold costs:")
		tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		for _, b := range rep.Cold {
			fmt.Fprintf(tw, "  %s (%s)\t%s/op\t%d B/op, %d allocs/op\t%s\n", b.Name, b.Package,
				fmtDur(time.Duration(b.NsPerOp)), b.BytesPerOp, b.AllocsPerOp, b.What)
		}
		for _, r := range cold {
			c := r.Cold
			fmt.Fprintf(tw, "  %s first request (initialize, fresh credential)\tp50 %s\tmax %s; warm initialize p50 %s → cold cost ≈ %s\t%d samples, %d upstream calls\n",
				r.Mode, c.ColdP50, c.ColdMax, c.WarmP50, c.Delta, c.Samples, c.Upstream)
		}
		tw.Flush()
	}

	if as := rep.AS; as != nil {
		where := "not pinned"
		if as.ServerCPUs != "" {
			where = "pinned to CPU " + as.ServerCPUs
		}
		fmt.Fprintf(w, "\nauthorization server (oidcproxy mode, dev IdP, sqlite synchronous=FULL; server GOMAXPROCS=%d, %s, %d workers; server env %s; %d codes prepared through the browser path at %.0f/s):\n",
			as.ServerProcs, where, o.Concurrency, strings.Join(as.ServerEnv, " "), as.CodesPrepared, as.PrepPerSec)
		tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "endpoint\tops/s\ttarget\tops\tp50\tp99\terrors\tsrv CPU/op\tsrv CPU\tother CPU\t")
		for _, p := range as.Phases {
			fmt.Fprintf(tw, "%s\t%.0f\t%.0f\t%d\t%s\t%s\t%d\t%.0fµs\t%.0f%%\t%.0f%%\t\n", p.Name, p.OpsPerSec, p.Target, p.Ops,
				p.P50, p.P99, p.Errors, p.ServerCPUUs, p.ServerCPUPct, p.OtherCPUPct)
		}
		tw.Flush()
	}

	var noisy []string
	for _, r := range rep.Results {
		if o.NoiseLimit > 0 && r.OtherCPUPct > o.NoiseLimit {
			noisy = append(noisy, fmt.Sprintf("%s (%.0f%%)", r.Mode, r.OtherCPUPct))
		}
	}
	if len(noisy) > 0 {
		fmt.Fprintf(w, "\nwarning: other processes used more than %.0f%% CPU during: %s; re-run on a quiet machine\n", o.NoiseLimit, strings.Join(noisy, ", "))
	}

	t := rep.Targets
	fmt.Fprintf(w, "\ntargets: every mode ≥ %.2f× plain mcp-go, 0 errors, RSS idle ≤ %.0f MB, peak ≤ %.0f MB under %d connections: ",
		t.MinRatio, t.MaxIdleMB, t.MaxPeakMB, o.RSSConcurrency)
	if t.AllMet {
		fmt.Fprintln(w, "all met")
	} else {
		fmt.Fprintf(w, "NOT met\n  %s\n", strings.Join(t.Failures, "\n  "))
	}
}
