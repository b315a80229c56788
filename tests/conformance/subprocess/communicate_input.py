# from: test_subprocess.py::SubprocessMixin::test_communicate
import asyncio

async def main():
    p = await asyncio.create_subprocess_exec("tr", "a-z", "A-Z", stdin=asyncio.subprocess.PIPE,
                                             stdout=asyncio.subprocess.PIPE)
    out, err = await p.communicate(b"shout this\n")
    print("out:", out, "err:", err, "returncode:", p.returncode)

asyncio.run(main())
