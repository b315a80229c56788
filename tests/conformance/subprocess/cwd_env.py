# from: test_subprocess.py::SubprocessMixin::test_subprocess_exec_with_cwd / env
import asyncio

async def main():
    p = await asyncio.create_subprocess_exec("pwd", cwd="/", stdout=asyncio.subprocess.PIPE)
    out, _ = await p.communicate()
    print("cwd:", out.decode().strip())
    p = await asyncio.create_subprocess_shell("echo $CONF_VAR", env={"CONF_VAR": "from env", "PATH": "/usr/bin:/bin"},
                                              stdout=asyncio.subprocess.PIPE)
    out, _ = await p.communicate()
    print("env:", out.decode().strip())

asyncio.run(main())
