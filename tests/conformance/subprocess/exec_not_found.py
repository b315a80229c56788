# from: test_subprocess.py::SubprocessMixin::test_create_subprocess_exec_with_path / a missing program: FileNotFoundError at creation
# noemu: qemu-user emulates vfork as fork, so posix_spawn cannot report a failed exec (see .ci/aarch64.sh)
import asyncio

async def main():
    try:
        await asyncio.create_subprocess_exec("/nonexistent/program-xyz")
    except FileNotFoundError:
        print("FileNotFoundError")

asyncio.run(main())
