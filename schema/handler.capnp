# Registration handle returned by every handle* method: destroy or disconnect
# to unregister the callback.

@0xebd8f46e2f369076;

using Proxy = import "/mp/proxy.capnp";

interface Handler {
    destroy @0 (context :Proxy.Context) -> ();
    disconnect @1 (context :Proxy.Context) -> ();
}
