//! Registration of every option `bitcoind` accepts (node, logging, wallet,
//! chain selection, RPC, IPC), with this project's own short help texts.

use crate::args::{ArgFlags, ArgsManager, OptionsCategory};

const ANY: ArgFlags = ArgFlags::ALLOW_ANY;
const DBG: ArgFlags = ArgFlags(ArgFlags::ALLOW_ANY.0 | ArgFlags::DEBUG_ONLY.0);
const NET: ArgFlags = ArgFlags(ArgFlags::ALLOW_ANY.0 | ArgFlags::NETWORK_ONLY.0);
const SECRET: ArgFlags = ArgFlags(ArgFlags::ALLOW_ANY.0 | ArgFlags::SENSITIVE.0);
const NONEG: ArgFlags = ArgFlags(ArgFlags::ALLOW_ANY.0 | ArgFlags::DISALLOW_NEGATION.0);

use OptionsCategory::{
    BlockCreation, ChainParams, Connection, DebugTest, Ipc, NodeRelay, Options, Rpc, Wallet,
    WalletDebugTest, Zmq,
};

/// (name with help parameter, help, flags, category)
type Spec = (&'static str, &'static str, ArgFlags, OptionsCategory);

const GENERAL: &[Spec] = &[
    ("-help", "Show this help and exit (also -h or -?)", ANY, Options),
    ("-help-debug", "Show help including debugging options and exit", ANY, DebugTest),
    ("-version", "Show the version and exit", ANY, Options),
    ("-alertnotify=<cmd>", "Run a command when an alert is raised (%s becomes the message)", ANY, Options),
    ("-assumevalid=<hex>", "Skip script checks for this block and its ancestors if it is in the best chain (0 checks everything; default: per-chain built-in hash)", ANY, Options),
    ("-blocksdir=<dir>", "Directory that holds the blocks subdirectory (default: <datadir>)", ANY, Options),
    ("-blocksxor", "Obfuscate block files with a random XOR key when creating a new blocks directory (default: 1)", ANY, Options),
    ("-blocknotify=<cmd>", "Run a command when the best block changes (%s becomes the block hash)", ANY, Options),
    ("-blockreconstructionextratxn=<n>", "Extra transactions kept for compact block reconstruction (default: 100)", ANY, Options),
    ("-blocksonly", "Do not accept transactions from peers; RPC submissions still work (default: 0)", ANY, Options),
    ("-coinstatsindex", "Keep a coin statistics index for gettxoutsetinfo (default: 0)", ANY, Options),
    ("-conf=<file>", "Read-only config file, relative to the datadir unless absolute; command line only (default: bitcoin.conf)", ANY, Options),
    ("-datadir=<dir>", "Data directory", NONEG, Options),
    ("-dbbatchsize", "Largest database write batch in bytes (default: 33554432)", DBG, Options),
    ("-dbcache=<n>", "Database cache size in MiB (minimum 4, default: 450)", ANY, Options),
    ("-includeconf=<file>", "Extra config file to read, relative to the datadir; config file only", ANY, Options),
    ("-allowignoredconf", "Only warn, rather than fail, when a bitcoin.conf in the datadir is not the one being used", ANY, Options),
    ("-loadblock=<file>", "Import blocks from an external blk file at startup", ANY, Options),
    ("-maxmempool=<n>", "Mempool size limit in megabytes (default: 300)", ANY, Options),
    ("-mempoolexpiry=<n>", "Drop mempool transactions older than <n> hours (default: 336)", ANY, Options),
    ("-minimumchainwork=<hex>", "Minimum total work a chain must have to be considered valid (default: per-chain)", DBG, Options),
    ("-par=<n>", "Script verification threads (0 = automatic, negative = leave that many cores free, default: 0)", ANY, Options),
    ("-prevoutfetchthreads=<n>", "Threads prefetching block input prevouts from the chainstate (0 disables)", ANY, Options),
    ("-persistmempool", "Save the mempool at shutdown and reload it at startup (default: 1)", ANY, Options),
    ("-persistmempoolv1", "Write mempool.dat in the legacy version 1 format (default: 0)", ANY, Options),
    ("-pid=<file>", "PID file, relative to the network datadir unless absolute (default: bitcoind.pid)", ANY, Options),
    ("-prune=<n>", "Prune old blocks: 0 = off, 1 = manual via RPC, >=550 = target size in MiB (default: 0)", ANY, Options),
    ("-reindex", "Rebuild the block index and chainstate from the blk*.dat files", ANY, Options),
    ("-reindex-chainstate", "Rebuild the chainstate from the blocks on disk", ANY, Options),
    ("-settings=<file>", "Dynamic settings file, relative to the network datadir unless absolute; -nosettings disables it (default: settings.json)", ANY, Options),
    ("-startupnotify=<cmd>", "Run a command at startup", ANY, Options),
    ("-shutdownnotify=<cmd>", "Run a command just before shutting down", ANY, Options),
    ("-txindex", "Keep a full transaction index for getrawtransaction (default: 0)", ANY, Options),
    ("-txospenderindex", "Keep an index of which transaction spends each output (default: 0)", ANY, Options),
    ("-blockfilterindex=<type>", "Keep compact block filter indexes (default: 0, values: basic; 1 enables all)", ANY, Options),
    ("-daemon", "Run in the background (default: 0)", ANY, Options),
    ("-daemonwait", "Run in the background once initialisation has finished (default: 0)", ANY, Options),
    ("-fastprune", "Small block files and a low prune minimum, for tests", DBG, DebugTest),
];

