package chromium

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"
	"syscall"
	"time"
)

var errKeptWriting = errors.New("browser processes kept writing to it")

// Close stops the browser and every child process, then removes the profile.
func (b *Browser) Close() error {
	if b.cancel != nil {
		b.cancel()
	}
	if b.cancelAlloc != nil {
		b.cancelAlloc()
	}
	if b.dir == "" {
		return nil
	}
	// chromedp only sweeps children for profiles it made itself; ours carry
	// --user-data-dir=dir on their command line, so find them by it. A child
	// that was still exiting can write into the profile after a first removal,
	// so look again until both the processes and the directory are gone.
	var err error
	for i := 0; i < 20; i++ {
		killUsing(b.dir)
		err = os.RemoveAll(b.dir)
		if err == nil {
			time.Sleep(20 * time.Millisecond)
			if _, statErr := os.Stat(b.dir); os.IsNotExist(statErr) && !anyUsing(b.dir) {
				return nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err == nil {
		err = errKeptWriting
	}
	return fmt.Errorf("removing the browser profile %s: %w", b.dir, err)
}

// anyUsing reports whether a live process has dir as its profile.
func anyUsing(dir string) bool {
	want := []byte("--user-data-dir=" + dir)
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return false
	}
	for _, e := range entries {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		cmd, err := os.ReadFile("/proc/" + e.Name() + "/cmdline")
		if err == nil && bytes.Contains(cmd, want) {
			return true
		}
	}
	return false
}

func killUsing(dir string) {
	if dir == "" {
		return
	}
	want := []byte("--user-data-dir=" + dir)
	deadline := time.Now().Add(2 * time.Second)
	for quiet := 0; quiet < 3 && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		entries, err := os.ReadDir("/proc")
		if err != nil {
			return
		}
		n := 0
		for _, e := range entries {
			pid, err := strconv.Atoi(e.Name())
			if err != nil || pid == os.Getpid() {
				continue
			}
			cmd, err := os.ReadFile("/proc/" + e.Name() + "/cmdline")
			if err != nil {
				continue
			}
			for _, arg := range bytes.Split(cmd, []byte{0}) {
				if bytes.Equal(arg, want) {
					syscall.Kill(pid, syscall.SIGKILL)
					n++
					break
				}
			}
		}
		if n == 0 {
			quiet++
		} else {
			quiet = 0
		}
	}
}
