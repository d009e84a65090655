//! Chain parameters for every network, with Bitcoin Core's values, and the
//! `-testactivationheight`, `-vbparams` and `-signetchallenge` options.

use bitcoin::blockdata::constants::genesis_block;
use bitcoin::hashes::{sha256d, Hash};
use bitcoin::{Block, BlockHash, Network, Work};
use common::args::ArgsManager;
use common::chaintype::ChainType;

use crate::arith::U256;
use crate::flags::{SCRIPT_VERIFY_NONE, SCRIPT_VERIFY_P2SH, SCRIPT_VERIFY_WITNESS};

/// Default `-maxtipage`: a tip older than this keeps the node in initial
/// block download (24 hours, in seconds).
pub const DEFAULT_MAX_TIP_AGE: i64 = 24 * 60 * 60;

/// A soft fork whose activation height is hard-coded (BIP90).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum BuriedDeployment {
    /// BIP34: block height in the coinbase.
    HeightInCb,
    /// BIP65: OP_CHECKLOCKTIMEVERIFY.
    Cltv,
    /// BIP66: strict DER signatures.
    DerSig,
    /// BIP68, BIP112, BIP113: relative lock times, CSV, median-time-past lock times.
    Csv,
    /// BIP141, BIP143, BIP147: segregated witness.
    Segwit,
}

impl BuriedDeployment {
    /// All buried deployments in Core's order.
    pub const ALL: [BuriedDeployment; 5] = [
        BuriedDeployment::HeightInCb,
        BuriedDeployment::Cltv,
        BuriedDeployment::DerSig,
        BuriedDeployment::Csv,
        BuriedDeployment::Segwit,
    ];

    /// The name `getdeploymentinfo` reports ("bip34", "bip65", "bip66", "csv", "segwit").
    pub fn name(self) -> &'static str {
        match self {
            BuriedDeployment::HeightInCb => "bip34",
            BuriedDeployment::Cltv => "bip65",
            BuriedDeployment::DerSig => "bip66",
            BuriedDeployment::Csv => "csv",
            BuriedDeployment::Segwit => "segwit",
        }
    }

    /// Parses the name used by `-testactivationheight` ("segwit", "bip34",
    /// "dersig", "cltv", "csv").
    pub fn from_test_name(name: &str) -> Option<BuriedDeployment> {
        match name {
            "segwit" => Some(BuriedDeployment::Segwit),
            "bip34" => Some(BuriedDeployment::HeightInCb),
            "dersig" => Some(BuriedDeployment::DerSig),
            "cltv" => Some(BuriedDeployment::Cltv),
            "csv" => Some(BuriedDeployment::Csv),
            _ => None,
        }
    }
}

/// A BIP9 (version bits) deployment. Core master only has `testdummy`;
/// taproot and the earlier soft forks are enforced by height or always.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DeploymentPos {
    /// The dummy deployment used by tests.
    TestDummy,
}

/// Number of BIP9 deployments.
pub const MAX_VERSION_BITS_DEPLOYMENTS: usize = 1;

impl DeploymentPos {
    /// All BIP9 deployments.
    pub const ALL: [DeploymentPos; MAX_VERSION_BITS_DEPLOYMENTS] = [DeploymentPos::TestDummy];

    /// Index into [`Params::deployments`].
    pub fn index(self) -> usize {
        match self {
            DeploymentPos::TestDummy => 0,
        }
    }

    /// Name used by `-vbparams`, `getdeploymentinfo` and `getblocktemplate`.
    pub fn name(self) -> &'static str {
        match self {
            DeploymentPos::TestDummy => "testdummy",
        }
    }

    /// Whether `getblocktemplate` clients may ignore the rule (a `!` prefix is
    /// omitted in the rules list when true).
    pub fn gbt_optional_rule(self) -> bool {
        match self {
            DeploymentPos::TestDummy => true,
        }
    }

    /// Parses a deployment name.
    pub fn from_name(name: &str) -> Option<DeploymentPos> {
        DeploymentPos::ALL.into_iter().find(|d| d.name() == name)
    }
}

/// Transaction totals at a recent block (Core's `ChainTxData`), from which
/// verification progress is extrapolated.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct ChainTxData {
    /// Time of that block.
    pub time: i64,
    /// Transactions up to and including it.
    pub tx_count: u64,
    /// Transactions per second expected after it.
    pub tx_rate: f64,
}

/// One UTXO snapshot the chain accepts for `loadtxoutset` (Core's
/// `AssumeutxoData`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AssumeutxoData {
    /// Height of the snapshot's base block.
    pub height: u32,
    /// The expected `hash_serialized_3` of the UTXO set at the base, in
    /// internal byte order (as the hasher returns it).
    pub hash_serialized: [u8; 32],
    /// Transactions in the chain up to and including the base block.
    pub chain_tx_count: u64,
    /// Hash of the base block.
    pub blockhash: BlockHash,
}

/// Builds the assumeutxo table from (height, hash_serialized hex,
/// chain tx count, block hash hex) rows written as Core displays them.
fn assumeutxo(rows: &[(u32, &str, u64, &str)]) -> Vec<AssumeutxoData> {
    rows.iter()
        .map(|&(height, utxo_hash, chain_tx_count, block)| {
            let mut hash_serialized = [0u8; 32];
            for (i, b) in hash_serialized.iter_mut().enumerate() {
                *b = u8::from_str_radix(&utxo_hash[2 * i..2 * i + 2], 16).unwrap_or(0);
            }
            // Displayed hashes are byte-reversed.
            hash_serialized.reverse();
            AssumeutxoData {
                height,
                hash_serialized,
                chain_tx_count,
                blockhash: hash(block),
            }
        })
        .collect()
}

