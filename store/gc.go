package store

import (
	"context"
	"log/slog"
	"time"
)

// RunGC calls gc.GC every interval until ctx ends, then returns. A failed
// pass is logged (when logger is non-nil) and retried at the next tick; it
// never stops the loop. Start it in its own goroutine:
//
//	go store.RunGC(ctx, st, 10*time.Minute, logger)
func RunGC(ctx context.Context, gc GarbageCollector, every time.Duration, logger *slog.Logger) {
	if every <= 0 {
		every = 10 * time.Minute
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			n, err := gc.GC(ctx, now)
			if logger == nil {
				continue
			}
			switch {
			case err != nil && ctx.Err() == nil:
				logger.LogAttrs(ctx, slog.LevelWarn, "store: garbage collection failed", slog.Any("err", err))
			case n > 0:
				logger.LogAttrs(ctx, slog.LevelDebug, "store: garbage collected", slog.Int("rows", n))
			}
		}
	}
}
