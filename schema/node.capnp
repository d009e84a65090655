# What a GUI process asks of the node (Node), the callbacks it registers, and
# the values they carry. File id, names, ordinals and layouts are those of
# Bitcoin Core's multiprocess branch at the revision doc/ipc.md names.
# Methods without a context (the settings ones) run on the node's event loop.

@0x92546c47dc734b2e;

using Common = import "common.capnp";
using Handler = import "handler.capnp";
using Proxy = import "/mp/proxy.capnp";
using Wallet = import "wallet.capnp";

interface Node {
    destroy @0 (context :Proxy.Context) -> ();
    initLogging @1 (context :Proxy.Context) -> ();
    initParameterInteraction @2 (context :Proxy.Context) -> ();
    getWarnings @3 (context :Proxy.Context) -> (result :Common.BilingualStr);
    getLogCategories @4 (context :Proxy.Context) -> (result :UInt64);
    getExitStatus @5 (context :Proxy.Context) -> (result :Int32);
    baseInitialize @6 (context :Proxy.Context, globalArgs :Common.GlobalArgs) -> (error :Text $Proxy.exception("std::exception"), result :Bool);
    appInitMain @7 (context :Proxy.Context) -> (tipInfo :BlockAndHeaderTipInfo, error :Text $Proxy.exception("std::exception"), result :Bool);
    appShutdown @8 (context :Proxy.Context) -> ();
    startShutdown @9 (context :Proxy.Context) -> ();
    shutdownRequested @10 (context :Proxy.Context) -> (result :Bool);
    isSettingIgnored @11 (name :Text) -> (result :Bool);
    getPersistentSetting @12 (name :Text) -> (result :Text);
    updateRwSetting @13 (name :Text, value :Text) -> ();
    forceSetting @14 (name :Text, value :Text) -> ();
    resetSettings @15 () -> ();
    mapPort @16 (context :Proxy.Context, useNatPnP :Bool) -> ();
    getProxy @17 (context :Proxy.Context, net :Int32) -> (proxyInfo :ProxyInfo, result :Bool);
    getNodeCount @18 (context :Proxy.Context, flags :Int32) -> (result :UInt64);
    getNodesStats @19 (context :Proxy.Context) -> (stats :List(NodeStats), result :Bool);
    getBanned @20 (context :Proxy.Context) -> (banmap :Banmap, result :Bool);
    ban @21 (context :Proxy.Context, netAddr :Data, banTimeOffset :Int64) -> (result :Bool);
    unban @22 (context :Proxy.Context, ip :Data) -> (result :Bool);
    disconnectByAddress @23 (context :Proxy.Context, address :Data) -> (result :Bool);
    disconnectById @24 (context :Proxy.Context, id :Int64) -> (result :Bool);
    listExternalSigners @25 (context :Proxy.Context) -> (result :List(ExternalSigner));
    getTotalBytesRecv @26 (context :Proxy.Context) -> (result :Int64);
    getTotalBytesSent @27 (context :Proxy.Context) -> (result :Int64);
    getMempoolSize @28 (context :Proxy.Context) -> (result :UInt64);
    getMempoolDynamicUsage @29 (context :Proxy.Context) -> (result :UInt64);
    getMempoolMaxUsage @30 (context :Proxy.Context) -> (result :UInt64);
    getHeaderTip @31 (context :Proxy.Context) -> (height :Int32, blockTime :Int64, result :Bool);
    getNumBlocks @32 (context :Proxy.Context) -> (result :Int32);
    getNetLocalAddresses @33 (context :Proxy.Context) -> (result :List(Common.Pair(Data, LocalServiceInfo)));
    getBestBlockHash @34 (context :Proxy.Context) -> (result :Data);
    getLastBlockTime @35 (context :Proxy.Context) -> (result :Int64);
    getVerificationProgress @36 (context :Proxy.Context) -> (result :Float64);
    isInitialBlockDownload @37 (context :Proxy.Context) -> (result :Bool);
    isLoadingBlocks @38 (context :Proxy.Context) -> (result :Bool);
    setNetworkActive @39 (context :Proxy.Context, active :Bool) -> ();
    getNetworkActive @40 (context :Proxy.Context) -> (result :Bool);
    getDustRelayFee @41 (context :Proxy.Context) -> (result :Data);
    executeRpc @42 (context :Proxy.Context, command :Text, params :Text, uri :Text) -> (error :Text $Proxy.exception("std::exception"), rpcError :Text $Proxy.exception("UniValue"), result :Text);
    listRpcCommands @43 (context :Proxy.Context) -> (result :List(Text));
    getUnspentOutput @44 (context :Proxy.Context, output :Data) -> (result :Data);
    broadcastTransaction @45 (context :Proxy.Context, tx :Data, maxTxFee :Int64) -> (error :Text, result :Int32);
    customWalletLoader @46 (context :Proxy.Context) -> (result :Wallet.WalletLoader) $Proxy.name("walletLoader");
    handleInitMessage @47 (context :Proxy.Context, callback :InitMessageCallback) -> (result :Handler.Handler);
    handleMessageBox @48 (context :Proxy.Context, callback :MessageBoxCallback) -> (result :Handler.Handler);
    handleQuestion @49 (context :Proxy.Context, callback :QuestionCallback) -> (result :Handler.Handler);
    handleShowProgress @50 (context :Proxy.Context, callback :ShowNodeProgressCallback) -> (result :Handler.Handler);
    handleInitWallet @51 (context :Proxy.Context, callback :InitWalletCallback) -> (result :Handler.Handler);
    handleNotifyNumConnectionsChanged @52 (context :Proxy.Context, callback :NotifyNumConnectionsChangedCallback) -> (result :Handler.Handler);
    handleNotifyNetworkActiveChanged @53 (context :Proxy.Context, callback :NotifyNetworkActiveChangedCallback) -> (result :Handler.Handler);
    handleNotifyAlertChanged @54 (context :Proxy.Context, callback :NotifyAlertChangedCallback) -> (result :Handler.Handler);
    handleBannedListChanged @55 (context :Proxy.Context, callback :BannedListChangedCallback) -> (result :Handler.Handler);
    handleNotifyBlockTip @56 (context :Proxy.Context, callback :NotifyBlockTipCallback) -> (result :Handler.Handler);
    handleNotifyHeaderTip @57 (context :Proxy.Context, callback :NotifyHeaderTipCallback) -> (result :Handler.Handler);
}