const LOGGING: &[Spec] = &[
    ("-debuglogfile=<file>", "Debug log file, relative to the network datadir unless absolute; -nodebuglogfile disables it (default: debug.log)", ANY, Options),
    ("-debug=<category>", "Enable debug and trace logging for a category, or all with 1 (default: off)", ANY, DebugTest),
    ("-debugexclude=<category>", "Exclude a category from debug logging; wins over -debug", ANY, DebugTest),
    ("-logips", "Include IP addresses in the log (default: 0)", ANY, DebugTest),
    ("-loglevel=<level>|<category>:<level>", "Global or per-category log level (trace, debug, info, warning, error; default: debug)", ArgFlags(ArgFlags::DISALLOW_NEGATION.0 | ArgFlags::DISALLOW_ELISION.0 | ArgFlags::DEBUG_ONLY.0), DebugTest),
    ("-logtimestamps", "Prefix log lines with a timestamp (default: 1)", ANY, DebugTest),
    ("-logthreadnames", "Prefix log lines with the thread name (default: 0)", ANY, DebugTest),
    ("-logsourcelocations", "Prefix log lines with the source location (default: 0)", ANY, DebugTest),
    ("-logtimemicros", "Microsecond log timestamps (default: 0)", DBG, DebugTest),
    ("-loglevelalways", "Always show category and level in log lines (default: 0)", ANY, DebugTest),
    ("-logratelimit", "Rate-limit log output per source location (default: 1)", ANY, DebugTest),
    ("-printtoconsole", "Also send log output to the console (default: 1 unless -daemon)", ANY, DebugTest),
    ("-shrinkdebugfile", "Trim debug.log at startup (default: 1 unless -debug)", ANY, DebugTest),
];

