# Types shared by several interfaces. BlockRef keeps Bitcoin Core's layout; the
# rest follows the conventions of Core's multiprocess branch.

@0xcd2c6232cb484a28;

using Proxy = import "/mp/proxy.capnp";

# A block named by hash (32 bytes, internal byte order) and height.
struct BlockRef {
    hash @0 :Data;
    height @1 :Int32;
}

# A message with its translation (Core's bilingual_str).
struct BilingualStr {
    original @0 :Text;
    translated @1 :Text;
}

# Settings handed to a spawned process; each value is JSON text.
struct Settings {
    forcedSettings @0 :List(Pair(Text, Text));
    commandLineOptions @1 :List(Pair(Text, List(Text)));
    rwSettings @2 :List(Pair(Text, Text));
    roConfig @3 :List(Pair(Text, List(Pair(Text, List(Text)))));
}

# Everything a child process needs from its parent's argument manager.
struct GlobalArgs $Proxy.count(0) {
    settings @0 :Settings;
    configPath @1 :Text;
}

# A value or an error (Core's util::Result).
struct Result(Value) {
    value @0 :Value;
    error @1 :BilingualStr;
}

# An error, or nothing on success.
struct ResultVoid {
    error @0 :BilingualStr;
}

# One map entry.
struct Pair(Key, Value) {
    key @0 :Key;
    value @1 :Value;
}

struct PairInt64(Key) {
    key @0 :Key;
    value @1 :Int64;
}

struct PairUInt64(Key) {
    key @0 :Key;
    value @1 :UInt64;
}
