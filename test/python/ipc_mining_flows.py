#!/usr/bin/env python3
"""Bitcoin Core's interface_ipc.py mining flows (mining inspectors, unclean
disconnect during waitNext, thread busy, interruptWait, Mining.interrupt)
replayed with pycapnp against our IPC runtime, served by the ipc-test-server
binary (a stand-in Mining until the node has a chainstate). Checks the same
log lines Core's test checks.

Usage: ipc_mining_flows.py path/to/ipc-test-server
Prints one line per test and 'N passed, N failed'; exits 1 on any failure.
"""
import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

import capnp  # installed by contrib/test.sh (pip install pycapnp)

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = ROOT / "schema"
IMPORTS = [str(SCHEMA)]
proxy = capnp.load(str(SCHEMA / "mp" / "proxy.capnp"), imports=IMPORTS)
init_mod = capnp.load(str(SCHEMA / "init.capnp"), imports=IMPORTS)
mining_mod = capnp.load(str(SCHEMA / "mining.capnp"), imports=IMPORTS)
TIMEOUT_MS = 60_000.0


class Server:
    def __init__(self, binary):
        self.dir = tempfile.mkdtemp(prefix="ipcmine")
        self.sock = os.path.join(self.dir, "node.sock")
        self.log = os.path.join(self.dir, "debug.log")
        self.proc = subprocess.Popen([binary, self.sock, self.log], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout.readline().strip() == "ready"

    def generate(self):
        self.proc.stdin.write("generate\n")
        self.proc.stdin.flush()
        assert self.proc.stdout.readline().strip() == "generated"

    def log_size(self):
        return os.path.getsize(self.log)

    def wait_log(self, since, expected, timeout=2.0):
        """Like Core's assert_debug_log: every string appears after `since`."""
        deadline = time.time() + timeout
        while True:
            with open(self.log, errors="replace") as f:
                f.seek(since)
                text = f.read()
            missing = [e for e in expected if e not in text]
            if not missing:
                return
            if time.time() > deadline:
                raise AssertionError(f"log lacks {missing}")
            time.sleep(0.05)

    def stop(self):
        try:
            self.proc.stdin.close()
            assert self.proc.wait(timeout=30) == 0
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
            shutil.rmtree(self.dir, ignore_errors=True)


async def mining_ctx(server):
    conn = await capnp.AsyncIoStream.create_unix_connection(server.sock)
    client = capnp.TwoPartyClient(conn)
    init = client.bootstrap().cast_as(init_mod.Init)
    thread = init.construct().threadMap.makeThread("pythread").result
    ctx = proxy.Context()
    ctx.thread = thread
    return client, ctx, init.makeMining(ctx).result


def wait_options(fee_threshold=1, timeout=TIMEOUT_MS):
    opts = mining_mod.BlockWaitOptions()
    opts.timeout = timeout
    opts.feeThreshold = fee_threshold
    return opts


async def t_mining_inspectors(server):
    _, ctx, mining = await mining_ctx(server)
    assert (await mining.isTestChain(ctx)).result
    assert not (await mining.isInitialBlockDownload(ctx)).result
    ref = await mining.getTip(ctx)
    assert ref.hasResult
    assert len(ref.result.hash) == 32
    assert ref.result.height == 0


def t_unclean_disconnect_during_wait_next(server):
    # Core: run_unclean_disconnect_test (bitcoin#34250). The connection
    # closes when the capnp event loop ends, as in Core's test.
    async def routine():
        _, ctx, mining = await mining_ctx(server)
        template = (await mining.createNewBlock(ctx, mining_mod.BlockCreateOptions())).result
        since = server.log_size()
        promise = template.waitNext(ctx, wait_options())
        await asyncio.sleep(0.1)
        server.wait_log(since, ["BlockTemplate.waitNext", "IPC server post request"])
        del promise
        return server.log_size()
    since = asyncio.run(capnp.run(routine()))
    server.wait_log(since, ["IPC server: socket disconnected", "canceled while executing"])
    since = server.log_size()
    server.generate()
    server.wait_log(since, ["interrupted (canceled)"])


async def t_thread_busy(server):
    # Core: run_thread_busy_test (bitcoin#33923): calls queue on one thread.
    _, ctx, mining = await mining_ctx(server)
    template = (await mining.createNewBlock(ctx, mining_mod.BlockCreateOptions())).result
    promises = []
    for _ in range(3):
        since = server.log_size()
        promises.append(template.waitNext(ctx, wait_options()))
        await asyncio.sleep(0.1)
        server.wait_log(since, ["BlockTemplate.waitNext", "IPC server post request"])
    since = server.log_size()
    server.generate()
    server.wait_log(since, ["IPC server send response"])
    for p in promises:
        result = (await p).result
        await result.destroy(ctx)
    await template.destroy(ctx)


async def t_interrupt_wait_twice(server):
    # bitcoin#33676 review: the interrupt flag must reset after use.
    _, ctx, mining = await mining_ctx(server)
    template = (await mining.createNewBlock(ctx, mining_mod.BlockCreateOptions())).result
    for _ in range(2):
        promise = template.waitNext(ctx, wait_options())
        await asyncio.sleep(0.1)
        await template.interruptWait()
        assert not (await promise)._has("result")
    # A timeout gives no template either.
    assert not (await template.waitNext(ctx, wait_options(timeout=10.0)))._has("result")
    await template.destroy(ctx)


async def t_mining_interrupt_releases_wait_tip_changed(server):
    _, ctx, mining = await mining_ctx(server)
    tip = (await mining.getTip(ctx)).result
    promise = mining.waitTipChanged(ctx, tip.hash)
    await asyncio.sleep(0.1)
    await mining.interrupt()
    assert not (await promise)._has("result")
    # With a timeout it returns the current tip.
    again = (await mining.waitTipChanged(ctx, tip.hash, 10.0)).result
    assert again.height == tip.height


TESTS = [t_mining_inspectors, t_interrupt_wait_twice, t_mining_interrupt_releases_wait_tip_changed,
         t_unclean_disconnect_during_wait_next, t_thread_busy]


def main():
    server = Server(sys.argv[1])
    passed = failed = 0
    try:
        for t in TESTS:
            try:
                if asyncio.iscoroutinefunction(t):
                    asyncio.run(capnp.run(t(server)))
                else:
                    t(server)
                print(f"ok   {t.__name__}")
                passed += 1
            except Exception:
                print(f"FAIL {t.__name__}")
                traceback.print_exc()
                failed += 1
    finally:
        server.stop()
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
