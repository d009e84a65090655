#!/usr/bin/env python3
"""IPC tests with pycapnp, connecting to our bitcoin-node the way Bitcoin
Core's functional tests (interface_ipc*.py) do, using the schemas in schema/.

Usage: ipc_pycapnp.py [path/to/bitcoin-node]   (default: target/debug/bitcoin-node)
Prints one line per test and 'N passed, N failed'; exits 1 on any failure.
"""
import asyncio
import base64
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.request
from pathlib import Path

import capnp  # installed by contrib/test.sh (pip install pycapnp)

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = ROOT / "schema"
IMPORTS = [str(SCHEMA)]
proxy = capnp.load(str(SCHEMA / "mp" / "proxy.capnp"), imports=IMPORTS)
init_mod = capnp.load(str(SCHEMA / "init.capnp"), imports=IMPORTS)
echo_mod = capnp.load(str(SCHEMA / "echo.capnp"), imports=IMPORTS)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Node:
    def __init__(self, binary):
        self.dir = tempfile.mkdtemp(prefix="ipcpy")
        self.rpc_port = free_port()
        args = [binary, f"-datadir={self.dir}", "-regtest", "-ipcbind=unix", "-debug=ipc",
                f"-rpcport={self.rpc_port}", f"-port={free_port()}", "-printtoconsole=0",
                "-listen=0"]
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.sock = os.path.join(self.dir, "regtest", "node.sock")

    def wait_ready(self):
        deadline = time.time() + 60
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"node exited: {self.proc.stderr.read().decode()}")
            try:
                self.rpc("getblockcount")
                return
            except Exception:
                time.sleep(0.05)
        raise RuntimeError("node did not start")

    def rpc(self, method, params=None):
        cookie = Path(self.dir, "regtest", ".cookie").read_text()
        req = urllib.request.Request(
            f"http://127.0.0.1:{self.rpc_port}/",
            data=json.dumps({"method": method, "params": params or [], "id": 1}).encode(),
            headers={"Authorization": "Basic " + base64.b64encode(cookie.encode()).decode()})
        with urllib.request.urlopen(req, timeout=30) as r:
            return json.loads(r.read())["result"]

    def debug_log(self):
        return Path(self.dir, "regtest", "debug.log").read_text(errors="replace")

    def stop(self):
        try:
            self.rpc("stop")
            assert self.proc.wait(timeout=60) == 0
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
            shutil.rmtree(self.dir, ignore_errors=True)


async def connect(node):
    conn = await capnp.AsyncIoStream.create_unix_connection(node.sock)
    client = capnp.TwoPartyClient(conn)
    init = client.bootstrap().cast_as(init_mod.Init)
    return client, init


async def init_ctx(node):
    client, init = await connect(node)
    threadmap = init.construct().threadMap
    thread = threadmap.makeThread("pythread").result
    ctx = proxy.Context()
    ctx.thread = thread
    return client, init, ctx


def expect_kj(exc, description, type_="FAILED"):
    assert isinstance(exc, capnp.KjException), repr(exc)
    assert exc.type == type_, (exc.type, exc.description)
    if description is not None:
        assert exc.description == description, exc.description


async def t_echo(node):
    _, init, ctx = await init_ctx(node)
    echo = init.makeEcho(ctx).result
    for s in ["hallo", "", "haha", "x" * 100000]:
        assert (await echo.echo(ctx, s)).result == s
    await echo.destroy(ctx)


async def t_deprecated_mining(node):
    _, init = await connect(node)
    try:
        await init.makeMiningOld2()
        raise AssertionError("makeMiningOld2 unexpectedly succeeded")
    except capnp.KjException as e:
        expect_kj(e, "remote exception: std::exception: Old mining interface (@2) not supported. Please update your client!")


async def t_no_thread(node):
    _, init = await connect(node)
    init.construct()
    try:
        await init.makeEcho(proxy.Context())
        raise AssertionError("call without thread succeeded")
    except capnp.KjException as e:
        expect_kj(e, "remote exception: std::exception: no thread specified and no pool configured")


async def t_call_after_destroy(node):
    _, init, ctx = await init_ctx(node)
    echo = init.makeEcho(ctx).result
    await echo.destroy(ctx)
    try:
        await echo.echo(ctx, "late")
        raise AssertionError("call after destroy succeeded")
    except capnp.KjException as e:
        expect_kj(e, "remote exception: std::exception: method called after destroy")


async def t_pipelined_fifo(node):
    _, init, ctx = await init_ctx(node)
    echo = init.makeEcho(ctx).result
    promises = [echo.echo(ctx, str(i)) for i in range(50)]
    results = [(await p).result for p in promises]
    assert results == [str(i) for i in range(50)]


