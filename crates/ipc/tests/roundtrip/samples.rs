//! What the generated fakes (`fakes.rs`) build on: sample values drawn from
//! one counter (so a run in-process and a run over IPC draw the same ones),
//! fingerprints that compare values (a capability's fingerprint is a probe
//! of all its methods, depth-limited), and the log of calls the fakes saw.

use bitcoin::hashes::Hash;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Mutex;

/// Implements every trait of `interfaces` (see `fakes.rs`).
pub struct Fake;

static COUNTER: AtomicU64 = AtomicU64::new(0);
static DEPTH: AtomicUsize = AtomicUsize::new(0);
static LOG: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// How deep capabilities handed out by capabilities are probed.
const MAX_DEPTH: usize = 3;

/// The next number of the sequence.
pub fn next() -> u64 {
    COUNTER.fetch_add(1, Ordering::SeqCst)
}

/// Starts a run: the sequence at `start`, an empty log.
pub fn reset(start: u64) {
    COUNTER.store(start, Ordering::SeqCst);
    DEPTH.store(0, Ordering::SeqCst);
    LOG.lock().unwrap_or_else(|p| p.into_inner()).clear();
}

/// The calls the fakes saw since [`reset`].
pub fn take_log() -> Vec<String> {
    std::mem::take(&mut *LOG.lock().unwrap_or_else(|p| p.into_inner()))
}

/// A fake saw a call with these argument fingerprints.
pub fn record(label: &str, args: Vec<String>) {
    LOG.lock()
        .unwrap_or_else(|p| p.into_inner())
        .push(format!("{label}({})", args.join(", ")));
}

