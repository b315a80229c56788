"""W18 HTTP client throughput, aiohttp's ClientSession: N GETs (20,000) of
URL (a 1 KiB body from a local nginx, see bench/w18.sh), CONC (100) in
flight: CONC tasks over one session (TCPConnector(limit=CONC), keep-alive),
each taking the next request number, a GET and the whole body read.  Every
status must be 200 and every body BYTES long.  Prints
  W18 python-aiohttp n=... conc=... secs=... rps=... cpu_us_per_req=... rss_kb=...
usage: w18_http.py URL [N [CONC [BYTES [INSECURE]]]]"""
import asyncio
import resource
import sys
import time

import aiohttp


async def main(url, n, conc, nbytes, insecure):
    state = {"next": 0, "bad": 0}
    connector = aiohttp.TCPConnector(limit=conc, ssl=False if insecure else None)
    async with aiohttp.ClientSession(connector=connector) as session:
        async def worker():
            while state["next"] < n:
                state["next"] += 1
                async with session.get(url) as resp:
                    body = await resp.read()
                    if resp.status != 200 or len(body) != nbytes:
                        state["bad"] += 1
        await asyncio.gather(*(worker() for _ in range(conc)))
    return state["bad"]


if __name__ == "__main__":
    url = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 20000
    conc = int(sys.argv[3]) if len(sys.argv) > 3 else 100
    nbytes = int(sys.argv[4]) if len(sys.argv) > 4 else 1024
    insecure = len(sys.argv) > 5 and sys.argv[5] != "0"
    t0 = time.monotonic()
    bad = asyncio.run(main(url, n, conc, nbytes, insecure))
    secs = time.monotonic() - t0
    ru = resource.getrusage(resource.RUSAGE_SELF)
    if bad:
        sys.exit("w18_http.py: %d bad responses" % bad)
    print("W18 python-aiohttp n=%d conc=%d secs=%.3f rps=%.0f cpu_us_per_req=%.1f rss_kb=%d"
          % (n, conc, secs, n / secs, (ru.ru_utime + ru.ru_stime) * 1e6 / n, ru.ru_maxrss))
