# libmultiprocess session conventions, as Bitcoin Core's IPC peers expect them on
# the wire. The file id and the type names fix the interface ids: keep them.

@0xcc316e3f71a040fb;

# Code-generation hints for C++ (mpgen). They never travel on the wire; they are
# declared so that schemas written for Core load unchanged.
annotation include(file): Text;
annotation includeTypes(file): Text;
annotation wrap(interface, struct): Text;
annotation count(param, struct, interface): Int32;
annotation exception(param): Text;
annotation name(field, method): Text;
annotation skip(field): Void;

# Lets a peer create named worker threads in this process.
interface ThreadMap $count(0) {
    makeThread @0 (name :Text) -> (result :Thread);
    # Newer peers (libmultiprocess v11+) may ask for a pool; we answer an error.
    makePool @1 (count :UInt32) -> ();
}

# One worker thread created by makeThread.
interface Thread {
    getName @0 () -> (result :Text);
}

# First parameter of every method that runs on a worker thread.
struct Context $count(0) {
    thread @0 :Thread;          # worker that must run the call
    callbackThread @1 :Thread;  # caller's thread for nested calls back to it
}
