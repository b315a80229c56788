#!/usr/bin/env bash
# Run every example in order, a "== name ==" header before each.
# Usage: examples/demo.sh BUILD_DIR/examples
# An entry may carry arguments ("name arg..."): the header shows them.
# Exits nonzero if an example is missing or fails; a curl_* example is
# built only where libcurl is found, and skipped when it is missing.
set -u

dir=${1:?usage: $0 EXAMPLES_BINARY_DIR}

examples=(
    hello_world               # seeds 000/001: asyncio.run
    main_coroutine            # seed 002
    my_coroutine              # seed 002
    say_after_sequential      # seed 000: awaited in sequence, ~3 s
    say_after_tasks           # seed 000: create_task, ~2 s
    say_after_gather          # seed 000: gather, ~2 s
    not_task                  # seed 001: ~4 s
    is_task                   # seed 001: ~2 s
    coordinator               # seed 002: workers A/B/C, ~3 s
    collect_all_data          # seed 002: fetch_data x5 by gather (~4 s), then sync (~10 s)
    count_gather              # seed 003: count() x5 by gather, ~3 s
    count_sync                # seed 003: the same with blocking sleeps, ~15 s
    future_tasks              # seed 003: a future set by one task, awaited by another
    future_gather             # seed 003: the same foo/bar through gather, ~3 s
    chain                     # seed 003: function1 -> function2 chains by gather (random, scaled)
    generate_random_int       # seed 003: three calls by gather (random, scaled)
    taskgroup                 # seed 001: TaskGroup with two tasks, ~2 s
    timeout                   # seed 001: timeout(10) around a long task, ~10 s
    runner                    # seed 001: asyncio.Runner
    run_until_complete        # seed 004: new loop / run_until_complete / close
    run_until_complete_await  # seed 004: awaiting a long task (to_thread)
    event_loop_threads        # seed 003: two threads, a loop each
    "producer_consumer --seed 444 -p 2 -c 4"  # seed 003: Queue, 2 producers, 4 consumers, fixed draws, ~1 s
    async_gen                 # seed 001: async for over an async generator, asend, aclose, ~0.5 s
    "echo_server --selftest"  # asyncio docs: streams echo server, two clients against it, ~0 s
    udp_echo                  # asyncio docs: UDP echo server and three clients (protocols), ~0 s
    parallel_commands         # asyncio docs: 8 shell commands, 2 at a time (Semaphore), communicate, ~0.3 s
    subprocess_protocol       # asyncio docs: subprocess_exec + SubprocessProtocol (date), then a protocol feeding a stream, ~0 s
    "kv_server --selftest"    # guide, Writing a server: pipelining, limits, a shutdown with a deadline, ~0.3 s
    file_ops                  # seed 002: file operations: 5 files written and read back by gather, readline, rename, ~0 s
    "graceful_shutdown --selftest"  # echo server stopped by its own SIGTERM (add_signal_handler), ~0 s
    tls_echo                  # asyncio docs: streams echo over TLS, certificate made by `openssl req` run as a subprocess, ~0.1 s
    every_core                # a loop group: a server on every loop, a counter fed by a channel, 24 clients, ~0.1 s
    debug_mode                # seed 001: debug mode: a slow step, the task dump, a wrong-thread call, an unretrieved error, ~0.2 s
    curl_fetch_urls           # seed 002: 7 URLs of a local server by libcurl on cio's loop, ~2 s, then one by one ~6 s
    http_fetch                # seed 002 on cio's HTTP client (cio_http.h): 7 URLs of a local server by gather, ~2 s
    http_download             # a 32 MiB body streamed chunk by chunk to a file, then read line by line, ~0.3 s
)

failed=()
skipped=()
for entry in "${examples[@]}"; do
    read -r -a argv <<<"$entry"
    name=${argv[0]}
    echo "== $entry =="
    if [[ ! -x "$dir/$name" && $name == curl_* ]]; then
        echo "skipped: $name is built only with libcurl"
        skipped+=("$name")
        continue
    fi
    if [[ ! -x "$dir/$name" ]]; then
        echo "missing: $dir/$name" >&2
        failed+=("$name")
        continue
    fi
    "$dir/$name" "${argv[@]:1}"
    rc=$?
    if ((rc != 0)); then
        echo "FAILED: $entry (exit $rc)" >&2
        failed+=("$name")
    fi
done

if ((${#failed[@]})); then
    echo "failed: ${failed[*]}" >&2
    exit 1
fi
echo "all $((${#examples[@]} - ${#skipped[@]})) examples passed${skipped[*]:+ (skipped: ${skipped[*]})}"
