# Runtime test interface (not part of the product's IPC contract): exercises
# callbacks passed as capabilities, nested calls back into the caller, and
# Handler registrations, the way ChainNotifications and the GUI callbacks will.

@0xb4c04169e765e4d8;

using Proxy = import "/mp/proxy.capnp";
using Common = import "/common.capnp";
using Handler = import "/handler.capnp";

interface Calculator {
    construct @0 (threadMap :Proxy.ThreadMap) -> (threadMap :Proxy.ThreadMap);
    destroy @1 (context :Proxy.Context) -> ();
    # Calls callback.call(value) from the worker and returns its result + 1.
    apply @2 (context :Proxy.Context, callback :Callback, value :Int32) -> (result :Int32);
    # Keeps callback until the returned Handler is released or disconnected.
    subscribe @3 (context :Proxy.Context, callback :Callback) -> (result :Handler.Handler);
    # Calls every subscribed callback; returns how many answered.
    notify @4 (context :Proxy.Context, value :Int32) -> (result :Int32);
    # Exists only to show that a method added to a schema and its trait
    # works over IPC with no change to the runtime: returns its argument
    # with each value reversed.
    reversePairs @5 (context :Proxy.Context, pairs :List(Common.Pair(Text, Data))) -> (result :List(Common.Pair(Text, Data)));
}

interface Callback {
    destroy @0 (context :Proxy.Context) -> ();
    call @1 (context :Proxy.Context, value :Int32) -> (result :Int32);
}
