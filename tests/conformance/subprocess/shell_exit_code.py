# from: test_subprocess.py::SubprocessMixin::test_shell / test_exit_code
import asyncio

async def main():
    p = await asyncio.create_subprocess_shell("exit 7")
    print("exit 7 ->", await p.wait())
    p = await asyncio.create_subprocess_shell("echo $((6*7))", stdout=asyncio.subprocess.PIPE)
    out, _ = await p.communicate()
    print("shell arithmetic:", out.strip().decode(), "rc", p.returncode)

asyncio.run(main())
