"""Shared helpers for cio's Python versions of its own workloads (W7, W8),
which behave as the shared peers' Python programs do.

Every script takes an optional --uvloop flag (use uvloop's loop instead of
asyncio's default selector/epoll loop) followed by positional arguments, and
prints a single `key=value ...` line on stdout.
"""
import asyncio
import sys


def parse():
    """(use_uvloop, positional arguments) from the command line."""
    argv = sys.argv[1:]
    return "--uvloop" in argv, [a for a in argv if a != "--uvloop"]


def run(main_coro_fn, *a):
    """Run main_coro_fn(*a) to completion in a fresh loop (uvloop's with
    --uvloop, asyncio's default otherwise)."""
    use_uvloop, _ = parse()
    factory = None
    if use_uvloop:
        import uvloop
        factory = uvloop.new_event_loop
    with asyncio.Runner(loop_factory=factory) as runner:
        return runner.run(main_coro_fn(*a))
