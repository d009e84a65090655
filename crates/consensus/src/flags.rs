//! Script verification flags (Core's `SCRIPT_VERIFY_*` bit values) and the
//! flags a block's scripts are checked with (Core's `GetBlockScriptFlags`).

use bitcoin::BlockHash;

use crate::params::{BuriedDeployment, Params};

/// No flags.
pub const SCRIPT_VERIFY_NONE: u32 = 0;
/// BIP16 P2SH.
pub const SCRIPT_VERIFY_P2SH: u32 = 1 << 0;
/// Strict signature and public key encodings (policy).
pub const SCRIPT_VERIFY_STRICTENC: u32 = 1 << 1;
/// BIP66 strict DER signatures.
pub const SCRIPT_VERIFY_DERSIG: u32 = 1 << 2;
/// Low S signatures (policy).
pub const SCRIPT_VERIFY_LOW_S: u32 = 1 << 3;
/// BIP147 null dummy for CHECKMULTISIG.
pub const SCRIPT_VERIFY_NULLDUMMY: u32 = 1 << 4;
/// Push-only scriptSig (policy).
pub const SCRIPT_VERIFY_SIGPUSHONLY: u32 = 1 << 5;
/// Minimal pushes and numbers (policy).
pub const SCRIPT_VERIFY_MINIMALDATA: u32 = 1 << 6;
/// Discourage upgradable NOPs (policy).
pub const SCRIPT_VERIFY_DISCOURAGE_UPGRADABLE_NOPS: u32 = 1 << 7;
/// Clean stack (policy).
pub const SCRIPT_VERIFY_CLEANSTACK: u32 = 1 << 8;
/// BIP65 OP_CHECKLOCKTIMEVERIFY.
pub const SCRIPT_VERIFY_CHECKLOCKTIMEVERIFY: u32 = 1 << 9;
/// BIP112 OP_CHECKSEQUENCEVERIFY.
pub const SCRIPT_VERIFY_CHECKSEQUENCEVERIFY: u32 = 1 << 10;
/// BIP141 segregated witness.
pub const SCRIPT_VERIFY_WITNESS: u32 = 1 << 11;
/// Discourage upgradable witness programs (policy).
pub const SCRIPT_VERIFY_DISCOURAGE_UPGRADABLE_WITNESS_PROGRAM: u32 = 1 << 12;
/// Minimal OP_IF arguments in segwit scripts (policy).
pub const SCRIPT_VERIFY_MINIMALIF: u32 = 1 << 13;
/// Failed signatures must be empty (policy).
pub const SCRIPT_VERIFY_NULLFAIL: u32 = 1 << 14;
/// Compressed public keys in segwit (policy).
pub const SCRIPT_VERIFY_WITNESS_PUBKEYTYPE: u32 = 1 << 15;
/// No OP_CODESEPARATOR / FindAndDelete in legacy scripts (policy).
pub const SCRIPT_VERIFY_CONST_SCRIPTCODE: u32 = 1 << 16;
/// BIP341/342 taproot and tapscript.
pub const SCRIPT_VERIFY_TAPROOT: u32 = 1 << 17;
/// Discourage unknown taproot leaf versions (policy).
pub const SCRIPT_VERIFY_DISCOURAGE_UPGRADABLE_TAPROOT_VERSION: u32 = 1 << 18;
/// Discourage OP_SUCCESSx (policy).
pub const SCRIPT_VERIFY_DISCOURAGE_OP_SUCCESS: u32 = 1 << 19;
/// Discourage unknown tapscript public key types (policy).
pub const SCRIPT_VERIFY_DISCOURAGE_UPGRADABLE_PUBKEYTYPE: u32 = 1 << 20;

/// Flags every valid block satisfies (Core's `MANDATORY_SCRIPT_VERIFY_FLAGS`).
pub const MANDATORY_SCRIPT_VERIFY_FLAGS: u32 = SCRIPT_VERIFY_P2SH
    | SCRIPT_VERIFY_DERSIG
    | SCRIPT_VERIFY_NULLDUMMY
    | SCRIPT_VERIFY_CHECKLOCKTIMEVERIFY
    | SCRIPT_VERIFY_CHECKSEQUENCEVERIFY
    | SCRIPT_VERIFY_WITNESS
    | SCRIPT_VERIFY_TAPROOT;