const CONNECTION: &[Spec] = &[
    ("-addnode=<ip>", "Peer to connect to and keep connected; repeatable", NET, Connection),
    ("-asmap=<file>", "AS mapping file for peer bucketing, relative to the network datadir", ANY, Connection),
    ("-bantime=<n>", "Default duration of manual bans in seconds (default: 86400)", ANY, Connection),
    ("-bind=<addr>[:<port>][=onion]", "Listen on this address; append =onion to mark inbound connections as Tor", NET, Connection),
    ("-cjdnsreachable", "This host can reach the CJDNS network (fc00::/8) (default: 0)", ANY, Connection),
    ("-connect=<ip>", "Connect only to these peers; -noconnect disables automatic connections; repeatable", NET, Connection),
    ("-discover", "Discover own IP addresses (default: 1 when listening without -externalip or -proxy)", ANY, Connection),
    ("-dns", "Allow DNS lookups for -addnode, -seednode and -connect (default: 1)", ANY, Connection),
    ("-dnsseed", "Query DNS seeds for peers when short of addresses (default: 1 unless -connect)", ANY, Connection),
    ("-externalip=<ip>", "Our own public address", ANY, Connection),
    ("-fixedseeds", "Use built-in seed addresses if DNS seeds give none (default: 1)", ANY, Connection),
    ("-forcednsseed", "Always query DNS seeds (default: 0)", ANY, Connection),
    ("-listen", "Accept inbound connections (default: 1 unless -proxy or -connect)", ANY, Connection),
    ("-listenonion", "Create a Tor onion service automatically (default: 1)", ANY, Connection),
    ("-maxconnections=<n>", "Maximum automatic peer connections (default: 125)", ANY, Connection),
    ("-maxreceivebuffer=<n>", "Per-connection receive buffer, <n>*1000 bytes (default: 5000)", ANY, Connection),
    ("-maxsendbuffer=<n>", "Per-connection send buffer, <n>*1000 bytes (default: 1000)", ANY, Connection),
    ("-maxuploadtarget=<n>", "Try to keep upload under this much per 24h, with optional k/m/g/t suffix (0 = unlimited, default: 0)", ANY, Connection),
    ("-onion=<ip:port|path>", "SOCKS5 proxy for Tor onion peers; -noonion disables (default: -proxy)", ANY, Connection),
    ("-i2psam=<ip:port>", "I2P SAM proxy for I2P peers", ANY, Connection),
    ("-i2pacceptincoming", "Accept inbound I2P connections when -i2psam is set (default: 1)", ANY, Connection),
    ("-onlynet=<net>", "Make automatic outbound connections only to this network (ipv4, ipv6, onion, i2p, cjdns); repeatable", ANY, Connection),
    ("-v2transport", "Support the BIP324 v2 transport (default: 1)", ANY, Connection),
    ("-peerbloomfilters", "Serve BIP37 bloom-filtered blocks and transactions (default: 0)", ANY, Connection),
    ("-peerblockfilters", "Serve BIP157 compact block filters (default: 0)", ANY, Connection),
    ("-txreconciliation", "Enable BIP330 transaction reconciliation (default: 0)", DBG, Connection),
    ("-port=<port>", "Listen for P2P connections on this port (default: 8333, testnet3: 18333, testnet4: 48333, signet: 38333, regtest: 18444)", NET, Connection),
    ("-proxy=<ip>[:<port>]|unix:<path>[=<network>]", "Connect through a SOCKS5 proxy, optionally only for one network; -noproxy disables", ArgFlags(ArgFlags::ALLOW_ANY.0 | ArgFlags::DISALLOW_ELISION.0), Connection),
    ("-proxyrandomize", "Use fresh proxy credentials per connection (default: 1)", ANY, Connection),
    ("-seednode=<ip>", "Connect to a node to fetch addresses, then disconnect; repeatable", ANY, Connection),
    ("-networkactive", "Enable P2P networking (default: 1)", ANY, Connection),
    ("-timeout=<n>", "Connect timeout in milliseconds (default: 5000)", ANY, Connection),
    ("-peertimeout=<n>", "Seconds of inactivity before a peer may be dropped (default: 60)", DBG, Connection),
    ("-torcontrol=<ip>:<port>", "Tor control port (default: 127.0.0.1:9051)", ANY, Connection),
    ("-torpassword=<pass>", "Tor control port password", SECRET, Connection),
    ("-natpmp", "Map the listening port with PCP or NAT-PMP (default: 0)", ANY, Connection),
    ("-whitebind=<[permissions@]addr>", "Listen on an address and grant permissions to its peers; repeatable", ANY, Connection),
    ("-whitelist=<[permissions@]IP address or network>", "Grant permissions to peers from an address or network; repeatable", ANY, Connection),
];

