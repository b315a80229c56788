# from: test_subprocess.py::SubprocessMixin::test_stdout_stderr (STDOUT merges, DEVNULL drops)
import asyncio

async def main():
    p = await asyncio.create_subprocess_shell("echo out; echo err 1>&2", stdout=asyncio.subprocess.PIPE,
                                              stderr=asyncio.subprocess.STDOUT)
    out, err = await p.communicate()
    print("merged:", sorted(out.decode().split()), "err:", err)
    p = await asyncio.create_subprocess_shell("echo out; echo err 1>&2", stdout=asyncio.subprocess.DEVNULL,
                                              stderr=asyncio.subprocess.PIPE)
    out, err = await p.communicate()
    print("devnull out:", out, "err:", err)

asyncio.run(main())