/// Parameters of one BIP9 deployment (Core's `BIP9Deployment`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Bip9Deployment {
    /// Bit of nVersion used for signalling.
    pub bit: u8,
    /// Start median time past; [`Bip9Deployment::ALWAYS_ACTIVE`] or
    /// [`Bip9Deployment::NEVER_ACTIVE`] are special.
    pub start_time: i64,
    /// Timeout median time past.
    pub timeout: i64,
    /// Once locked in, activation waits until at least this height.
    pub min_activation_height: i64,
    /// Signalling period in blocks.
    pub period: u32,
    /// Signalling blocks needed in a period to lock in.
    pub threshold: u32,
}

impl Bip9Deployment {
    /// Timeout value meaning "never times out".
    pub const NO_TIMEOUT: i64 = i64::MAX;
    /// Start time meaning the deployment is always active.
    pub const ALWAYS_ACTIVE: i64 = -1;
    /// Start time meaning the deployment is never active.
    pub const NEVER_ACTIVE: i64 = -2;
}

/// Consensus and network parameters of one chain (Core's `CChainParams`
/// with its `Consensus::Params`).
#[derive(Clone, Debug)]
pub struct Params {
    /// Which chain.
    pub chain: ChainType,
    /// The genesis block.
    pub genesis: Block,
    /// Hash of the genesis block.
    pub genesis_hash: BlockHash,
    /// Blocks between subsidy halvings.
    pub subsidy_halving_interval: u32,
    /// Blocks whose scripts fail the default flags; they are checked with
    /// these flags instead (Core's `script_flag_exceptions`).
    pub script_flag_exceptions: Vec<(BlockHash, u32)>,
    /// BIP34 activation height.
    pub bip34_height: u32,
    /// Hash of the block at the BIP34 height (`None` where Core has zero).
    pub bip34_hash: Option<BlockHash>,
    /// BIP65 activation height.
    pub bip65_height: u32,
    /// BIP66 activation height.
    pub bip66_height: u32,
    /// CSV (BIP68/112/113) activation height.
    pub csv_height: u32,
    /// Segwit (BIP141/143/147) activation height.
    pub segwit_height: u32,
    /// No warnings about unknown version bits below this height.
    pub min_bip9_warning_height: u32,
    /// BIP9 deployments, indexed by [`DeploymentPos::index`].
    pub deployments: [Bip9Deployment; MAX_VERSION_BITS_DEPLOYMENTS],
    /// Proof-of-work limit (easiest allowed target) as a 256-bit number.
    pub pow_limit: U256,
    /// Testnet rule: a block 20 minutes after its parent may have minimum difficulty.
    pub allow_min_difficulty_blocks: bool,
    /// BIP94 timewarp (and, on testnet4, block storm) mitigation.
    pub enforce_bip94: bool,
    /// Regtest: the difficulty never changes.
    pub no_retargeting: bool,
    /// Target seconds between blocks.
    pub pow_target_spacing: i64,
    /// Target seconds per difficulty period.
    pub pow_target_timespan: i64,
    /// The best chain must have at least this much work.
    pub minimum_chain_work: Work,
    /// Default `-assumevalid` block (`None` where Core has zero).
    pub default_assume_valid: Option<BlockHash>,
    /// Whether blocks carry a signet solution (BIP325).
    pub signet_blocks: bool,
    /// The signet challenge script (empty off signet).
    pub signet_challenge: Vec<u8>,
    /// P2P message start bytes.
    pub message_start: [u8; 4],
    /// Default P2P port.
    pub default_port: u16,
    /// DNS seeds (Core's `vSeeds`); a custom signet has none.
    pub dns_seeds: Vec<String>,
    /// Pruning never deletes below this height.
    pub prune_after_height: u64,
    /// Known transaction history, for estimating verification progress.
    pub chain_tx_data: ChainTxData,
    /// The UTXO snapshots this chain accepts (Core's `m_assumeutxo_data`),
    /// by increasing height; `dumptxoutset rollback` targets the highest.
    pub assumeutxo: Vec<AssumeutxoData>,
    /// Approximate blockchain size in GB (for the prune warning).
    pub assumed_blockchain_size: u64,
    /// Approximate chainstate size in GB.
    pub assumed_chain_state_size: u64,
    /// Default `-maxtipage` in seconds.
    pub max_tip_age: i64,
    /// Default for `-checkblockindex` and friends (true on regtest).
    pub default_consistency_checks: bool,
    /// Whether `setmocktime` is allowed (regtest).
    pub is_mockable_chain: bool,
}

/// The `bitcoin` crate's network for a chain type (addresses, key prefixes).
pub fn network(chain: ChainType) -> Network {
    match chain {
        ChainType::Main => Network::Bitcoin,
        ChainType::Testnet => Network::Testnet,
        ChainType::Testnet4 => Network::Testnet4,
        ChainType::Signet => Network::Signet,
        ChainType::Regtest => Network::Regtest,
    }
}

fn hash(s: &str) -> BlockHash {
    // Only called with the literal constants below.
    s.parse().unwrap_or_else(|_| BlockHash::all_zeros())
}

