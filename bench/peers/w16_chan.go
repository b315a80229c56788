// W16 channel between two goroutines: first one goroutine sends the
// integers 0 .. ITEMS-1 into a buffered channel of capacity 100 and another
// receives them, checking that each arrives in order: items_per_s.  Then a
// ping-pong of RTTS round trips over two channels of capacity 1: rtt_ns.
// Each phase's time runs from a start signal until the sender's last
// operation, as bench/w16_chan.c measures cio.  Run with GOMAXPROCS=2 (the
// go-p2 row): the two goroutines may run on two threads, as cio's two loops.
// usage: w16_chan [ITEMS [RTTS]]   (defaults 1M, 100k)
package main

import (
	"fmt"
	"os"
	"strconv"
	"time"
)

func arg(i, dflt int) int {
	if len(os.Args) <= i {
		return dflt
	}
	v, err := strconv.Atoi(os.Args[i])
	if err != nil || v < 0 {
		fmt.Fprintf(os.Stderr, "w16_chan: argument %d must be a non-negative integer, not %q\n", i, os.Args[i])
		os.Exit(2)
	}
	return v
}

func atLeast1(v int) int {
	if v < 1 {
		return 1
	}
	return v
}

func main() {
	n, rtts := arg(1, 1000000), arg(2, 100000)
	data := make(chan int, 100)
	ping, pong := make(chan int, 1), make(chan int, 1)
	start := make(chan int, 2)
	bad := 0
	go func() {
		start <- 1
		for i := 0; i < n; i++ {
			if v := <-data; v != i {
				bad++
			}
		}
		start <- 1
		for i := 0; i < rtts; i++ {
			pong <- <-ping
		}
	}()
	<-start
	t0 := time.Now()
	for i := 0; i < n; i++ {
		data <- i
	}
	<-start
	items := time.Since(t0)
	t0 = time.Now()
	for i := 0; i < rtts; i++ {
		ping <- i
		if v := <-pong; v != i {
			bad++
		}
	}
	rtt := time.Since(t0)
	if bad != 0 {
		fmt.Fprintf(os.Stderr, "w16_chan: %d values out of order\n", bad)
		os.Exit(1)
	}
	fmt.Printf("items=%d items_per_s=%.0f ns_per_item=%.1f rtts=%d rtt_ns=%.0f secs=%.3f\n", n,
		float64(n)/items.Seconds(), float64(items.Nanoseconds())/float64(atLeast1(n)), rtts,
		float64(rtt.Nanoseconds())/float64(atLeast1(rtts)), (items + rtt).Seconds())
}
