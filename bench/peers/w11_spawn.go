// W11 spawn: N children of /bin/true (1000), CONC (50) goroutines at a time,
// each taking the next child number from a shared counter and running
// exec.Command("/bin/true").Run() (start and wait).  The children inherit
// the standard streams, as cio's and Python's do (os/exec passes an *os.File
// as it is, with no copying goroutine).  Time from before
// the goroutines start until the last one ends.  Every child must exit with
// status 0, else the program fails (exit 1).  Run with GOMAXPROCS=1 for the
// go-p1 row, as shared/peers does.
// usage: w11_spawn [N [CONC]]   (defaults 1000, 50)
package main

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

func arg(i, dflt int) int {
	if len(os.Args) <= i {
		return dflt
	}
	v, err := strconv.Atoi(os.Args[i])
	if err != nil || v < 0 {
		fmt.Fprintf(os.Stderr, "w11_spawn: argument %d must be a non-negative integer, not %q\n", i, os.Args[i])
		os.Exit(2)
	}
	return v
}

func main() {
	n, conc := arg(1, 1000), arg(2, 50)
	if conc < 1 {
		conc = 1
	}
	var next, bad int64
	var mu sync.Mutex
	var firstErr error
	var wg sync.WaitGroup
	t0 := time.Now()
	for g := 0; g < conc; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for atomic.AddInt64(&next, 1) <= int64(n) {
				cmd := exec.Command("/bin/true")
				cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
				if err := cmd.Run(); err != nil {
					atomic.AddInt64(&bad, 1)
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	dt := time.Since(t0)
	if bad > 0 {
		fmt.Fprintf(os.Stderr, "w11_spawn: %d of %d children of /bin/true failed or exited with a status other than 0 (the first: %v)\n",
			bad, n, firstErr)
		os.Exit(1)
	}
	secs := dt.Seconds()
	rate := 0.0
	if secs > 0 {
		rate = float64(n) / secs
	}
	fmt.Printf("children=%d concurrency=%d total_s=%.3f us_per_child=%.1f children_per_s=%.0f gomaxprocs=%d\n",
		n, conc, secs, secs*1e6/float64(max1(n)), rate, runtime.GOMAXPROCS(0))
}

func max1(n int) int {
	if n < 1 {
		return 1
	}
	return n
}
