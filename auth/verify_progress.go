package auth

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"
)

// startProgress shows a progress bar on stderr while a long audit runs:
// only when stderr is a terminal and the output contract allows it (no
// NO_COLOR, no TERM=dumb), and only once the audit has run for delay, so
// short audits print nothing. stop clears the line.
func startProgress(ctx context.Context, f *Factory, a *audit, delay time.Duration) (stop func()) {
	if f.StderrIsTerminal == nil || !colorEnabled(f, f.StderrIsTerminal()) {
		return func() {}
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	var width int
	wg.Add(1)
	go func() {
		defer wg.Done()
		wait := time.NewTimer(delay)
		defer wait.Stop()
		select {
		case <-wait.C:
		case <-done:
			return
		case <-ctx.Done():
			return
		}
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			line := progressLine(a)
			fmt.Fprintf(f.Stderr, "\r%-*s", width, line)
			width = max(width, len([]rune(line)))
			select {
			case <-tick.C:
			case <-done:
				return
			case <-ctx.Done():
				return
			}
		}
	}()
	return func() {
		close(done)
		wg.Wait()
		if width > 0 {
			fmt.Fprintf(f.Stderr, "\r%s\r", strings.Repeat(" ", width))
		}
	}
}

// progressLine renders "verifying corp [#####.....] 120/400 probes, 131 requests, 3s".
func progressLine(a *audit) string {
	total, done := a.planned.Load(), a.finished.Load()
	const barWidth = 24
	filled := 0
	if total > 0 {
		filled = int(done * barWidth / total)
	}
	bar := strings.Repeat("#", filled) + strings.Repeat(".", barWidth-filled)
	elapsed := time.Since(a.started).Round(time.Second)
	return fmt.Sprintf("verifying %s [%s] %d/%d probes, %d requests, %s",
		a.target.Label(), bar, done, total, a.requests.Load(), elapsed)
}
