package main

import (
	"context"
	"log/slog"
	"os"
	"os/signal"
	"sync"
	"syscall"
)

// watchReloadSignal handles SIGHUP until ctx ends or stop is called: each
// signal calls reload (which logs its own outcome), one at a time. With a
// nil reload, a SIGHUP is logged as having nothing to reload, with why, and
// otherwise ignored (it no longer terminates the server).
func watchReloadSignal(ctx context.Context, logger *slog.Logger, reload func(context.Context) error, why string) (stop func()) {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGHUP)
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			select {
			case <-ctx.Done():
				return
			case <-ch:
				if reload == nil {
					logger.Info("SIGHUP: nothing to reload", "reason", why)
					continue
				}
				logger.Info("SIGHUP: reloading the IdP configuration")
				_ = reload(ctx) // logged by reload
			}
		}
	})
	return func() {
		signal.Stop(ch)
		cancel()
		wg.Wait()
	}
}