interface ExternalSigner {
    destroy @0 (context :Proxy.Context) -> ();
    getName @1 (context :Proxy.Context) -> (result :Text);
}

interface InitMessageCallback {
    destroy @0 (context :Proxy.Context) -> ();
    call @1 (context :Proxy.Context, message :Text) -> ();
}

interface MessageBoxCallback {
    destroy @0 (context :Proxy.Context) -> ();
    call @1 (context :Proxy.Context, message :Common.BilingualStr, caption :Text, style :UInt32) -> (result :Bool);
}

interface QuestionCallback {
    destroy @0 (context :Proxy.Context) -> ();
    call @1 (context :Proxy.Context, message :Common.BilingualStr, nonInteractiveMessage :Text, caption :Text, style :UInt32) -> (result :Bool);
}

interface ShowNodeProgressCallback {
    destroy @0 (context :Proxy.Context) -> ();
    call @1 (context :Proxy.Context, title :Text, progress :Int32, resumePossible :Bool) -> ();
}

interface InitWalletCallback {
    destroy @0 (context :Proxy.Context) -> ();
    call @1 (context :Proxy.Context) -> ();
}

interface NotifyNumConnectionsChangedCallback {
    destroy @0 (context :Proxy.Context) -> ();
    call @1 (context :Proxy.Context, newNumConnections :Int32) -> ();
}

interface NotifyNetworkActiveChangedCallback {
    destroy @0 (context :Proxy.Context) -> ();
    call @1 (context :Proxy.Context, networkActive :Bool) -> ();
}

interface NotifyAlertChangedCallback {
    destroy @0 (context :Proxy.Context) -> ();
    call @1 (context :Proxy.Context) -> ();
}

interface BannedListChangedCallback {
    destroy @0 (context :Proxy.Context) -> ();
    call @1 (context :Proxy.Context) -> ();
}

interface NotifyBlockTipCallback {
    destroy @0 (context :Proxy.Context) -> ();
    call @1 (context :Proxy.Context, syncState :Int32, tip :BlockTip, verificationProgress :Float64) -> ();
}

interface NotifyHeaderTipCallback {
    destroy @0 (context :Proxy.Context) -> ();
    call @1 (context :Proxy.Context, syncState :Int32, tip :BlockTip, verificationProgress :Float64) -> ();
}

struct ProxyInfo {
    proxy @0 :Data;
    torStreamIsolation @1 :Bool;
}

struct NodeStats {
    nodeid @0 :Int64;
    lastSend @1 :Int64;
    lastRecv @2 :Int64;
    lastTXTime @3 :Int64;
    lastBlockTime @4 :Int64;
    timeConnected @5 :Int64;
    addrName @6 :Text;
    version @7 :Int32;
    cleanSubVer @8 :Text;
    inbound @9 :Bool;
    bip152HighbandwidthTo @10 :Bool;
    bip152HighbandwidthFrom @11 :Bool;
    startingHeight @12 :Int32;
    sendBytes @13 :UInt64;
    sendBytesPerMsgType @14 :List(Common.PairUInt64(Text));
    recvBytes @15 :UInt64;
    recvBytesPerMsgType @16 :List(Common.PairUInt64(Text));
    permissionFlags @17 :Int32;
    pingTime @18 :Int64;
    minPingTime @19 :Int64;
    addrLocal @20 :Text;
    addr @21 :Data;
    addrBind @22 :Data;
    network @23 :Int32;
    mappedAs @24 :UInt32;
    connType @25 :Int32;
    transportType @26 :UInt8;
    sessionId @27 :Text;
    # Unset when the node has no state for the peer yet.
    stateStats @28 :NodeStateStats;
}

struct NodeStateStats {
    syncHeight @0 :Int32;
    commonHeight @1 :Int32;
    startingHeight @2 :Int32;
    pingWait @3 :Int64;
    heightInFlight @4 :List(Int32);
    addressesProcessed @5 :UInt64;
    addressesRateLimited @6 :UInt64;
    addressRelayEnabled @7 :Bool;
    theirServices @8 :UInt64;
    presyncHeight @9 :Int64;
    timeOffset @10 :Int64;
}

# The ban list as the JSON listbanned answers.
struct Banmap {
    json @0 :Text;
}

struct BlockTip {
    blockHeight @0 :Int32;
    blockTime @1 :Int64;
    blockHash @2 :Data;
}

struct BlockAndHeaderTipInfo {
    blockHeight @0 :Int32;
    blockTime @1 :Int64;
    headerHeight @2 :Int32;
    headerTime @3 :Int64;
    verificationProgress @4 :Float64;
}

struct LocalServiceInfo {
    score @0 :Int32;
    port @1 :UInt16;
}
