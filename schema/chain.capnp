# Node services for the wallet process (first version: a prefix of the
# interface of Core's multiprocess branch; it grows in later issues).

@0x94f21a4864bd2c65;

using Common = import "common.capnp";
using Handler = import "handler.capnp";
using Proxy = import "/mp/proxy.capnp";

interface Chain {
    destroy @0 (context :Proxy.Context) -> ();
    getHeight @1 (context :Proxy.Context) -> (result :Int32, hasResult :Bool);
    getBlockHash @2 (context :Proxy.Context, height :Int32) -> (result :Data);
    haveBlockOnDisk @3 (context :Proxy.Context, height :Int32) -> (result :Bool);
}

# Validation events sent to the wallet (first version).
interface ChainNotifications {
    destroy @0 (context :Proxy.Context) -> ();
    transactionAddedToMempool @1 (context :Proxy.Context, tx :Data) -> ();
    transactionRemovedFromMempool @2 (context :Proxy.Context, tx :Data, reason :Int32) -> ();
}
