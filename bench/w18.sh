#!/usr/bin/env bash
# W18 HTTP client throughput: W18_N (20,000) GETs of a 1 KiB body, W18_CONC
# (100) in flight over keep-alive connections, against a local nginx
# (Debian nginx-light) that this script configures and starts: 127.0.0.1
# only, one worker, access log off, pinned to CPU 0 while the clients run on
# CPU 1 (when there are two).  Over http, then over https (tls=1: a
# certificate made here with openssl; the clients skip verification alike).
# The clients, one run each:
#   cio             bench/w18_http.c (a cio_http_session_t, CONC tasks)
#   libuv-curl      bench/peers/w18_http_uv.c (the same libcurl multi loop on libuv)
#   go-p1           bench/peers/w18_http.go (net/http, GOMAXPROCS=1)
#   python-aiohttp  bench/peers/w18_http.py (ClientSession, CONC tasks)
# Each prints "W18 <name> n=.. conc=.. secs=.. rps=.. cpu_us_per_req=.. rss_kb=..";
# then a ratio line per peer on rps (better=higher) and cpu_us_per_req
# (better=lower).  Needs nginx-light, libcurl4-openssl-dev, libuv1-dev,
# golang-go, python3-aiohttp (installed with apt when missing, as root).
# usage: bench/w18.sh     (BUILD_DIR, default build-bench: cio's Release build;
#        W18_TLS="0 1", W18_CLIENTS="cio libuv-curl go-p1 python-aiohttp" choose)
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
N=${W18_N:-20000}
CONC=${W18_CONC:-100}
PY=${PY:-/usr/bin/python3}
BUILD=${BUILD_DIR:-build-bench}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
die() { echo "bench/w18.sh: $*" >&2; exit 1; }

missing=()
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || missing+=(nginx-light)
[ -f /usr/include/uv.h ] || missing+=(libuv1-dev)
[ -f /usr/include/x86_64-linux-gnu/curl/curl.h ] || [ -f /usr/include/curl/curl.h ] ||
    [ -f /usr/include/aarch64-linux-gnu/curl/curl.h ] || missing+=(libcurl4-openssl-dev)