const WALLET: &[Spec] = &[
    ("-addresstype", "Address type for new addresses (legacy, p2sh-segwit, bech32, bech32m; default: bech32)", ANY, Wallet),
    ("-avoidpartialspends", "Spend all or none of the outputs to the same address (default: 0)", ANY, Wallet),
    ("-changetype", "Change output type (same values as -addresstype)", ANY, Wallet),
    ("-consolidatefeerate=<amt>", "Highest fee rate (BTC/kvB) at which extra inputs may be spent to consolidate (default: 0.0001)", ANY, Wallet),
    ("-disablewallet", "Do not load the wallet and disable wallet RPCs", ANY, Wallet),
    ("-discardfee=<amt>", "Fee rate (BTC/kvB) below which change is dropped into the fee (default: 0.0001)", ANY, Wallet),
    ("-fallbackfee=<amt>", "Fee rate (BTC/kvB) used when estimates are missing; 0 disables (default: 0)", ANY, Wallet),
    ("-keypool=<n>", "Key pool size (default: 1000)", ANY, Wallet),
    ("-maxapsfee=<n>", "Extra absolute fee (BTC) allowed to avoid partial spends (default: 0)", ANY, Wallet),
    ("-maxtxfee=<amt>", "Largest total fee (BTC) for one wallet transaction (default: 0.1)", ANY, DebugTest),
    ("-mintxfee=<amt>", "Fee rates (BTC/kvB) below this count as zero for transaction creation (default: 0.00001)", ANY, Wallet),
    ("-signer=<cmd>", "External signing tool", ANY, Wallet),
    ("-spendzeroconfchange", "Spend unconfirmed change (default: 1)", ANY, Wallet),
    ("-txconfirmtarget=<n>", "Aim for confirmation within <n> blocks (default: 6)", ANY, Wallet),
    ("-wallet=<path>", "Wallet to load at startup; repeatable", NET, Wallet),
    ("-walletbroadcast", "Broadcast wallet transactions (default: 1)", ANY, Wallet),
    ("-walletprocess=<mode>", "How wallets run: shared (one wallet process for all) or per-wallet (a process for each loaded wallet) (default: shared)", ANY, Wallet),
    ("-walletdir=<dir>", "Wallet directory (default: <datadir>/wallets if present, else <datadir>)", NET, Wallet),
    ("-walletnotify=<cmd>", "Run a command when a wallet transaction changes (%s txid, %w wallet, %b block hash, %h height)", ANY, Wallet),
    ("-walletrbf", "(deprecated) Signal RBF on wallet transactions (default: 1)", ANY, Wallet),
    ("-unsafesqlitesync", "Do not wait for SQLite syncs to disk; unsafe, for tests only", DBG, WalletDebugTest),
    ("-walletrejectlongchains", "Refuse to create transactions exceeding mempool chain limits (default: 1)", DBG, WalletDebugTest),
    ("-walletcrosschain", "Allow a wallet file to be used on another chain (default: 0)", DBG, WalletDebugTest),
];

const ZMQ: &[Spec] = &[
    (
        "-zmqpubhashblock=<address>",
        "Publish block hashes at <address>",
        ANY,
        Zmq,
    ),
    (
        "-zmqpubhashtx=<address>",
        "Publish transaction hashes at <address>",
        ANY,
        Zmq,
    ),
    (
        "-zmqpubrawblock=<address>",
        "Publish raw blocks at <address>",
        ANY,
        Zmq,
    ),
    (
        "-zmqpubrawtx=<address>",
        "Publish raw transactions at <address>",
        ANY,
        Zmq,
    ),
    (
        "-zmqpubsequence=<address>",
        "Publish block and transaction sequence events at <address>",
        ANY,
        Zmq,
    ),
    (
        "-zmqpubhashblockhwm=<n>",
        "High water mark for hashblock messages (default: 1000)",
        ANY,
        Zmq,
    ),
    (
        "-zmqpubhashtxhwm=<n>",
        "High water mark for hashtx messages (default: 1000)",
        ANY,
        Zmq,
    ),
    (
        "-zmqpubrawblockhwm=<n>",
        "High water mark for rawblock messages (default: 1000)",
        ANY,
        Zmq,
    ),
    (
        "-zmqpubrawtxhwm=<n>",
        "High water mark for rawtx messages (default: 1000)",
        ANY,
        Zmq,
    ),
    (
        "-zmqpubsequencehwm=<n>",
        "High water mark for sequence messages (default: 1000)",
        ANY,
        Zmq,
    ),
];

