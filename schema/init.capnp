# Bootstrap interface every process serves. Ordinals @0-@4 are Bitcoin Core's;
# @5-@7 are the ones Core's multiprocess branch uses.

@0xf2c5cfa319406aa6;

using Proxy = import "/mp/proxy.capnp";
using Chain = import "chain.capnp";
using Common = import "common.capnp";
using Echo = import "echo.capnp";
using Mining = import "mining.capnp";
using Node = import "node.capnp";
using Rpc = import "rpc.capnp";
using Wallet = import "wallet.capnp";

interface Init {
    # Swaps ThreadMaps; no context, so it runs on the event loop.
    construct @0 (threadMap :Proxy.ThreadMap) -> (threadMap :Proxy.ThreadMap);
    makeEcho @1 (context :Proxy.Context) -> (result :Echo.Echo);
    # Old (v30) place of makeMining: always answers an error.
    makeMiningOld2 @2 () -> ();
    makeMining @3 (context :Proxy.Context) -> (result :Mining.Mining);
    makeRpc @4 (context :Proxy.Context) -> (result :Rpc.Rpc);
    makeChain @5 (context :Proxy.Context) -> (result :Chain.Chain);
    makeNode @6 (context :Proxy.Context) -> (result :Node.Node);
    makeWalletLoader @7 (context :Proxy.Context, globalArgs :Common.GlobalArgs, chain :Chain.Chain) -> (result :Wallet.WalletLoader);
}
