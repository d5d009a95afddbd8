package main

import (
	"fmt"
	"os"
	"strconv"
	"syscall"
	"unsafe"
)

// cpuMask is a sched_setaffinity mask: 1024 CPUs, the kernel's default
// cpumask size.
type cpuMask [16]uint64

// pinSelf restricts every thread of the harness process to cpu. Threads the
// Go runtime creates later inherit the mask from the thread that creates
// them, so pinning the existing ones (twice, to catch a thread born in
// between) pins the process.
func pinSelf(cpu int) error {
	var mask cpuMask
	if cpu < 0 || cpu >= len(mask)*64 {
		return fmt.Errorf("cpu %d out of range", cpu)
	}
	mask[cpu/64] = 1 << (cpu % 64)
	return setAffinity(mask)
}

// unpinSelf lets every thread of the harness run on every CPU the process
// was allowed when it started (the affinity of its main thread then).
func unpinSelf() error {
	return setAffinity(startMask)
}

// startMask is the process's affinity at start-up.
var startMask = func() cpuMask {
	var m cpuMask
	_, _, e := syscall.RawSyscall(syscall.SYS_SCHED_GETAFFINITY, 0, unsafe.Sizeof(m), uintptr(unsafe.Pointer(&m[0])))
	if e != 0 {
		for i := range m {
			m[i] = ^uint64(0)
		}
	}
	return m
}()

func setAffinity(mask cpuMask) error {
	for range 2 {
		tasks, err := os.ReadDir("/proc/self/task")
		if err != nil {
			return err
		}
		for _, t := range tasks {
			tid, err := strconv.Atoi(t.Name())
			if err != nil {
				continue
			}
			_, _, e := syscall.RawSyscall(syscall.SYS_SCHED_SETAFFINITY, uintptr(tid), unsafe.Sizeof(mask), uintptr(unsafe.Pointer(&mask[0])))
			if e != 0 && e != syscall.ESRCH { // ESRCH: the thread exited meanwhile
				return fmt.Errorf("sched_setaffinity(%d): %w", tid, e)
			}
		}
	}
	return nil
}