command -v go >/dev/null || missing+=(golang-go)
"$PY" -c 'import aiohttp' 2>/dev/null || missing+=(python3-aiohttp)
if [ ${#missing[@]} -gt 0 ]; then
    [ "$(id -u)" = 0 ] || die "missing packages: ${missing[*]} (apt-get install them)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null 2>&1 ||
        { apt-get update -q >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
            --no-install-recommends "${missing[@]}" >/dev/null 2>&1; } || die "apt-get install ${missing[*]} failed"
fi
NGINX=$(command -v nginx || echo /usr/sbin/nginx)

# the clients
B=$BUILD/bench
if [ ! -f "$BUILD/CMakeCache.txt" ]; then
    cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DCIO_BUILD_TESTS=OFF -DCIO_BUILD_EXAMPLES=OFF \
        -DCIO_WERROR=OFF >/dev/null || die "cmake configure failed"
elif [ ! -x "$B/w18_http" ]; then
    cmake -S "$ROOT" -B "$BUILD" >/dev/null || die "cmake configure failed"
fi
cmake --build "$BUILD" -j "$(nproc)" --target bench_w18_http >/dev/null || die "cannot build w18_http"
mkdir -p "$B/peers"
cc -O2 -o "$B/peers/w18_http_uv" "$HERE/peers/w18_http_uv.c" -lcurl -luv || die "cannot build w18_http_uv"
go build -o "$B/peers/go_w18_http" "$HERE/peers/w18_http.go" || die "cannot build the Go peer"

# the server
dir=$(mktemp -d /tmp/cio-w18.XXXXXX)
NGINX_PID=""
cleanup() { [ -n "$NGINX_PID" ] && kill "$NGINX_PID" 2>/dev/null && wait "$NGINX_PID" 2>/dev/null; rm -rf "$dir"; }
trap cleanup EXIT
mkdir -p "$dir/www" "$dir/logs"
head -c 1024 /dev/zero | tr '\0' 'x' >"$dir/www/1k"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$dir/key.pem" -out "$dir/cert.pem" -days 1 \
    -subj /CN=localhost >/dev/null 2>&1 || die "openssl req failed"
read -r PORT TPORT < <("$PY" -c 'import socket
s=[socket.socket() for _ in range(2)]
[x.bind(("127.0.0.1", 0)) for x in s]
print(*[x.getsockname()[1] for x in s])')
cat >"$dir/nginx.conf" <<CONF
worker_processes 1;
daemon off;
master_process off;
pid $dir/nginx.pid;
error_log $dir/logs/error.log;
events { worker_connections 4096; }
http {
    access_log off;
    keepalive_requests 1000000;
    keepalive_timeout 60;
    client_body_temp_path $dir/body;
    proxy_temp_path $dir/proxy;
    fastcgi_temp_path $dir/fastcgi;
    uwsgi_temp_path $dir/uwsgi;
    scgi_temp_path $dir/scgi;
    server {
        listen 127.0.0.1:$PORT;
        listen 127.0.0.1:$TPORT ssl;
        ssl_certificate $dir/cert.pem;
        ssl_certificate_key $dir/key.pem;
        root $dir/www;
    }
}
CONF
SRV_PIN=() CLI_PIN=()
if [ "$(nproc)" -ge 2 ] && command -v taskset >/dev/null; then SRV_PIN=(taskset -c 0); CLI_PIN=(taskset -c 1); fi
"${SRV_PIN[@]}" "$NGINX" -p "$dir" -c "$dir/nginx.conf" -e "$dir/logs/error.log" &
NGINX_PID=$!
up() { (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; }
for _ in $(seq 50); do up && break; sleep 0.1; done
up || die "nginx did not start (see $dir/logs/error.log)"

ratio() { # line-of-cio line-of-peer
    awk -v a="$1" -v b="$2" 'function f(l, k,   m) { return match(l, " " k "=[^ ]*") ? substr(l, RSTART + length(k) + 2, RLENGTH - length(k) - 2) : "" }
    BEGIN { split(b, w, " "); p = w[2]; t = f(a, "tls")
        printf "W18 ratio cio/%s rps cio=%s peer=%s ratio=%.3g better=higher tls=%s\n", p, f(a, "rps"), f(b, "rps"), f(a, "rps") / f(b, "rps"), t
        printf "W18 ratio cio/%s cpu_us_per_req cio=%s peer=%s ratio=%.3g better=lower tls=%s\n", p, f(a, "cpu_us_per_req"), f(b, "cpu_us_per_req"), f(a, "cpu_us_per_req") / f(b, "cpu_us_per_req"), t }'
}

status=0
for tls in ${W18_TLS:-0 1}; do
    if [ $tls = 0 ]; then url="http://127.0.0.1:$PORT/1k"; else url="https://127.0.0.1:$TPORT/1k"; fi
    args=("$url" "$N" "$CONC" 1024 "$tls")
    lines=()
    for c in ${W18_CLIENTS:-cio libuv-curl go-p1 python-aiohttp}; do
        case $c in
        cio) cmd=("$B/w18_http") ;;
        libuv-curl) cmd=("$B/peers/w18_http_uv") ;;
        go-p1) cmd=(env GOMAXPROCS=1 "$B/peers/go_w18_http") ;;
        python-aiohttp) cmd=("$PY" -B "$HERE/peers/w18_http.py") ;;
        esac
        line=$(timeout -k 5 300 "${CLI_PIN[@]}" "${cmd[@]}" "${args[@]}" | grep '^W18 ' | tail -1)
        [ -n "$line" ] || { echo "W18 $c FAILED tls=$tls"; status=1; continue; }
        line="$line tls=$tls"
        echo "$line"
        lines+=("$line")
    done
    [[ ${lines[0]:-} == "W18 cio "* ]] || continue
    for l in "${lines[@]:1}"; do ratio "${lines[0]}" "$l"; done
done
exit $status