async def t_execute_rpc(node):
    _, init, ctx = await init_ctx(node)
    rpc = init.makeRpc(ctx).result
    reply = json.loads((await rpc.executeRpc(ctx, json.dumps({"method": "getblockcount", "id": 5}), "/", "")).result)
    assert reply == {"result": 0, "error": None, "id": 5}, reply
    reply = json.loads((await rpc.executeRpc(ctx, json.dumps({"jsonrpc": "2.0", "method": "nope", "id": 6}), "/", "")).result)
    assert reply["error"]["code"] == -32601, reply
    try:
        await rpc.executeRpc(ctx, "{bad json", "/", "")
        raise AssertionError("invalid JSON accepted")
    except capnp.KjException as e:
        expect_kj(e, "remote exception: std::exception: invalid JSON received over IPC")


async def t_wallet_loader_needs_a_chain(node):
    # A request missing its capability argument is an error, not a crash.
    _, init, ctx = await init_ctx(node)
    try:
        await init.makeWalletLoader(ctx)
        raise AssertionError("makeWalletLoader without a chain succeeded")
    except capnp.KjException as e:
        expect_kj(e, "remote exception: Message contains null capability pointer.")


async def t_make_chain_and_node_answer(node):
    # A C++-runtime client reaches the node's Chain and Node as a Core
    # wallet or GUI would.
    _, init, ctx = await init_ctx(node)
    chain = (await init.makeChain(ctx)).result
    height = await chain.getHeight(ctx)
    assert height.hasResult and height.result == 0, height
    genesis = (await chain.getBlockHash(ctx, 0)).result
    assert genesis[::-1].hex() == node.rpc("getblockhash", [0])
    try:
        await chain.getBlockHash(ctx, 5)
        raise AssertionError("a height above the tip answered")
    except capnp.KjException as e:
        expect_kj(e, "remote exception: std::exception: block height 5 out of range")
    gui = (await init.makeNode(ctx)).result
    assert (await gui.getNumBlocks(ctx)).result == 0
    reply = await gui.executeRpc(ctx, "getblockcount", "[]", "/")
    assert not reply._has("rpcError") and reply.result == "0", reply


async def t_make_mining_answers(node):
    # Until the chainstate provides a Mining implementation the node answers
    # with a null capability (as Core does during shutdown), never an error.
    _, init, ctx = await init_ctx(node)
    await init.makeMining(ctx)


async def t_hostile_then_alive(node):
    for data in [b"\xff" * 64, b"\x00\x00\x00\x00\xff\xff\xff\x7f", b""]:
        s = socket.socket(socket.AF_UNIX)
        s.connect(node.sock)
        s.sendall(data)
        s.close()
    # Disconnect with calls in flight.
    for _ in range(5):
        client, init, ctx = await init_ctx(node)
        echo = init.makeEcho(ctx).result
        echo.echo(ctx, "abandoned")
        del echo, init, client
    _, init, ctx = await init_ctx(node)
    assert (await init.makeEcho(ctx).result.echo(ctx, "alive")).result == "alive"
    assert node.rpc("getblockcount") == 0


async def t_oversized_message(node):
    # Over Cap'n Proto's 64 MiB limit: the node drops that connection only.
    client, init, ctx = await init_ctx(node)
    echo = init.makeEcho(ctx).result
    try:
        await echo.echo(ctx, "y" * (65 << 20))
        raise AssertionError("oversized message accepted")
    except capnp.KjException:
        pass
    del echo, init, client
    _, init, ctx = await init_ctx(node)
    assert (await init.makeEcho(ctx).result.echo(ctx, "alive")).result == "alive"


TESTS = [t_echo, t_deprecated_mining, t_no_thread, t_call_after_destroy, t_pipelined_fifo,
         t_execute_rpc, t_wallet_loader_needs_a_chain, t_make_chain_and_node_answer, t_make_mining_answers, t_oversized_message, t_hostile_then_alive]


def main():
    binary = sys.argv[1] if len(sys.argv) > 1 else str(ROOT / "target" / "debug" / "bitcoin-node")
    node = Node(binary)
    passed = failed = 0
    try:
        # Connect as soon as the socket exists, as interface_ipc_mining's
        # early-startup test does.
        deadline = time.time() + 60
        while not os.path.exists(node.sock):
            assert time.time() < deadline, "socket never appeared"
            time.sleep(0.01)
        node.wait_ready()
        for t in TESTS:
            try:
                asyncio.run(capnp.run(t(node)))
                print(f"ok   {t.__name__}")
                passed += 1
            except Exception:
                print(f"FAIL {t.__name__}")
                traceback.print_exc()
                failed += 1
        log = node.debug_log()
        for line in ["IPC server recv request  #", "Echo.echo$Params", "IPC server post request  #",
                     "IPC server send response #", "IPC server: socket disconnected"]:
            if line not in log:
                print(f"FAIL debug.log lacks {line!r}")
                failed += 1
    finally:
        node.stop()
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
