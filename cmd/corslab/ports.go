package main

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
)

var listenAddrRe = regexp.MustCompile(`cannot listen on 127\.0\.0\.1:(\d+)`)

// busyHint names the process that holds the port of a "cannot listen on
// 127.0.0.1:PORT" error, as ": held by pid N (NAME)", or "" when it cannot be
// found (another user's process, no /proc).
func busyHint(msg string) string {
	m := listenAddrRe.FindStringSubmatch(msg)
	if m == nil {
		return ""
	}
	port, _ := strconv.Atoi(m[1])
	pid, name := portHolder("/proc", port)
	switch {
	case pid == os.Getpid():
		return fmt.Sprintf(": held by corslab itself (pid %d)", pid)
	case pid > 0:
		return fmt.Sprintf(": held by pid %d (%s)", pid, name)
	}
	return ""
}

// portHolder finds the process listening on TCP port on this machine: the
// socket's inode in proc/net/tcp{,6}, then the process with a descriptor
// on it. It returns 0 when none is found.
func portHolder(proc string, port int) (int, string) {
	inodes := map[string]bool{}
	for _, f := range []string{"net/tcp", "net/tcp6"} {
		listeningInodes(filepath.Join(proc, f), port, inodes)
	}
	if len(inodes) == 0 {
		return 0, ""
	}
	dirs, _ := filepath.Glob(filepath.Join(proc, "[0-9]*"))
	for _, d := range dirs {
		fds, _ := os.ReadDir(filepath.Join(d, "fd"))
		for _, fd := range fds {
			link, err := os.Readlink(filepath.Join(d, "fd", fd.Name()))
			if err != nil || !strings.HasPrefix(link, "socket:[") {
				continue
			}
			if inodes[strings.TrimSuffix(strings.TrimPrefix(link, "socket:["), "]")] {
				pid, _ := strconv.Atoi(filepath.Base(d))
				comm, _ := os.ReadFile(filepath.Join(d, "comm"))
				return pid, strings.TrimSpace(string(comm))
			}
		}
	}
	return 0, ""
}

// listeningInodes adds the inodes of the sockets listening on port in a
// /proc/net/tcp style table.
func listeningInodes(path string, port int, out map[string]bool) {
	f, err := os.Open(path)
	if err != nil {
		return
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	want := fmt.Sprintf(":%04X", port)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		// sl local_address rem_address st ... inode (field 9)
		if len(fields) < 10 || fields[3] != "0A" || !strings.HasSuffix(fields[1], want) {
			continue
		}
		out[fields[9]] = true
	}
}
