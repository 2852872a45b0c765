package firefox

import (
	"context"
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"

	"github.com/corslab/corslab/engine"
)

// closeWithin is how long Firefox may take to close itself before its
// processes are killed.
const closeWithin = 10 * time.Second

// Close ends the browser gracefully (BiDi browser.close), waits for the
// process, then kills whatever is left of its process group and of the
// processes using its profile, and removes its directories. It is safe to
// call more than once.
func (b *Browser) Close() error {
	b.closeOnce.Do(func() { b.closeErr = b.close() })
	return b.closeErr
}

func (b *Browser) close() error {
	pid := b.PID()
	if b.conn != nil {
		if !b.gone() {
			ctx, cancel := context.WithTimeout(context.Background(), closeWithin)
			b.conn.call(ctx, "browser.close", nil, nil)
			cancel()
		}
		b.conn.close()
	}
	if pid != 0 {
		select {
		case <-b.exited:
		case <-time.After(closeWithin):
		}
		// Content processes a graceful exit left behind (or all of them,
		// after a timeout): the group is the browser's own (Setpgid).
		syscall.Kill(-pid, syscall.SIGKILL)
		select {
		case <-b.exited:
		case <-time.After(closeWithin):
		}
		groupGone(pid)
	}
	if b.proxy != nil {
		b.proxy.close()
	}
	err := b.removeFiles()
	if b.files.run != nil {
		err = errors.Join(err, b.files.run.Remove())
	}
	return err
}

// groupGone waits, bounded, until no process of the browser's group is
// left: a killed content process lingers for a moment while the kernel
// tears it down, and the run must not end before it is gone (seen once:
// a content process alive after corslab ended, its main process killed).
func groupGone(pgid int) {
	for deadline := time.Now().Add(3 * time.Second); time.Now().Before(deadline); {
		if err := syscall.Kill(-pgid, 0); errors.Is(err, syscall.ESRCH) {
			return
		}
		syscall.Kill(-pgid, syscall.SIGKILL)
		time.Sleep(20 * time.Millisecond)
	}
}

// removeFiles kills any process still using the profile and removes the
// browser's directory, looking again until both are gone.
func (b *Browser) removeFiles() error {
	dir := b.files.dir
	var err error
	for i := 0; i < 20; i++ {
		for _, pid := range engine.ProcessesWith(b.files.profile) {
			syscall.Kill(pid, syscall.SIGKILL)
		}
		err = os.RemoveAll(dir)
		if err == nil {
			time.Sleep(20 * time.Millisecond)
			if _, statErr := os.Stat(dir); os.IsNotExist(statErr) && !engine.ProcessUses(b.files.profile) {
				return nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err == nil {
		err = errors.New("browser processes kept writing to it")
	}
	return fmt.Errorf("removing the browser's files %s: %w", dir, err)
}