/// A fake's answer: mostly a sample value, sometimes a failure, and for
/// methods with exception fields each kind they carry.
pub fn answer<R: Sample>(kinds: &[&str]) -> interfaces::Result<R> {
    let n = next();
    if n.is_multiple_of(11) {
        return Err(interfaces::Error::Remote(format!("fake failure {n}")));
    }
    if !kinds.is_empty() && n.is_multiple_of(5) {
        return Err(match kinds[(n / 5) as usize % kinds.len()] {
            "Rpc" => interfaces::Error::Rpc(format!(r#"{{"code":-8,"message":"fake {n}"}}"#)),
            "Help" => interfaces::Error::Help(format!("help text {n}")),
            _ => interfaces::Error::Remote(format!("fake exception {n}")),
        });
    }
    Ok(R::sample())
}

/// A call's outcome as a fingerprint.
pub fn outcome<R: Fingerprint>(r: interfaces::Result<R>) -> String {
    match r {
        Ok(v) => v.fingerprint(),
        Err(e) => format!("Err({e:?})"),
    }
}

/// Runs a probe one level deeper, or stops at [`MAX_DEPTH`].
pub fn nested(probe: impl FnOnce() -> String) -> String {
    let depth = DEPTH.fetch_add(1, Ordering::SeqCst);
    let out = if depth >= MAX_DEPTH {
        "<capability>".to_string()
    } else {
        format!("{{{}}}", probe())
    };
    DEPTH.fetch_sub(1, Ordering::SeqCst);
    out
}

/// A value to send.
pub trait Sample {
    /// The next sample.
    fn sample() -> Self;
}

/// What a value is, for comparing it after a trip.
pub trait Fingerprint {
    /// The fingerprint.
    fn fingerprint(&self) -> String;
}

macro_rules! debug_fingerprint {
    ($($t:ty),*) => {$(
        impl Fingerprint for $t {
            fn fingerprint(&self) -> String {
                format!("{self:?}")
            }
        }
    )*};
}
debug_fingerprint!(
    bool,
    i8,
    i16,
    i32,
    i64,
    u8,
    u16,
    u32,
    u64,
    f32,
    f64,
    String,
    str,
    (),
    [u8; 20],
    [u8; 32],
    bitcoin::BlockHash,
    bitcoin::Txid,
    bitcoin::Wtxid,
    bitcoin::Transaction,
    bitcoin::TxIn,
    bitcoin::TxOut,
    bitcoin::OutPoint,
    bitcoin::ScriptBuf,
    bitcoin::Block,
    bitcoin::block::Header,
    std::time::Duration,
    std::path::PathBuf,
    std::path::Path,
    interfaces::node::NetAddress,
    interfaces::chain::BlockLocator,
    interfaces::chain::RbfTransactionState,
    interfaces::chain::TxBroadcast,
    interfaces::chain::MemPoolRemovalReason,
    interfaces::chain::SettingsAction,
    interfaces::node::SyncState,
    interfaces::wallet::TxDestination
);

impl<T: Fingerprint> Fingerprint for [T] {
    fn fingerprint(&self) -> String {
        let items: Vec<String> = self.iter().map(Fingerprint::fingerprint).collect();
        format!("[{}]", items.join(", "))
    }
}

impl<T: Fingerprint> Fingerprint for Vec<T> {
    fn fingerprint(&self) -> String {
        self.as_slice().fingerprint()
    }
}

impl<T: Fingerprint> Fingerprint for Option<T> {
    fn fingerprint(&self) -> String {
        match self {
            Some(v) => format!("Some({})", v.fingerprint()),
            None => "None".into(),
        }
    }
}

impl<T: Fingerprint> Fingerprint for Box<T> {
    fn fingerprint(&self) -> String {
        (**self).fingerprint()
    }
}

impl<T: Fingerprint> Fingerprint for Result<T, interfaces::BilingualStr> {
    fn fingerprint(&self) -> String {
        match self {
            Ok(v) => format!("Ok({})", v.fingerprint()),
            Err(e) => format!("Err({})", e.fingerprint()),
        }
    }
}

macro_rules! tuples {
    ($(($($n:ident $i:tt),*)),*) => {$(
        impl<$($n: Fingerprint),*> Fingerprint for ($($n,)*) {
            fn fingerprint(&self) -> String {
                let items: Vec<String> = vec![$(self.$i.fingerprint()),*];
                format!("({})", items.join(", "))
            }
        }
        impl<$($n: Sample),*> Sample for ($($n,)*) {
            fn sample() -> Self {
                ($($n::sample(),)*)
            }
        }
    )*};
}
tuples!((A 0, B 1), (A 0, B 1, C 2), (A 0, B 1, C 2, D 3), (A 0, B 1, C 2, D 3, E 4));

impl Sample for bool {
    fn sample() -> Self {
        next() % 2 == 1
    }
}

macro_rules! int_sample {
    ($($t:ty),*) => {$(
        impl Sample for $t {
            fn sample() -> Self {
                // Wrapping on purpose: extremes and negatives included.
                (next() as i64).wrapping_mul(-0x1f2e_3d4c_5b6a_7988) as $t
            }
        }
    )*};
}
int_sample!(i8, i16, i32, i64, u8, u16, u64);

/// Below 2^31: a coin's height, the one `u32` the wire keeps in 31 bits,
/// must be a real height to cross.
impl Sample for u32 {
    fn sample() -> Self {
        (next() as u32).wrapping_mul(0x9e37_79b9) & 0x7fff_ffff
    }
}

impl Sample for f64 {
    fn sample() -> Self {
        next() as f64 * 1.25 - 3.0
    }
}

impl Sample for f32 {
    fn sample() -> Self {
        next() as f32 * 0.5 - 1.0
    }
}

impl Sample for () {
    fn sample() -> Self {}
}

impl Sample for String {
    fn sample() -> Self {
        format!("s{}é", next())
    }
}

impl<T: Sample> Sample for Vec<T> {
    fn sample() -> Self {
        (0..next() % 3).map(|_| T::sample()).collect()
    }
}

static SAMPLE_DEPTH: AtomicUsize = AtomicUsize::new(0);

impl<T: Sample> Sample for Option<T> {
    fn sample() -> Self {
        // Recursive structs (`FoundBlockParam.nextBlock`) end after a few levels.
        let depth = SAMPLE_DEPTH.fetch_add(1, Ordering::SeqCst);
        let out = if next().is_multiple_of(4) || depth > 2 {
            None
        } else {
            Some(T::sample())
        };
        SAMPLE_DEPTH.fetch_sub(1, Ordering::SeqCst);
        out
    }
}

impl<T: Sample> Sample for Box<T> {
    fn sample() -> Self {
        Box::new(T::sample())
    }
}

impl<T: Sample> Sample for Result<T, interfaces::BilingualStr> {
    fn sample() -> Self {
        if next().is_multiple_of(3) {
            Err(interfaces::BilingualStr::sample())
        } else {
            Ok(T::sample())
        }
    }
}

impl Sample for [u8; 20] {
    fn sample() -> Self {
        [next() as u8; 20]
    }
}

impl Sample for [u8; 32] {
    fn sample() -> Self {
        [next() as u8; 32]
    }
}

impl Sample for bitcoin::BlockHash {
    fn sample() -> Self {
        Self::from_byte_array(<[u8; 32]>::sample())
    }
}

impl Sample for bitcoin::Txid {
    fn sample() -> Self {
        Self::from_byte_array(<[u8; 32]>::sample())
    }
}

impl Sample for bitcoin::Wtxid {
    fn sample() -> Self {
        Self::from_byte_array(<[u8; 32]>::sample())
    }
}

impl Sample for bitcoin::ScriptBuf {
    fn sample() -> Self {
        let n = next() as u8;
        // A script no compression rewrites: OP_n OP_DROP OP_TRUE.
        bitcoin::ScriptBuf::from_bytes(vec![0x01, n, 0x75, 0x51])
    }
}

impl Sample for bitcoin::OutPoint {
    fn sample() -> Self {
        bitcoin::OutPoint {
            txid: bitcoin::Txid::sample(),
            vout: next() as u32,
        }
    }
}

impl Sample for bitcoin::TxOut {
    fn sample() -> Self {
        bitcoin::TxOut {
            value: bitcoin::Amount::from_sat(next() * 1000),
            script_pubkey: bitcoin::ScriptBuf::sample(),
        }
    }
}

/// A lone input carries no witness (Core serializes it with the transaction).
impl Sample for bitcoin::TxIn {
    fn sample() -> Self {
        bitcoin::TxIn {
            previous_output: bitcoin::OutPoint::sample(),
            script_sig: bitcoin::ScriptBuf::sample(),
            sequence: bitcoin::Sequence(next() as u32),
            witness: bitcoin::Witness::new(),
        }
    }
}

impl Sample for bitcoin::Transaction {
    fn sample() -> Self {
        let n = next();
        let mut input = bitcoin::TxIn::sample();
        if n % 2 == 1 {
            input.witness = bitcoin::Witness::from_slice(&[vec![n as u8; 3]]);
        }
        bitcoin::Transaction {
            version: bitcoin::transaction::Version(2),
            lock_time: bitcoin::absolute::LockTime::from_consensus(n as u32 % 500_000_000),
            input: vec![input],
            output: vec![bitcoin::TxOut::sample()],
        }
    }
}

impl Sample for bitcoin::block::Header {
    fn sample() -> Self {
        bitcoin::block::Header {
            version: bitcoin::block::Version::from_consensus(4),
            prev_blockhash: bitcoin::BlockHash::sample(),
            merkle_root: bitcoin::TxMerkleNode::from_byte_array(<[u8; 32]>::sample()),
            time: next() as u32,
            bits: bitcoin::CompactTarget::from_consensus(0x207fffff),
            nonce: next() as u32,
        }
    }
}

impl Sample for bitcoin::Block {
    fn sample() -> Self {
        bitcoin::Block {
            header: bitcoin::block::Header::sample(),
            txdata: vec![bitcoin::Transaction::sample()],
        }
    }
}

impl Sample for std::time::Duration {
    fn sample() -> Self {
        std::time::Duration::from_millis(next() * 250)
    }
}

impl Sample for std::path::PathBuf {
    fn sample() -> Self {
        std::path::PathBuf::from(format!("/tmp/wallet-{}", next()))
    }
}

impl Sample for interfaces::node::NetAddress {
    fn sample() -> Self {
        interfaces::node::NetAddress(format!("10.0.0.{}", next() % 256))
    }
}

impl Sample for interfaces::chain::BlockLocator {
    fn sample() -> Self {
        interfaces::chain::BlockLocator(Vec::sample())
    }
}

macro_rules! enum_sample {
    ($t:ty: $($v:expr),*) => {
        impl Sample for $t {
            fn sample() -> Self {
                let all = [$($v),*];
                all[next() as usize % all.len()]
            }
        }
    };
}
use interfaces::chain::{MemPoolRemovalReason as R, RbfTransactionState as S, SettingsAction as A};
enum_sample!(S: S::Unknown, S::ReplaceableBip125, S::Final);
enum_sample!(R: R::Expiry, R::SizeLimit, R::Reorg, R::Block, R::Conflict, R::Replaced);
enum_sample!(A: A::Write, A::SkipWrite);
enum_sample!(interfaces::chain::TxBroadcast:
    interfaces::chain::TxBroadcast::MempoolAndBroadcastToAll,
    interfaces::chain::TxBroadcast::MempoolNoBroadcast,
    interfaces::chain::TxBroadcast::NoMempoolPrivateBroadcast);
enum_sample!(interfaces::node::SyncState:
    interfaces::node::SyncState::InitReindex,
    interfaces::node::SyncState::InitDownload,
    interfaces::node::SyncState::PostInit);

impl Sample for interfaces::wallet::TxDestination {
    fn sample() -> Self {
        use interfaces::wallet::TxDestination as D;
        let n = next();
        let b = n as u8;
        match n % 8 {
            0 => D::None,
            1 => D::PubKey(vec![2; 33]),
            2 => D::PkHash([b; 20]),
            3 => D::ScriptHash([b; 20]),
            4 => D::WitnessV0ScriptHash([b; 32]),
            5 => D::WitnessV0KeyHash([b; 20]),
            6 => D::WitnessV1Taproot([b; 32]),
            _ => D::WitnessUnknown {
                version: 2,
                program: vec![b; 4],
            },
        }
    }
}