/// Core's `STANDARD_SCRIPT_VERIFY_FLAGS` (mempool policy).
pub const STANDARD_SCRIPT_VERIFY_FLAGS: u32 = MANDATORY_SCRIPT_VERIFY_FLAGS
    | SCRIPT_VERIFY_STRICTENC
    | SCRIPT_VERIFY_MINIMALDATA
    | SCRIPT_VERIFY_DISCOURAGE_UPGRADABLE_NOPS
    | SCRIPT_VERIFY_CLEANSTACK
    | SCRIPT_VERIFY_MINIMALIF
    | SCRIPT_VERIFY_NULLFAIL
    | SCRIPT_VERIFY_LOW_S
    | SCRIPT_VERIFY_DISCOURAGE_UPGRADABLE_WITNESS_PROGRAM
    | SCRIPT_VERIFY_WITNESS_PUBKEYTYPE
    | SCRIPT_VERIFY_CONST_SCRIPTCODE
    | SCRIPT_VERIFY_DISCOURAGE_UPGRADABLE_TAPROOT_VERSION
    | SCRIPT_VERIFY_DISCOURAGE_OP_SUCCESS
    | SCRIPT_VERIFY_DISCOURAGE_UPGRADABLE_PUBKEYTYPE;

/// Standard but not mandatory flags.
pub const STANDARD_NOT_MANDATORY_VERIFY_FLAGS: u32 =
    STANDARD_SCRIPT_VERIFY_FLAGS & !MANDATORY_SCRIPT_VERIFY_FLAGS;

/// Lock-time flag: enforce BIP68 relative lock times (Core's
/// `LOCKTIME_VERIFY_SEQUENCE`).
pub const LOCKTIME_VERIFY_SEQUENCE: u32 = 1 << 0;

/// Whether a buried deployment is active for the block at `height`
/// (Core's `DeploymentActiveAt`).
pub fn deployment_active_at(height: u32, dep: BuriedDeployment, params: &Params) -> bool {
    height >= params.deployment_height(dep)
}

/// The script flags for the block at `height` with hash `hash` (Core's
/// `GetBlockScriptFlags`): P2SH, WITNESS and TAPROOT always (except the
/// exception blocks), then DERSIG, CHECKLOCKTIMEVERIFY, CHECKSEQUENCEVERIFY
/// and NULLDUMMY by their buried heights. No BIP9 deployment changes script
/// flags in the current rules.
pub fn block_script_flags(height: u32, hash: &BlockHash, params: &Params) -> u32 {
    let mut flags = params
        .script_flag_exception(hash)
        .unwrap_or(SCRIPT_VERIFY_P2SH | SCRIPT_VERIFY_WITNESS | SCRIPT_VERIFY_TAPROOT);
    if deployment_active_at(height, BuriedDeployment::DerSig, params) {
        flags |= SCRIPT_VERIFY_DERSIG;
    }
    if deployment_active_at(height, BuriedDeployment::Cltv, params) {
        flags |= SCRIPT_VERIFY_CHECKLOCKTIMEVERIFY;
    }
    if deployment_active_at(height, BuriedDeployment::Csv, params) {
        flags |= SCRIPT_VERIFY_CHECKSEQUENCEVERIFY;
    }
    if deployment_active_at(height, BuriedDeployment::Segwit, params) {
        flags |= SCRIPT_VERIFY_NULLDUMMY;
    }
    flags
}

/// Every named script flag, sorted by name as Core lists them.
const FLAG_NAMES: [(&str, u32); 21] = [
    ("CHECKLOCKTIMEVERIFY", SCRIPT_VERIFY_CHECKLOCKTIMEVERIFY),
    ("CHECKSEQUENCEVERIFY", SCRIPT_VERIFY_CHECKSEQUENCEVERIFY),
    ("CLEANSTACK", SCRIPT_VERIFY_CLEANSTACK),
    ("CONST_SCRIPTCODE", SCRIPT_VERIFY_CONST_SCRIPTCODE),
    ("DERSIG", SCRIPT_VERIFY_DERSIG),
    ("DISCOURAGE_OP_SUCCESS", SCRIPT_VERIFY_DISCOURAGE_OP_SUCCESS),
    (
        "DISCOURAGE_UPGRADABLE_NOPS",
        SCRIPT_VERIFY_DISCOURAGE_UPGRADABLE_NOPS,
    ),
    (
        "DISCOURAGE_UPGRADABLE_PUBKEYTYPE",
        SCRIPT_VERIFY_DISCOURAGE_UPGRADABLE_PUBKEYTYPE,
    ),
    (
        "DISCOURAGE_UPGRADABLE_TAPROOT_VERSION",
        SCRIPT_VERIFY_DISCOURAGE_UPGRADABLE_TAPROOT_VERSION,
    ),
    (
        "DISCOURAGE_UPGRADABLE_WITNESS_PROGRAM",
        SCRIPT_VERIFY_DISCOURAGE_UPGRADABLE_WITNESS_PROGRAM,
    ),
    ("LOW_S", SCRIPT_VERIFY_LOW_S),
    ("MINIMALDATA", SCRIPT_VERIFY_MINIMALDATA),
    ("MINIMALIF", SCRIPT_VERIFY_MINIMALIF),
    ("NULLDUMMY", SCRIPT_VERIFY_NULLDUMMY),
    ("NULLFAIL", SCRIPT_VERIFY_NULLFAIL),
    ("P2SH", SCRIPT_VERIFY_P2SH),
    ("SIGPUSHONLY", SCRIPT_VERIFY_SIGPUSHONLY),
    ("STRICTENC", SCRIPT_VERIFY_STRICTENC),
    ("TAPROOT", SCRIPT_VERIFY_TAPROOT),
    ("WITNESS", SCRIPT_VERIFY_WITNESS),
    ("WITNESS_PUBKEYTYPE", SCRIPT_VERIFY_WITNESS_PUBKEYTYPE),
];

