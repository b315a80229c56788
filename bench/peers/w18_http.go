// W18 HTTP client throughput, Go's net/http client: N GETs (20,000) of URL
// (a 1 KiB body from a local nginx, see bench/w18.sh), CONC (100) in flight:
// CONC goroutines over one http.Client (keep-alive, at most CONC connections
// to the host), each taking the next request number from a shared counter,
// a GET and the whole body read.  Every status must be 200 and every body
// BYTES long.  Run with GOMAXPROCS=1 for the go-p1 row.  Prints
//   W18 go-p1 n=... conc=... secs=... rps=... cpu_us_per_req=... rss_kb=...
// usage: w18_http URL [N [CONC [BYTES [INSECURE]]]]
package main

import (
	"crypto/tls"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

func arg(i, dflt int) int {
	if len(os.Args) <= i {
		return dflt
	}
	v, err := strconv.Atoi(os.Args[i])
	if err != nil || v < 0 {
		fmt.Fprintf(os.Stderr, "w18_http: bad argument %q\n", os.Args[i])
		os.Exit(2)
	}
	return v
}

func main() {
	url := os.Args[1]
	n, conc, nbytes, insecure := int64(arg(2, 20000)), arg(3, 100), arg(4, 1024), arg(5, 0)
	tr := &http.Transport{MaxIdleConns: conc, MaxIdleConnsPerHost: conc, MaxConnsPerHost: conc, Proxy: nil,
		TLSClientConfig: &tls.Config{InsecureSkipVerify: insecure != 0}}
	client := &http.Client{Transport: tr}
	var next, bad int64
	var wg sync.WaitGroup
	t0 := time.Now()
	for i := 0; i < conc; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for atomic.AddInt64(&next, 1) <= n {
				resp, err := client.Get(url)
				if err != nil {
					atomic.AddInt64(&bad, 1)
					continue
				}
				body, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				if err != nil || resp.StatusCode != 200 || len(body) != nbytes {
					atomic.AddInt64(&bad, 1)
				}
			}
		}()
	}
	wg.Wait()
	secs := time.Since(t0).Seconds()
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	cpu := float64(ru.Utime.Sec+ru.Stime.Sec)*1e6 + float64(ru.Utime.Usec+ru.Stime.Usec)
	if bad != 0 {
		fmt.Fprintf(os.Stderr, "w18_http: %d bad responses\n", bad)
		os.Exit(1)
	}
	fmt.Printf("W18 go-p%d n=%d conc=%d secs=%.3f rps=%.0f cpu_us_per_req=%.1f rss_kb=%d\n", runtime.GOMAXPROCS(0), n,
		conc, secs, float64(n)/secs, cpu/float64(n), ru.Maxrss)
}
