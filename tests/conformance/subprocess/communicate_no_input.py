# from: test_subprocess.py::SubprocessMixin::test_communicate_none_input (stdin is closed even without input)
# requires: 3.12 (3.11's communicate() left stdin open: the child never sees EOF)
import asyncio

async def main():
    p = await asyncio.create_subprocess_exec("cat", stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE)
    out, err = await p.communicate()
    print("no input:", out, p.returncode)

asyncio.run(main())