/// A 256-bit number typed by a user: hex with an optional `0x`, at most 64
/// digits (Core's `uint256::FromUserHex`).
fn strings(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

fn work(s: &str) -> Work {
    Work::from_unprefixed_hex(s).unwrap_or_else(|_| Work::from_be_bytes([0; 32]))
}

fn testdummy(start_time: i64, threshold: u32, period: u32) -> [Bip9Deployment; 1] {
    [Bip9Deployment {
        bit: 28,
        start_time,
        timeout: Bip9Deployment::NO_TIMEOUT,
        min_activation_height: 0,
        period,
        threshold,
    }]
}

fn pow_limit(hex: &str) -> U256 {
    let mut b = [0u8; 32];
    for (i, byte) in b.iter_mut().enumerate() {
        *byte = u8::from_str_radix(hex.get(2 * i..2 * i + 2).unwrap_or("00"), 16).unwrap_or(0);
    }
    U256::from_be_bytes(b)
}

/// Options collected from the command line before building parameters.
#[derive(Clone, Debug, Default)]
struct DeploymentOptions {
    activation_heights: Vec<(BuriedDeployment, u32)>,
    version_bits: Vec<(DeploymentPos, i64, i64, i64)>,
}

impl Params {
    /// Heights of the snapshots `loadtxoutset` accepts (Core's
    /// `GetAvailableSnapshotHeights`).
    pub fn snapshot_heights(&self) -> Vec<u32> {
        self.assumeutxo.iter().map(|a| a.height).collect()
    }

    /// The snapshot data for base block `hash` (Core's `AssumeutxoForBlockhash`).
    pub fn assumeutxo_for_blockhash(&self, hash: &BlockHash) -> Option<&AssumeutxoData> {
        self.assumeutxo.iter().find(|a| a.blockhash == *hash)
    }

    /// The snapshot data at `height` (Core's `AssumeutxoForHeight`).
    pub fn assumeutxo_for_height(&self, height: u32) -> Option<&AssumeutxoData> {
        self.assumeutxo.iter().find(|a| a.height == height)
    }

    /// Mainnet parameters.
    pub fn main() -> Params {
        let genesis = genesis_block(Network::Bitcoin);
        Params {
            chain: ChainType::Main,
            genesis_hash: genesis.block_hash(),
            genesis,
            subsidy_halving_interval: 210_000,
            script_flag_exceptions: vec![
                (
                    hash("00000000000002dc756eebf4f49723ed8d30cc28a5f108eb94b1ba88ac4f9c22"),
                    SCRIPT_VERIFY_NONE,
                ),
                (
                    hash("0000000000000000000f14c35b2d841e986ab5441de8c585d5ffe55ea1e395ad"),
                    SCRIPT_VERIFY_P2SH | SCRIPT_VERIFY_WITNESS,
                ),
            ],
            bip34_height: 227_931,
            bip34_hash: Some(hash(
                "000000000000024b89b42a942fe0d9fea3bb44ab7bd1b19115dd6a759c0808b8",
            )),
            bip65_height: 388_381,
            bip66_height: 363_725,
            csv_height: 419_328,
            segwit_height: 481_824,
            min_bip9_warning_height: 711_648,
            deployments: testdummy(Bip9Deployment::NEVER_ACTIVE, 1815, 2016),
            pow_limit: pow_limit(
                "00000000ffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
            ),
            allow_min_difficulty_blocks: false,
            enforce_bip94: false,
            no_retargeting: false,
            pow_target_spacing: 10 * 60,
            pow_target_timespan: 14 * 24 * 60 * 60,
            minimum_chain_work: work(
                "0000000000000000000000000000000000000001128750f82f4c366153a3a030",
            ),
            default_assume_valid: Some(hash(
                "00000000000000000000ccebd6d74d9194d8dcdc1d177c478e094bfad51ba5ac",
            )),
            signet_blocks: false,
            signet_challenge: Vec::new(),
            message_start: [0xf9, 0xbe, 0xb4, 0xd9],
            default_port: 8333,
            dns_seeds: strings(&[
                "dnsseed.bluematt.me.",
                "seed.bitcoin.jonasschnelli.ch.",
                "seed.btc.petertodd.net.",
                "seed.bitcoin.sprovoost.nl.",
                "dnsseed.emzy.de.",
                "seed.bitcoin.wiz.biz.",
                "seed.mainnet.achownodes.xyz.",
            ]),
            chain_tx_data: ChainTxData {
                time: 1772055173,
                tx_count: 1_315_805_869,
                tx_rate: 5.40111006496122,
            },
            assumeutxo: assumeutxo(&[
                (
                    840000,
                    "a2a5521b1b5ab65f67818e5e8eccabb7171a517f9e2382208f77687310768f96",
                    991032194,
                    "0000000000000000000320283a032748cef8227873ff4872689bf23f1cda83a5",
                ),
                (
                    880000,
                    "dbd190983eaf433ef7c15f78a278ae42c00ef52e0fd2a54953782175fbadcea9",
                    1145604538,
                    "000000000000000000010b17283c3c400507969a9c2afd1dcf2082ec5cca2880",
                ),
                (
                    910000,
                    "4daf8a17b4902498c5787966a2b51c613acdab5df5db73f196fa59a4da2f1568",
                    1226586151,
                    "0000000000000000000108970acb9522ffd516eae17acddcb1bd16469194a821",
                ),
                (
                    935000,
                    "e4b90ef9eae834f56c4b64d2d50143cee10ad87994c614d7d04125e2a6025050",
                    1305397408,
                    "0000000000000000000147034958af1652b2b91bba607beacc5e72a56f0fb5ee",
                ),
            ]),
            prune_after_height: 100_000,
            assumed_blockchain_size: 856,
            assumed_chain_state_size: 14,
            max_tip_age: DEFAULT_MAX_TIP_AGE,
            default_consistency_checks: false,
            is_mockable_chain: false,
        }
    }

    /// Testnet3 parameters.
    pub fn testnet() -> Params {
        let genesis = genesis_block(Network::Testnet);
        Params {
            chain: ChainType::Testnet,
            genesis_hash: genesis.block_hash(),
            genesis,
            subsidy_halving_interval: 210_000,
            script_flag_exceptions: vec![(
                hash("00000000dd30457c001f4095d208cc1296b0eed002427aa599874af7a432b105"),
                SCRIPT_VERIFY_NONE,
            )],
            bip34_height: 21_111,
            bip34_hash: Some(hash(
                "0000000023b3a96d3484e5abb3755c413e7d41500f8e2a5c3f0dd01299cd8ef8",
            )),
            bip65_height: 581_885,
            bip66_height: 330_776,
            csv_height: 770_112,
            segwit_height: 834_624,
            min_bip9_warning_height: 2_013_984,
            deployments: testdummy(Bip9Deployment::NEVER_ACTIVE, 1512, 2016),
            pow_limit: pow_limit(
                "00000000ffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
            ),
            allow_min_difficulty_blocks: true,
            enforce_bip94: false,
            no_retargeting: false,
            pow_target_spacing: 10 * 60,
            pow_target_timespan: 14 * 24 * 60 * 60,
            minimum_chain_work: work(
                "0000000000000000000000000000000000000000000017dde1c649f3708d14b6",
            ),
            default_assume_valid: Some(hash(
                "000000007a61e4230b28ac5cb6b5e5a0130de37ac1faf2f8987d2fa6505b67f4",
            )),
            signet_blocks: false,
            signet_challenge: Vec::new(),
            message_start: [0x0b, 0x11, 0x09, 0x07],
            default_port: 18333,
            dns_seeds: strings(&[
                "testnet-seed.bitcoin.jonasschnelli.ch.",
                "seed.tbtc.petertodd.net.",
                "seed.testnet.bitcoin.sprovoost.nl.",
                "testnet-seed.bluematt.me.",
                "seed.testnet.achownodes.xyz.",
            ]),
            chain_tx_data: ChainTxData {
                time: 1772051651,
                tx_count: 536_108_416,
                tx_rate: 0.02691479016257117,
            },
            assumeutxo: assumeutxo(&[
                (
                    2500000,
                    "f841584909f68e47897952345234e37fcd9128cd818f41ee6c3ca68db8071be7",
                    66484552,
                    "0000000000000093bcb68c03a9a168ae252572d348a2eaeba2cdf9231d73206f",
                ),
                (
                    4840000,
                    "ce6bb677bb2ee9789c4a1c9d73e6683c53fc20e8fdbedbdaaf468982a0c8db2a",
                    536078574,
                    "00000000000000f4971a7fb37fbdff89315b69a2e1920c467654a382f0d64786",
                ),
            ]),
            prune_after_height: 1000,
            assumed_blockchain_size: 245,
            assumed_chain_state_size: 19,
            max_tip_age: DEFAULT_MAX_TIP_AGE,
            default_consistency_checks: false,
            is_mockable_chain: false,
        }
    }

    /// Testnet4 (BIP94) parameters.
    pub fn testnet4() -> Params {
        let genesis = genesis_block(Network::Testnet4);
        Params {
            chain: ChainType::Testnet4,
            genesis_hash: genesis.block_hash(),
            genesis,
            subsidy_halving_interval: 210_000,
            script_flag_exceptions: Vec::new(),
            bip34_height: 1,
            bip34_hash: None,
            bip65_height: 1,
            bip66_height: 1,
            csv_height: 1,
            segwit_height: 1,
            min_bip9_warning_height: 0,
            deployments: testdummy(Bip9Deployment::NEVER_ACTIVE, 1512, 2016),
            pow_limit: pow_limit(
                "00000000ffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
            ),
            allow_min_difficulty_blocks: true,
            enforce_bip94: true,
            no_retargeting: false,
            pow_target_spacing: 10 * 60,
            pow_target_timespan: 14 * 24 * 60 * 60,
            minimum_chain_work: work(
                "0000000000000000000000000000000000000000000009a0fe15d0177d086304",
            ),
            default_assume_valid: Some(hash(
                "0000000002368b1e4ee27e2e85676ae6f9f9e69579b29093e9a82c170bf7cf8a",
            )),
            signet_blocks: false,
            signet_challenge: Vec::new(),
            message_start: [0x1c, 0x16, 0x3f, 0x28],
            default_port: 48333,
            dns_seeds: strings(&[
                "seed.testnet4.bitcoin.sprovoost.nl.",
                "seed.testnet4.wiz.biz.",
            ]),
            chain_tx_data: ChainTxData {
                time: 1772013387,
                tx_count: 14_191_421,
                tx_rate: 0.01848579579528412,
            },
            assumeutxo: assumeutxo(&[
                (
                    90000,
                    "784fb5e98241de66fdd429f4392155c9e7db5c017148e66e8fdbc95746f8b9b5",
                    11347043,
                    "0000000002ebe8bcda020e0dd6ccfbdfac531d2f6a81457191b99fc2df2dbe3b",
                ),
                (
                    120000,
                    "10b05d05ad468d0971162e1b222a4aa66caca89da2bb2a93f8f37fb29c4794b0",
                    14141057,
                    "000000000bd2317e51b3c5794981c35ba894ce27d3e772d5c39ecd9cbce01dc8",
                ),
            ]),
            prune_after_height: 1000,
            assumed_blockchain_size: 31,
            assumed_chain_state_size: 2,
            max_tip_age: DEFAULT_MAX_TIP_AGE,
            default_consistency_checks: false,
            is_mockable_chain: false,
        }
    }

    /// The default global signet's challenge script.
    pub const DEFAULT_SIGNET_CHALLENGE: &'static str = "512103ad5e0edad18cb1f0fc0d28a3d4f1f3e445640337489abb10404f2d1e086be430210359ef5021964fe22d6f8e05b2463c9540ce96883fe3b278760f048f5189f2e6c452ae";

    /// Signet parameters; `challenge` selects a custom signet
    /// (`-signetchallenge`), `None` the default global signet.
    pub fn signet(challenge: Option<Vec<u8>>) -> Params {
        let genesis = genesis_block(Network::Signet);
        let custom = challenge.is_some();
        let challenge = challenge.unwrap_or_else(|| {
            common::strencodings::try_parse_hex(Self::DEFAULT_SIGNET_CHALLENGE).unwrap_or_default()
        });
        // The message start is the first four bytes of the double SHA256 of
        // the serialized (length-prefixed) challenge.
        let serialized = bitcoin::consensus::serialize(&challenge);
        let digest = sha256d::Hash::hash(&serialized).to_byte_array();
        let message_start = [digest[0], digest[1], digest[2], digest[3]];
        let (minimum_chain_work, default_assume_valid, bc_size, cs_size) = if custom {
            (Work::from_be_bytes([0; 32]), None, 0, 0)
        } else {
            (
                work("00000000000000000000000000000000000000000000000000000b463ea0a4b8"),
                Some(hash(
                    "00000008414aab61092ef93f1aacc54cf9e9f16af29ddad493b908a01ff5c329",
                )),
                24,
                4,
            )
        };
        Params {
            chain: ChainType::Signet,
            genesis_hash: genesis.block_hash(),
            genesis,
            subsidy_halving_interval: 210_000,
            script_flag_exceptions: Vec::new(),
            bip34_height: 1,
            bip34_hash: None,
            bip65_height: 1,
            bip66_height: 1,
            csv_height: 1,
            segwit_height: 1,
            min_bip9_warning_height: 0,
            deployments: testdummy(Bip9Deployment::NEVER_ACTIVE, 1815, 2016),
            pow_limit: pow_limit(
                "00000377ae000000000000000000000000000000000000000000000000000000",
            ),
            allow_min_difficulty_blocks: false,
            enforce_bip94: false,
            no_retargeting: false,
            pow_target_spacing: 10 * 60,
            pow_target_timespan: 14 * 24 * 60 * 60,
            minimum_chain_work,
            default_assume_valid,
            signet_blocks: true,
            signet_challenge: challenge,
            message_start,
            default_port: 38333,
            dns_seeds: if custom {
                Vec::new()
            } else {
                strings(&[
                    "seed.signet.bitcoin.sprovoost.nl.",
                    "seed.signet.achownodes.xyz.",
                ])
            },
            chain_tx_data: if custom {
                ChainTxData::default()
            } else {
                ChainTxData {
                    time: 1_772_055_248,
                    tx_count: 28_676_833,
                    tx_rate: 0.06736623436338929,
                }
            },
            assumeutxo: assumeutxo(&[
                (
                    160000,
                    "fe0a44309b74d6b5883d246cb419c6221bcccf0b308c9b59b7d70783dbdf928a",
                    2289496,
                    "0000003ca3c99aff040f2563c2ad8f8ec88bd0fd6b8f0895cfaf1ef90353a62c",
                ),
                (
                    290000,
                    "97267e000b4b876800167e71b9123f1529d13b14308abec2888bbd2160d14545",
                    28547497,
                    "0000000577f2741bb30cd9d39d6d71b023afbeb9764f6260786a97969d5c9ac0",
                ),
            ]),
            prune_after_height: 1000,
            assumed_blockchain_size: bc_size,
            assumed_chain_state_size: cs_size,
            max_tip_age: DEFAULT_MAX_TIP_AGE,
            default_consistency_checks: false,
            is_mockable_chain: false,
        }
    }

    /// Regtest parameters (without command-line options).
    pub fn regtest() -> Params {
        let genesis = genesis_block(Network::Regtest);
        Params {
            chain: ChainType::Regtest,
            genesis_hash: genesis.block_hash(),
            genesis,
            subsidy_halving_interval: 150,
            script_flag_exceptions: Vec::new(),
            bip34_height: 1,
            bip34_hash: None,
            bip65_height: 1,
            bip66_height: 1,
            csv_height: 1,
            segwit_height: 0,
            min_bip9_warning_height: 0,
            deployments: testdummy(0, 108, 144),
            pow_limit: pow_limit(
                "7fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
            ),
            allow_min_difficulty_blocks: true,
            enforce_bip94: false,
            no_retargeting: true,
            pow_target_spacing: 10 * 60,
            pow_target_timespan: 24 * 60 * 60,
            minimum_chain_work: Work::from_be_bytes([0; 32]),
            default_assume_valid: None,
            signet_blocks: false,
            signet_challenge: Vec::new(),
            message_start: [0xfa, 0xbf, 0xb5, 0xda],
            default_port: 18444,
            dns_seeds: strings(&["dummySeed.invalid."]),
            chain_tx_data: ChainTxData {
                time: 0,
                tx_count: 0,
                tx_rate: 0.001,
            },
            assumeutxo: assumeutxo(&[
                (
                    110,
                    "86e9a1205b418b16dde3a18a78c730e30137e28466bda5dbf6b33ab8fc05447c",
                    111,
                    "135eec25a6fb277884e5824e7aa7d052c4868161c99a5122170b5266f86c273d",
                ),
                (
                    200,
                    "17dcc016d188d16068907cdeb38b75691a118d43053b8cd6a25969419381d13a",
                    201,
                    "385901ccbd69dff6bbd00065d01fb8a9e464dede7cfe0372443884f9b1dcf6b9",
                ),
                (
                    299,
                    "106b2c56233e378a824cf0d5ff2be42ed32c72f1605c9be288d00942908a40ac",
                    334,
                    "0c552ced4721c249a389eb9b08cb8da261cd46f0e7b5f9d064d48f3113406853",
                ),
            ]),
            prune_after_height: 1000,
            assumed_blockchain_size: 0,
            assumed_chain_state_size: 0,
            max_tip_age: DEFAULT_MAX_TIP_AGE,
            default_consistency_checks: true,
            is_mockable_chain: true,
        }
    }

    /// Parameters for `chain` with the options in `args` applied, like
    /// Core's `CreateChainParams`. Errors carry Core's messages.
    ///
    /// Regtest reads `-fastprune`, `-test=bip94`; signet reads
    /// `-signetchallenge`; every chain reads `-minimumchainwork`, `-maxtipage`,
    /// `-testactivationheight` and
    /// `-vbparams` (Core parses them for every chain too; on the public
    /// networks the node's init rejects them earlier).
    pub fn for_chain(chain: ChainType, args: &ArgsManager) -> Result<Params, String> {
        let mut params = match chain {
            ChainType::Main => Params::main(),
            ChainType::Testnet => Params::testnet(),
            ChainType::Testnet4 => Params::testnet4(),
            ChainType::Signet => {
                let values = args.get_args("-signetchallenge");
                let challenge = if values.is_empty() {
                    None
                } else {
                    if values.len() != 1 {
                        return Err("-signetchallenge cannot be multiple values.".to_string());
                    }
                    match common::strencodings::try_parse_hex(&values[0]) {
                        Some(v) => Some(v),
                        None => {
                            return Err(format!(
                                "-signetchallenge must be hex, not '{}'.",
                                values[0]
                            ))
                        }
                    }
                };
                Params::signet(challenge)
            }
            ChainType::Regtest => {
                let mut p = Params::regtest();
                if args.get_bool_arg_opt("-fastprune") == Some(true) {
                    p.prune_after_height = 100;
                }
                if args.has_test_option("bip94") {
                    p.enforce_bip94 = true;
                }
                p
            }
        };
        if let Some(value) = args.get_arg("-minimumchainwork") {
            let work = common::strencodings::from_user_hex_256(&value).ok_or_else(|| {
                format!("Invalid minimum work specified ({value}), must be up to 64 hex digits")
            })?;
            params.minimum_chain_work = Work::from_be_bytes(work);
        }
        if let Some(age) = args.get_int_arg_opt("-maxtipage") {
            params.max_tip_age = age;
        }
        let opts = parse_deployment_args(args)?;
        params.apply_deployment_options(&opts);
        Ok(params)
    }

    fn apply_deployment_options(&mut self, opts: &DeploymentOptions) {
        for (dep, height) in &opts.activation_heights {
            match dep {
                BuriedDeployment::Segwit => self.segwit_height = *height,
                BuriedDeployment::HeightInCb => self.bip34_height = *height,
                BuriedDeployment::DerSig => self.bip66_height = *height,
                BuriedDeployment::Cltv => self.bip65_height = *height,
                BuriedDeployment::Csv => self.csv_height = *height,
            }
        }
        for (pos, start, timeout, min_height) in &opts.version_bits {
            let d = &mut self.deployments[pos.index()];
            d.start_time = *start;
            d.timeout = *timeout;
            d.min_activation_height = *min_height;
        }
    }

    /// Blocks per difficulty period (2016 on the public chains, 144 on regtest).
    pub fn difficulty_adjustment_interval(&self) -> u32 {
        if self.pow_target_spacing <= 0 {
            return 1;
        }
        u32::try_from(self.pow_target_timespan / self.pow_target_spacing)
            .unwrap_or(1)
            .max(1)
    }

    /// Activation height of a buried deployment.
    pub fn deployment_height(&self, dep: BuriedDeployment) -> u32 {
        match dep {
            BuriedDeployment::HeightInCb => self.bip34_height,
            BuriedDeployment::Cltv => self.bip65_height,
            BuriedDeployment::DerSig => self.bip66_height,
            BuriedDeployment::Csv => self.csv_height,
            BuriedDeployment::Segwit => self.segwit_height,
        }
    }

    /// The BIP9 deployment at `pos`.
    pub fn deployment(&self, pos: DeploymentPos) -> &Bip9Deployment {
        &self.deployments[pos.index()]
    }

    /// The proof-of-work limit in compact form.
    pub fn pow_limit_compact(&self) -> u32 {
        self.pow_limit.to_compact()
    }

    /// Whether this is a test chain (anything but mainnet).
    pub fn is_test_chain(&self) -> bool {
        self.chain != ChainType::Main
    }

    /// Core's `script_flag_exceptions` lookup.
    pub fn script_flag_exception(&self, hash: &BlockHash) -> Option<u32> {
        self.script_flag_exceptions
            .iter()
            .find(|(h, _)| h == hash)
            .map(|(_, f)| *f)
    }
}

/// Core's `ToIntegral`: an optional '-' then decimal digits, nothing else,
/// within range.
fn to_integral<T: std::str::FromStr>(s: &str) -> Option<T> {
    if s.starts_with('+') {
        return None;
    }
    s.parse().ok()
}

fn parse_deployment_args(args: &ArgsManager) -> Result<DeploymentOptions, String> {
    let mut opts = DeploymentOptions::default();
    for arg in args.get_args("-testactivationheight") {
        let Some(found) = arg.find('@') else {
            return Err(format!(
                "Invalid format ({arg}) for -testactivationheight=name@height."
            ));
        };
        let value = &arg[found + 1..];
        let height = match to_integral::<i32>(value) {
            Some(h) if (0..i32::MAX).contains(&h) => h as u32,
            _ => {
                return Err(format!(
                    "Invalid height value ({arg}) for -testactivationheight=name@height."
                ))
            }
        };
        let name = &arg[..found];
        match BuriedDeployment::from_test_name(name) {
            Some(dep) => {
                opts.activation_heights.retain(|(d, _)| *d != dep);
                opts.activation_heights.push((dep, height));
            }
            None => {
                return Err(format!(
                    "Invalid name ({arg}) for -testactivationheight=name@height."
                ))
            }
        }
    }
    for deployment in args.get_args("-vbparams") {
        let parts: Vec<&str> = deployment.split(':').collect();
        if parts.len() < 3 || parts.len() > 4 {
            return Err("Version bits parameters malformed, expecting deployment:start:end[:min_activation_height]".to_string());
        }
        let Some(start) = to_integral::<i64>(parts[1]) else {
            return Err(format!("Invalid nStartTime ({})", parts[1]));
        };
        let Some(timeout) = to_integral::<i64>(parts[2]) else {
            return Err(format!("Invalid nTimeout ({})", parts[2]));
        };
        let min_height = if parts.len() >= 4 {
            match to_integral::<i64>(parts[3]) {
                // Core stores the value in an int.
                Some(h) => h as i32 as i64,
                None => return Err(format!("Invalid min_activation_height ({})", parts[3])),
            }
        } else {
            0
        };
        match DeploymentPos::from_name(parts[0]) {
            Some(pos) => {
                opts.version_bits.retain(|(p, ..)| *p != pos);
                opts.version_bits.push((pos, start, timeout, min_height));
            }
            None => return Err(format!("Invalid deployment ({})", parts[0])),
        }
    }
    Ok(opts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regtest_assumeutxo_data_matches_core() {
        let p = Params::regtest();
        assert_eq!(p.snapshot_heights(), vec![110, 200, 299]);
        let base = hash("0c552ced4721c249a389eb9b08cb8da261cd46f0e7b5f9d064d48f3113406853");
        let au = p.assumeutxo_for_blockhash(&base).copied();
        assert_eq!(au.map(|a| (a.height, a.chain_tx_count)), Some((299, 334)));
        let mut shown = au.map(|a| a.hash_serialized).unwrap_or_default();
        shown.reverse();
        assert_eq!(
            shown.iter().map(|b| format!("{b:02x}")).collect::<String>(),
            "106b2c56233e378a824cf0d5ff2be42ed32c72f1605c9be288d00942908a40ac"
        );
        assert!(p.assumeutxo_for_height(111).is_none());
        assert_eq!(
            Params::main().snapshot_heights(),
            vec![840_000, 880_000, 910_000, 935_000]
        );
    }
    use common::args::{ArgFlags, OptionsCategory};

    fn args(list: &[&str]) -> ArgsManager {
        let a = ArgsManager::new();
        for name in [
            "-testactivationheight=<name@height>",
            "-vbparams=<deployment:start:end>",
            "-signetchallenge",
            "-fastprune",
            "-test=<option>",
        ] {
            a.add_arg(name, "", ArgFlags::ALLOW_ANY, OptionsCategory::DebugTest);
        }
        let mut argv = vec!["bitcoind".to_string()];
        argv.extend(list.iter().map(|s| s.to_string()));
        a.parse_parameters(&argv).expect("parse");
        a
    }

    #[test]
    fn genesis_hashes_and_constants() {
        let m = Params::main();
        assert_eq!(
            m.genesis_hash.to_string(),
            "000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f"
        );
        assert_eq!(m.pow_limit_compact(), 0x1d00ffff);
        assert_eq!(m.difficulty_adjustment_interval(), 2016);
        assert_eq!(
            Params::testnet().genesis_hash.to_string(),
            "000000000933ea01ad0ee984209779baaec3ced90fa3f408719526f8d77f4943"
        );
        assert_eq!(
            Params::testnet4().genesis_hash.to_string(),
            "00000000da84f2bafbbc53dee25a72ae507ff4914b867c565be350b0da8bf043"
        );
        let s = Params::signet(None);
        assert_eq!(
            s.genesis_hash.to_string(),
            "00000008819873e925422c1ff0f99f7cc9bbb232af63a077a480a3633bee1ef6"
        );
        // Default signet magic is 0a03cf40.
        assert_eq!(s.message_start, [0x0a, 0x03, 0xcf, 0x40]);
        assert_eq!(s.pow_limit_compact(), 0x1e0377ae);
        let r = Params::regtest();
        assert_eq!(
            r.genesis_hash.to_string(),
            "0f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e2206"
        );
        assert_eq!(r.pow_limit_compact(), 0x207fffff);
        assert_eq!(r.difficulty_adjustment_interval(), 144);
        assert_eq!(
            m.bip34_hash.map(|h| h.to_string()).as_deref(),
            Some("000000000000024b89b42a942fe0d9fea3bb44ab7bd1b19115dd6a759c0808b8")
        );
        assert_eq!(
            m.minimum_chain_work.to_be_bytes()[19..],
            [0x01, 0x12, 0x87, 0x50, 0xf8, 0x2f, 0x4c, 0x36, 0x61, 0x53, 0xa3, 0xa0, 0x30]
        );
        assert_eq!(
            m.script_flag_exception(&hash(
                "0000000000000000000f14c35b2d841e986ab5441de8c585d5ffe55ea1e395ad"
            )),
            Some(SCRIPT_VERIFY_P2SH | SCRIPT_VERIFY_WITNESS)
        );
    }

    #[test]
    fn custom_signet_challenge() {
        let p = Params::for_chain(ChainType::Signet, &args(&["-signetchallenge=51"])).unwrap();
        assert_eq!(p.signet_challenge, vec![0x51]);
        assert_eq!(p.default_assume_valid, None);
        assert_ne!(p.message_start, Params::signet(None).message_start);
        let e = Params::for_chain(ChainType::Signet, &args(&["-signetchallenge=5z"])).unwrap_err();
        assert_eq!(e, "-signetchallenge must be hex, not '5z'.");
        let e = Params::for_chain(
            ChainType::Signet,
            &args(&["-signetchallenge=51", "-signetchallenge=52"]),
        )
        .unwrap_err();
        assert_eq!(e, "-signetchallenge cannot be multiple values.");
    }

    #[test]
    fn regtest_activation_heights() {
        let p = Params::for_chain(
            ChainType::Regtest,
            &args(&[
                "-testactivationheight=segwit@500",
                "-testactivationheight=bip34@2",
                "-testactivationheight=dersig@3",
                "-testactivationheight=cltv@4",
                "-testactivationheight=csv@5",
            ]),
        )
        .unwrap();
        assert_eq!(
            (
                p.segwit_height,
                p.bip34_height,
                p.bip66_height,
                p.bip65_height,
                p.csv_height
            ),
            (500, 2, 3, 4, 5)
        );
        let err = |a: &str| Params::for_chain(ChainType::Regtest, &args(&[a])).unwrap_err();
        assert_eq!(
            err("-testactivationheight=segwit"),
            "Invalid format (segwit) for -testactivationheight=name@height."
        );
        assert_eq!(
            err("-testactivationheight=segwit@-1"),
            "Invalid height value (segwit@-1) for -testactivationheight=name@height."
        );
        assert_eq!(
            err("-testactivationheight=segwit@2147483647"),
            "Invalid height value (segwit@2147483647) for -testactivationheight=name@height."
        );
        assert_eq!(
            err("-testactivationheight=segwit@+1"),
            "Invalid height value (segwit@+1) for -testactivationheight=name@height."
        );
        assert_eq!(
            err("-testactivationheight=taproot@1"),
            "Invalid name (taproot@1) for -testactivationheight=name@height."
        );
    }

    #[test]
    fn regtest_vbparams() {
        let p = Params::for_chain(
            ChainType::Regtest,
            &args(&["-vbparams=testdummy:10:20:300"]),
        )
        .unwrap();
        let d = p.deployment(DeploymentPos::TestDummy);
        assert_eq!(
            (d.start_time, d.timeout, d.min_activation_height),
            (10, 20, 300)
        );
        let p =
            Params::for_chain(ChainType::Regtest, &args(&["-vbparams=testdummy:-1:-1"])).unwrap();
        assert_eq!(
            p.deployment(DeploymentPos::TestDummy).start_time,
            Bip9Deployment::ALWAYS_ACTIVE
        );
        let err = |a: &str| Params::for_chain(ChainType::Regtest, &args(&[a])).unwrap_err();
        let malformed = "Version bits parameters malformed, expecting deployment:start:end[:min_activation_height]";
        assert_eq!(err("-vbparams=testdummy:1"), malformed);
        assert_eq!(err("-vbparams=testdummy:1:2:3:4"), malformed);
        assert_eq!(err("-vbparams=testdummy:x:2"), "Invalid nStartTime (x)");
        assert_eq!(err("-vbparams=testdummy:1:y"), "Invalid nTimeout (y)");
        assert_eq!(
            err("-vbparams=testdummy:1:2:z"),
            "Invalid min_activation_height (z)"
        );
        assert_eq!(err("-vbparams=taproot:1:2"), "Invalid deployment (taproot)");
    }

    #[test]
    fn regtest_options() {
        let p =
            Params::for_chain(ChainType::Regtest, &args(&["-fastprune", "-test=bip94"])).unwrap();
        assert_eq!(p.prune_after_height, 100);
        assert!(p.enforce_bip94);
        let p = Params::for_chain(ChainType::Regtest, &args(&[])).unwrap();
        assert_eq!(p.prune_after_height, 1000);
        assert!(!p.enforce_bip94);
        assert_eq!(p.segwit_height, 0);
    }
}
