// W15's Go peer: N files in a fresh folder under DIR, CONC goroutines each
// taking the next index: os.OpenFile(O_CREATE), Write 4 KiB, Sync, Close.
//   w15_small_files DIR [N=10000] [CONC=64]
// Prints files_per_s=... total_s=... n=... conc=...
package main

import (
	"fmt"
	"os"
	"path/filepath"
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
	dir, err := os.MkdirTemp(os.Args[1], "go-w15-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer os.RemoveAll(dir)
	n, conc := arg(2, 10000), arg(3, 64)
	data := make([]byte, 4096)
	for i := range data {
		data[i] = 'x'
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	t0 := time.Now()
	for i := int64(0); i < conc; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				k := next.Add(1) - 1
				if k >= n {
					return
				}
				f, err := os.OpenFile(filepath.Join(dir, "f"+strconv.FormatInt(k, 10)), os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0644)
				if err == nil {
					_, err = f.Write(data)
					if err == nil {
						err = f.Sync()
					}
					if e := f.Close(); err == nil {
						err = e
					}
				}
				if err != nil {
					fmt.Fprintln(os.Stderr, err)
					os.Exit(1)
				}
			}
		}()
	}
	wg.Wait()
	el := time.Since(t0).Seconds()
	fmt.Printf("files_per_s=%.0f total_s=%.3f n=%d conc=%d\n", float64(n)/el, el, n, conc)
}
