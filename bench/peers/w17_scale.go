// W17 scaling, Go's side: W4's echo server (one goroutine per connection,
// a 64 KiB read, write back) with the same fixed CPU cost per request as
// bench/w17_scale.c: FNV-1a over the request, byte by byte, until WORK
// bytes have been hashed.  Run with GOMAXPROCS=1 (go-p1) and 2 (go-p2).
// Serves until killed.
// usage: w17_scale WORK PORT   (the harness appends PORT)
package main

import (
	"fmt"
	"net"
	"os"
	"strconv"
)

var sink uint32

func burn(p []byte, work int) uint32 {
	h := uint32(2166136261)
	bytes := 0
	for bytes < work {
		for _, b := range p {
			h = (h ^ uint32(b)) * 16777619
			bytes++
		}
	}
	return h
}

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: w17_scale WORK PORT")
		os.Exit(2)
	}
	work, err1 := strconv.Atoi(os.Args[1])
	port, err2 := strconv.Atoi(os.Args[2])
	if err1 != nil || err2 != nil {
		fmt.Fprintln(os.Stderr, "w17_scale: WORK and PORT must be integers")
		os.Exit(2)
	}
	ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	for {
		c, err := ln.Accept()
		if err != nil {
			continue
		}
		go func(c net.Conn) {
			defer c.Close()
			buf := make([]byte, 65536)
			for {
				n, err := c.Read(buf)
				if n > 0 {
					sink = burn(buf[:n], work)
					if _, werr := c.Write(buf[:n]); werr != nil {
						return
					}
				}
				if err != nil {
					return
				}
			}
		}(c)
	}
}
