# JSON-RPC over IPC, used by `bitcoin-cli -ipcconnect`.

@0x9c3505dc45e146ac;

using Common = import "common.capnp";
using Proxy = import "/mp/proxy.capnp";

interface Rpc {
    # request: a JSON-RPC request object or batch; uri: "/" or "/wallet/<name>";
    # user: the authenticated user for whitelists. Returns the JSON reply.
    executeRpc @0 (context :Proxy.Context, request :Text, uri :Text, user :Text) -> (result :Text);
}