/// The names of the flags set in `flags`, sorted, with any unnamed bits
/// appended as one `0x%08x` value (Core's `GetScriptFlagNames`).
pub fn script_flag_names(flags: u32) -> Vec<String> {
    let mut names: Vec<String> = FLAG_NAMES
        .iter()
        .filter(|(_, f)| flags & f != 0)
        .map(|(n, _)| (*n).to_string())
        .collect();
    let leftover = FLAG_NAMES.iter().fold(flags, |acc, (_, f)| acc & !f);
    if leftover != 0 {
        names.push(format!("0x{leftover:08x}"));
    }
    names
}

#[cfg(test)]
mod tests {
    #[test]
    fn flag_names_sorted_with_leftover_bits() {
        assert!(script_flag_names(SCRIPT_VERIFY_NONE).is_empty());
        assert_eq!(
            script_flag_names(SCRIPT_VERIFY_WITNESS | SCRIPT_VERIFY_P2SH | (1 << 30)),
            ["P2SH", "WITNESS", "0x40000000"]
        );
    }

    use super::*;
    use bitcoin::hashes::Hash;

    #[test]
    fn mainnet_flags_by_height() {
        let p = Params::main();
        let h = BlockHash::all_zeros();
        let base = SCRIPT_VERIFY_P2SH | SCRIPT_VERIFY_WITNESS | SCRIPT_VERIFY_TAPROOT;
        assert_eq!(block_script_flags(1, &h, &p), base);
        assert_eq!(
            block_script_flags(363_725, &h, &p),
            base | SCRIPT_VERIFY_DERSIG
        );
        assert_eq!(
            block_script_flags(388_381, &h, &p),
            base | SCRIPT_VERIFY_DERSIG | SCRIPT_VERIFY_CHECKLOCKTIMEVERIFY
        );
        assert_eq!(
            block_script_flags(481_824, &h, &p),
            MANDATORY_SCRIPT_VERIFY_FLAGS
        );
    }

    #[test]
    fn exception_blocks() {
        let p = Params::main();
        let bip16: BlockHash = "00000000000002dc756eebf4f49723ed8d30cc28a5f108eb94b1ba88ac4f9c22"
            .parse()
            .unwrap();
        assert_eq!(block_script_flags(170_060, &bip16, &p), SCRIPT_VERIFY_NONE);
        let taproot: BlockHash = "0000000000000000000f14c35b2d841e986ab5441de8c585d5ffe55ea1e395ad"
            .parse()
            .unwrap();
        assert_eq!(
            block_script_flags(692_261, &taproot, &p),
            MANDATORY_SCRIPT_VERIFY_FLAGS & !SCRIPT_VERIFY_TAPROOT
        );
        let t = Params::testnet();
        let bip16t: BlockHash = "00000000dd30457c001f4095d208cc1296b0eed002427aa599874af7a432b105"
            .parse()
            .unwrap();
        assert_eq!(block_script_flags(100, &bip16t, &t), SCRIPT_VERIFY_NONE);
    }

    #[test]
    fn regtest_all_from_start() {
        let p = Params::regtest();
        let h = BlockHash::all_zeros();
        assert_eq!(
            block_script_flags(0, &h, &p),
            SCRIPT_VERIFY_P2SH
                | SCRIPT_VERIFY_WITNESS
                | SCRIPT_VERIFY_TAPROOT
                | SCRIPT_VERIFY_NULLDUMMY
        );
        assert_eq!(block_script_flags(1, &h, &p), MANDATORY_SCRIPT_VERIFY_FLAGS);
    }
}