const DEBUG: &[Spec] = &[
    ("-checkblocks=<n>", "Blocks to verify at startup (default: 6, 0 = all)", DBG, DebugTest),
    ("-checklevel=<n>", "Thoroughness of the startup block check, 0-4 (default: 3)", DBG, DebugTest),
    ("-checkblockindex", "Check block index consistency every <n> operations, 0 disables (default: 0, regtest: 1)", DBG, DebugTest),
    ("-checkaddrman=<n>", "Check address manager consistency every <n> operations, 0 disables (default: 0)", DBG, DebugTest),
    ("-checkmempool=<n>", "Check mempool consistency every <n> transactions, 0 disables (default: 0, regtest: 1)", DBG, DebugTest),
    ("-deprecatedrpc=<method>", "Re-enable a deprecated RPC feature", DBG, DebugTest),
    ("-stopafterblockimport", "Exit after importing blocks from disk (default: 0)", DBG, DebugTest),
    ("-stopatheight", "Exit once the best chain reaches this height (default: 0)", DBG, DebugTest),
    ("-limitancestorcount=<n>", "(deprecated) Ancestor count limit, used only by wallet coin selection (default: 25)", DBG, DebugTest),
    ("-limitdescendantcount=<n>", "(deprecated) Descendant count limit, used only by wallet coin selection (default: 25)", DBG, DebugTest),
    ("-test=<option>", "Test-only switch: addrman, reindex_after_failure_noninteractive_yes, bip94, fastwalletrestart", DBG, DebugTest),
    ("-limitclustercount=<n>", "Largest mempool cluster, in transactions (default: 64)", DBG, DebugTest),
    ("-limitclustersize=<n>", "Largest mempool cluster, in kvB (default: 101)", DBG, DebugTest),
    ("-capturemessages", "Write all P2P messages to disk", DBG, DebugTest),
    ("-mocktime=<n>", "Pretend the time is <n> seconds since the epoch (default: 0)", DBG, DebugTest),
    ("-maxsigcachesize=<n>", "Signature and script cache size in MiB (default: 32)", DBG, DebugTest),
    ("-maxtipage=<n>", "Tip age in seconds above which the node counts as in initial block download (default: 86400)", DBG, DebugTest),
    ("-printpriority", "Log fee rates of transactions picked for blocks (default: 0)", DBG, DebugTest),
    ("-uacomment=<cmt>", "Add a comment to the user agent", ANY, DebugTest),
    ("-acceptstalefeeestimates", "Load fee estimates even when stale (regtest only; default: 0)", DBG, DebugTest),
    ("-testactivationheight=name@height.", "Activation height for a buried deployment (segwit, bip34, dersig, cltv, csv); test chains only", DBG, DebugTest),
];

const CHAIN: &[Spec] = &[
    (
        "-chain=<chain>",
        "Chain to use: main, test, testnet4, signet, regtest (default: main)",
        ANY,
        ChainParams,
    ),
    (
        "-regtest",
        "Use the local regression-test chain; same as -chain=regtest",
        DBG,
        ChainParams,
    ),
    (
        "-testnet",
        "Use testnet3 (deprecated); same as -chain=test",
        ANY,
        ChainParams,
    ),
    (
        "-testnet4",
        "Use testnet4; same as -chain=testnet4",
        ANY,
        ChainParams,
    ),
    (
        "-signet",
        "Use signet; same as -chain=signet",
        ANY,
        ChainParams,
    ),
    (
        "-signetchallenge",
        "Block script challenge for a custom signet (default: the global signet)",
        NONEG,
        ChainParams,
    ),
    (
        "-signetseednode",
        "Seed node host[:port] for signet; repeatable (default: built-in)",
        NONEG,
        ChainParams,
    ),
    (
        "-vbparams=deployment:start:end[:min_activation_height]",
        "Override a version bits deployment; test chains only",
        DBG,
        ChainParams,
    ),
];

const RELAY: &[Spec] = &[
    (
        "-acceptnonstdtxn",
        "Relay and mine non-standard transactions (test chains only; default: 0)",
        DBG,
        NodeRelay,
    ),
    (
        "-incrementalrelayfee=<amt>",
        "Fee rate (BTC/kvB) step for mempool limiting and replacement (default: 0.000001)",
        DBG,
        NodeRelay,
    ),
    (
        "-dustrelayfee=<amt>",
        "Fee rate (BTC/kvB) that defines dust outputs (default: 0.000003)",
        DBG,
        NodeRelay,
    ),
    (
        "-bytespersigop",
        "Virtual bytes counted per sigop for relay and mining (default: 20)",
        ANY,
        NodeRelay,
    ),
    (
        "-datacarrier",
        "Relay and mine data carrier (OP_RETURN) transactions (default: 1)",
        ANY,
        NodeRelay,
    ),
    (
        "-datacarriersize",
        "Largest total size of data carrier outputs relayed and mined (default: 100000)",
        ANY,
        NodeRelay,
    ),
    (
        "-permitbaremultisig",
        "Relay bare multisig outputs (default: 1)",
        ANY,
        NodeRelay,
    ),
    (
        "-minrelaytxfee=<amt>",
        "Fee rates (BTC/kvB) below this count as zero for relay and mining (default: 0.000001)",
        ANY,
        NodeRelay,
    ),
    (
        "-privatebroadcast",
        "Send sendrawtransaction submissions over short-lived Tor/I2P connections (default: 0)",
        ANY,
        NodeRelay,
    ),
    (
        "-whitelistforcerelay",
        "Give whitelisted peers with default permissions the forcerelay permission (default: 0)",
        ANY,
        NodeRelay,
    ),
    (
        "-whitelistrelay",
        "Give whitelisted peers with default permissions the relay permission (default: 1)",
        ANY,
        NodeRelay,
    ),
];

