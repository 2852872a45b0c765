package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"os/exec"
	"time"

	"github.com/corslab/corslab/harness"
	"github.com/corslab/corslab/serve"
)

// cmdServe runs the playground until interrupted; Ctrl-C is its normal end.
func cmdServe(ctx context.Context, args []string, stdout, stderr io.Writer) (int, error) {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	addr := fs.String("addr", "127.0.0.1:8080", "foo's loopback address, where the playground page is served")
	open := fs.Bool("open", false, "open the page in the desktop's browser (xdg-open)")
	browser := fs.String("browser", "", "Chromium binary for headless runs (default: $CORSLAB_BROWSER, /usr/lib/chromium/chromium, chromium on PATH)")
	timeout := fs.Duration("timeout", 5*time.Second, "per-request timeout of headless runs")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return exitUsage, err
	}
	if len(pos) > 0 {
		return exitUsage, usageError{fmt.Sprintf("serve takes no arguments, got %q", pos)}
	}
	if host, _, err := net.SplitHostPort(*addr); err != nil || !net.ParseIP(host).IsLoopback() {
		return exitUsage, usageError{fmt.Sprintf("--addr %q: want a loopback address such as 127.0.0.1:8080", *addr)}
	}
	if *timeout <= 0 {
		return exitUsage, usageError{fmt.Sprintf("--timeout %s: want a positive duration", *timeout)}
	}
	fmt.Fprintln(stderr, "corslab: starting the lab and headless Chromium …")
	srv, err := serve.Start(ctx, serve.Options{Addr: *addr, Browser: harness.BrowserOptions{ExecPath: *browser}, Timeout: *timeout})
	if err != nil {
		return startFailed(ctx, ctx, 0, err)
	}
	fmt.Fprintf(stdout, "corslab playground: %s\n(headless: %s; Ctrl-C to stop)\n", srv.URL(), srv.Browser())
	if *open {
		if err := exec.Command("xdg-open", srv.URL()).Start(); err != nil {
			fmt.Fprintf(stderr, "corslab: --open: %v; open %s yourself\n", err, srv.URL())
		}
	}
	<-ctx.Done()
	if err := srv.Close(); err != nil {
		return exitMismatch, fmt.Errorf("stopping: %w", err)
	}
	return exitOK, nil
}
