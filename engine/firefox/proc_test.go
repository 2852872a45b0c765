package firefox

import "syscall"

func syscallAlive(pid int) error { return syscall.Kill(pid, 0) }

func killGroup(pid int) { syscall.Kill(-pid, syscall.SIGKILL) }
