# Node services for the GUI process (first version: a prefix of the interface
# of Core's multiprocess branch; it grows in later issues).

@0x92546c47dc734b2e;

using Common = import "common.capnp";
using Handler = import "handler.capnp";
using Proxy = import "/mp/proxy.capnp";

interface Node {
    destroy @0 (context :Proxy.Context) -> ();
    initLogging @1 (context :Proxy.Context) -> ();
    initParameterInteraction @2 (context :Proxy.Context) -> ();
    getWarnings @3 (context :Proxy.Context) -> (result :Common.BilingualStr);
    getLogCategories @4 (context :Proxy.Context) -> (result :UInt64);
    getExitStatus @5 (context :Proxy.Context) -> (result :Int32);
}
