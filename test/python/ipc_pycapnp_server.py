#!/usr/bin/env python3
"""A pycapnp (C++ Cap'n Proto) server of Init/Echo/ThreadMap for testing our
Rust IPC *client* against another implementation, the way it would talk to
Core's bitcoin-node. Serves on the Unix socket given as argv[1]; prints
'ready'; exits when stdin closes.
"""
import asyncio
import os
import sys
from pathlib import Path

import capnp

SCHEMA = Path(__file__).resolve().parents[2] / "schema"
IMPORTS = [str(SCHEMA)]
proxy = capnp.load(str(SCHEMA / "mp" / "proxy.capnp"), imports=IMPORTS)
init_mod = capnp.load(str(SCHEMA / "init.capnp"), imports=IMPORTS)
echo_mod = capnp.load(str(SCHEMA / "echo.capnp"), imports=IMPORTS)


class Thread(proxy.Thread.Server):
    def __init__(self, name):
        self.name = name

    async def getName(self, **kwargs):
        return self.name


class ThreadMap(proxy.ThreadMap.Server):
    async def makeThread(self, name, **kwargs):
        return Thread(f"pyserver (from {name})")


def require_thread(context):
    # A libmultiprocess server refuses calls without context.thread.
    if not context._has("thread"):
        raise Exception("no thread specified and no pool configured")


class Echo(echo_mod.Echo.Server):
    async def destroy(self, context, **kwargs):
        require_thread(context)

    async def echo(self, context, echo, **kwargs):
        require_thread(context)
        if echo == "fail":
            raise Exception("python echo failed")
        # Which server thread ran it, as the client named it in context.
        if echo == "whoami":
            return (await context.thread.getName()).result
        return echo


class Init(init_mod.Init.Server):
    async def construct(self, threadMap, **kwargs):
        return ThreadMap()

    async def makeEcho(self, context, **kwargs):
        require_thread(context)
        return Echo()


async def main(path):
    async def new_connection(stream):
        await capnp.TwoPartyServer(stream, bootstrap=Init()).on_disconnect()

    server = await capnp.AsyncIoStream.create_unix_server(new_connection, path)
    print("ready", flush=True)
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, sys.stdin.read)
    server.close()


if __name__ == "__main__":
    try:
        os.unlink(sys.argv[1])
    except FileNotFoundError:
        pass
    asyncio.run(capnp.run(main(sys.argv[1])))