const BLOCK: &[Spec] = &[
    (
        "-blockmaxweight=<n>",
        "Largest block weight to create (default: 4000000)",
        DBG,
        BlockCreation,
    ),
    (
        "-blockreservedweight=<n>",
        "Weight reserved for the header and coinbase in templates (default: 8000)",
        ANY,
        BlockCreation,
    ),
    (
        "-blockmintxfee=<amt>",
        "Lowest fee rate (BTC/kvB) for transactions in new blocks (default: 0.00000001)",
        ANY,
        BlockCreation,
    ),
    (
        "-blockversion=<n>",
        "Override the block version, for tests",
        DBG,
        BlockCreation,
    ),
];

const RPC: &[Spec] = &[
    ("-rest", "Serve public REST requests (default: 0)", ANY, Rpc),
    ("-rpcallowip=<ip>", "Allow JSON-RPC from an address or network (IP, IP/netmask, IP/CIDR); repeatable", ANY, Rpc),
    ("-rpcauth=<userpw>", "JSON-RPC user with salted HMAC-SHA256 password, as <user>:<salt>$<hash>; repeatable", SECRET, Rpc),
    ("-rpcbind=<addr>[:port]", "Listen for JSON-RPC on this address (needs -rpcallowip; default: localhost); repeatable", NET, Rpc),
    ("-rpcdoccheck", "Report an error when an RPC's documentation is wrong (default: 1)", DBG, Rpc),
    ("-rpccookiefile=<loc>", "Auth cookie location, relative to the network datadir (default: .cookie)", ANY, Rpc),
    ("-rpccookieperms=<readable-by>", "Who may read the auth cookie: owner, group or all (default: owner)", ANY, Rpc),
    ("-rpcpassword=<pw>", "JSON-RPC password", SECRET, Rpc),
    ("-rpcport=<port>", "JSON-RPC port (default: 8332, testnet3: 18332, testnet4: 48332, signet: 38332, regtest: 18443)", NET, Rpc),
    ("-rpcservertimeout=<n>", "HTTP request timeout in seconds (default: 30)", DBG, Rpc),
    ("-rpcthreads=<n>", "Threads serving RPC calls (default: 16)", ANY, Rpc),
    ("-rpcuser=<user>", "JSON-RPC user name", SECRET, Rpc),
    ("-rpcwhitelist=<whitelist>", "Restrict a user to listed RPCs, as <user>:<rpc1>,<rpc2>; repeatable", ANY, Rpc),
    ("-rpcwhitelistdefault", "Whether users without -rpcwhitelist get an empty whitelist", ANY, Rpc),
    ("-rpcworkqueue=<n>", "Depth of the RPC work queue (default: 64)", DBG, Rpc),
    ("-server", "Serve JSON-RPC requests", ANY, Rpc),
];

const IPC: &[Spec] = &[
    (
        "-ipcbind=<address>",
        "Listen for IPC on a Unix socket: unix (<datadir>/node.sock) or unix:<path>; repeatable",
        ANY,
        Ipc,
    ),
    (
        "-ipcconnect=<address>",
        "Connect to a running node over IPC: unix or unix:<path>",
        ANY,
        Ipc,
    ),
    (
        "-ipcfd=<fd>",
        "Serve IPC on an inherited file descriptor (used when spawned by another process)",
        DBG,
        Ipc,
    ),
];

/// Options accepted but not shown: GUI options (so a shared config file
/// works), removed options that only warn, and internal test knobs.
const HIDDEN: &[&str] = &[
    "-h",
    "-?",
    "-dbcrashratio",
    "-forcecompactdb",
    "-choosedatadir",
    "-lang=<lang>",
    "-min",
    "-resetguisettings",
    "-splash",
    "-uiplatform",
    "-checkpoints",
    "-limitancestorsize",
    "-limitdescendantsize",
];

