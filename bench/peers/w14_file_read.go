// W14's Go peer: TASKS goroutines each reading 4 KiB blocks at random
// offsets of PATH (made by w14_file_read, in the page cache) with ReadAt,
// for SECS seconds (run with GOMAXPROCS=1 for the go-p1 row).
//   w14_file_read PATH [SECS=5] [TASKS=64] [FILE_MB=256]
// Prints ops_per_s=... ops=... secs=... tasks=...
package main

import (
	"fmt"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

func arg(i int, d int64) int64 {
	if len(os.Args) > i {
		v, err := strconv.ParseInt(os.Args[i], 10, 64)
		if err == nil {
			return v
		}
	}
	return d
}

func main() {
	f, err := os.Open(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	secs, tasks, mb := arg(2, 5), arg(3, 64), arg(4, 256)
	nblocks := uint64(mb) * 256
	var stop atomic.Bool
	var ops atomic.Int64
	var wg sync.WaitGroup
	t0 := time.Now()
	time.AfterFunc(time.Duration(secs)*time.Second, func() { stop.Store(true) })
	for i := int64(0); i < tasks; i++ {
		wg.Add(1)
		go func(x uint64) {
			defer wg.Done()
			buf := make([]byte, 4096)
			n := int64(0)
			for !stop.Load() {
				x ^= x << 13
				x ^= x >> 7
				x ^= x << 17
				if _, err := f.ReadAt(buf, int64(x%nblocks)*4096); err != nil {
					fmt.Fprintln(os.Stderr, err)
					os.Exit(1)
				}
				n++
			}
			ops.Add(n)
		}(uint64(i+1)*0x9e3779b97f4a7c15 + 1)
	}
	wg.Wait()
	el := time.Since(t0).Seconds()
	fmt.Printf("ops_per_s=%.0f ops=%d secs=%.2f tasks=%d\n", float64(ops.Load())/el, ops.Load(), el, tasks)
}