/// Registers every option Bitcoin Core's `bitcoind` accepts.
pub fn register_node_options(args: &ArgsManager) {
    for group in [
        GENERAL, LOGGING, CONNECTION, WALLET, ZMQ, DEBUG, CHAIN, RELAY, BLOCK, RPC, IPC,
    ] {
        register(args, group);
    }
    args.add_hidden_args(HIDDEN);
}

/// Registers the chain selection options (Core's
/// `SetupChainParamsBaseOptions`), for tools that pick a network.
pub fn register_chain_options(args: &ArgsManager) {
    register(args, CHAIN);
}

fn register(args: &ArgsManager, group: &[Spec]) {
    for (name, help, flags, cat) in group {
        args.add_arg(name, help, *flags, *cat);
    }
}

/// An [`ArgsManager`] with the node's options registered and `argv` (without
/// the program name) parsed: what option-reading code needs in its tests.
pub fn parse_node_args(argv: &[&str]) -> Result<ArgsManager, String> {
    let args = ArgsManager::new();
    register_node_options(&args);
    let mut full = vec!["bitcoin-node".to_string()];
    full.extend(argv.iter().map(|s| s.to_string()));
    args.parse_parameters(&full)?;
    Ok(args)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every option the functional test framework passes (§1.2) or writes to
    /// bitcoin.conf (§1.3) must be accepted.
    #[test]
    fn framework_options_accepted() {
        let a = ArgsManager::new();
        register_node_options(&a);
        let argv: Vec<String> = [
            "bitcoin-node",
            "-datadir=/tmp/x",
            "-logtimemicros",
            "-debug",
            "-debugexclude=leveldb",
            "-debugexclude=rand",
            "-uacomment=testnode0",
            "-disablewallet",
            "-logthreadnames",
            "-logsourcelocations",
            "-loglevel=trace",
            "-nologratelimit",
            "-v2transport=0",
            "-ipcbind=unix",
            "-bind=0.0.0.0:1",
            "-bind=127.0.0.1:2=onion",
            "-whitelist=noban,in,out@127.0.0.1",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        a.parse_parameters(&argv).unwrap();
        let conf = "regtest=1\n[regtest]\nport=1\nrpcport=2\nrpcservertimeout=99000\nrpcdoccheck=1\nrpcthreads=2\n\
fallbackfee=0.0002\nserver=1\nkeypool=1\ndiscover=0\ndnsseed=0\nfixedseeds=0\nlistenonion=0\n\
peertimeout=999999999\nprinttoconsole=0\nnatpmp=0\nshrinkdebugfile=0\nunsafesqlitesync=1\nconnect=0\n\
maxconnections=94\npar=2\nprevoutfetchthreads=1\nbind=127.0.0.1\n";
        a.read_config_string(conf).unwrap();
        a.select_config_network("regtest");
        assert_eq!(
            a.get_args("-bind"),
            vec!["0.0.0.0:1", "127.0.0.1:2=onion", "127.0.0.1"]
        );
        assert!(!a.get_bool_arg("-logratelimit", true));
        assert!(a.get_bool_arg("-unsafesqlitesync", false));
    }

    #[test]
    fn help_groups() {
        let a = ArgsManager::new();
        register_node_options(&a);
        let help = a.get_help_message();
        for h in [
            "Options:",
            "Connection options:",
            "Wallet options:",
            "ZeroMQ notification options:",
            "Debugging/Testing options:",
            "Chain selection options:",
            "Node relay options:",
            "Block creation options:",
            "RPC server options:",
            "IPC interprocess connection options:",
        ] {
            assert!(help.contains(&format!("{h}\n\n")), "missing {h}");
        }
        assert!(help.contains("  -rpcport=<port>\n       "));
        assert!(
            !help.contains("-regtest\n"),
            "debug-only shown without -help-debug"
        );
        assert!(!help.contains("Wallet debugging/testing options:"));
        assert!(!help.contains("-checkpoints"));
        for line in help.lines() {
            assert!(
                line.len() <= 79
                    || !line.contains(' ')
                    || line.trim_start().split(' ').count() == 1,
                "too long: {line}"
            );
        }
        let argv: Vec<String> = ["x", "-help-debug"].iter().map(|s| s.to_string()).collect();
        a.parse_parameters(&argv).unwrap();
        let help = a.get_help_message();
        assert!(help.contains("  -regtest\n"));
        assert!(help.contains("Wallet debugging/testing options:"));
        assert!(a.help_requested());
    }
}
