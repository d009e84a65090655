//! Script evaluation errors with Core's texts (`ScriptErrorString`), which
//! reject reasons and test expectations quote verbatim.

/// Why a script failed, one variant per Core `SCRIPT_ERR_*`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum ScriptError {
    Unknown,
    EvalFalse,
    OpReturn,
    ScriptSize,
    PushSize,
    OpCount,
    StackSize,
    SigCount,
    PubkeyCount,
    Verify,
    EqualVerify,
    CheckMultisigVerify,
    CheckSigVerify,
    NumEqualVerify,
    BadOpcode,
    DisabledOpcode,
    InvalidStackOperation,
    InvalidAltstackOperation,
    UnbalancedConditional,
    NegativeLocktime,
    UnsatisfiedLocktime,
    SigHashtype,
    SigDer,
    MinimalData,
    SigPushOnly,
    SigHighS,
    SigNullDummy,
    PubkeyType,
    CleanStack,
    MinimalIf,
    SigNullFail,
    DiscourageUpgradableNops,
    DiscourageUpgradableWitnessProgram,
    DiscourageUpgradableTaprootVersion,
    DiscourageOpSuccess,
    DiscourageUpgradablePubkeyType,
    WitnessProgramWrongLength,
    WitnessProgramWitnessEmpty,
    WitnessProgramMismatch,
    WitnessMalleated,
    WitnessMalleatedP2sh,
    WitnessUnexpected,
    WitnessPubkeyType,
    SchnorrSigSize,
    SchnorrSigHashtype,
    SchnorrSig,
    TaprootWrongControlSize,
    TapscriptValidationWeight,
    TapscriptCheckMultisig,
    TapscriptMinimalIf,
    TapscriptEmptyPubkey,
    OpCodeSeparator,
    SigFindAndDelete,
    ScriptNum,
}

impl ScriptError {
    /// Core's text for this error.
    pub fn text(self) -> &'static str {
        use ScriptError::*;
        match self {
            Unknown => "unknown error",
            EvalFalse => {
                "Script evaluated without error but finished with a false/empty top stack element"
            }
            Verify => "Script failed an OP_VERIFY operation",
            EqualVerify => "Script failed an OP_EQUALVERIFY operation",
            CheckMultisigVerify => "Script failed an OP_CHECKMULTISIGVERIFY operation",
            CheckSigVerify => "Script failed an OP_CHECKSIGVERIFY operation",
            NumEqualVerify => "Script failed an OP_NUMEQUALVERIFY operation",
            ScriptSize => "Script is too big",
            PushSize => "Push value size limit exceeded",
            OpCount => "Operation limit exceeded",
            StackSize => "Stack size limit exceeded",
            SigCount => "Signature count negative or greater than pubkey count",
            PubkeyCount => "Pubkey count negative or limit exceeded",
            BadOpcode => "Opcode missing or not understood",
            DisabledOpcode => "Attempted to use a disabled opcode",
            InvalidStackOperation => "Operation not valid with the current stack size",
            InvalidAltstackOperation => "Operation not valid with the current altstack size",
            OpReturn => "OP_RETURN was encountered",
            UnbalancedConditional => "Invalid OP_IF construction",
            NegativeLocktime => "Negative locktime",
            UnsatisfiedLocktime => "Locktime requirement not satisfied",
            SigHashtype => "Signature hash type missing or not understood",
            SigDer => "Non-canonical DER signature",
            MinimalData => "Data push larger than necessary",
            SigPushOnly => "Only push operators allowed in signatures",
            SigHighS => "Non-canonical signature: S value is unnecessarily high",
            SigNullDummy => "Dummy CHECKMULTISIG argument must be zero",
            MinimalIf => "OP_IF/NOTIF argument must be minimal",
            SigNullFail => "Signature must be zero for failed CHECK(MULTI)SIG operation",
            DiscourageUpgradableNops => "NOPx reserved for soft-fork upgrades",
            DiscourageUpgradableWitnessProgram => "Witness version reserved for soft-fork upgrades",
            DiscourageUpgradableTaprootVersion => "Taproot version reserved for soft-fork upgrades",
            DiscourageOpSuccess => "OP_SUCCESSx reserved for soft-fork upgrades",
            DiscourageUpgradablePubkeyType => "Public key version reserved for soft-fork upgrades",
            PubkeyType => "Public key is neither compressed or uncompressed",
            CleanStack => "Stack size must be exactly one after execution",
            WitnessProgramWrongLength => "Witness program has incorrect length",
            WitnessProgramWitnessEmpty => "Witness program was passed an empty witness",
            WitnessProgramMismatch => "Witness program hash mismatch",
            WitnessMalleated => "Witness requires empty scriptSig",
            WitnessMalleatedP2sh => "Witness requires only-redeemscript scriptSig",
            WitnessUnexpected => "Witness provided for non-witness script",
            WitnessPubkeyType => "Using non-compressed keys in segwit",
            SchnorrSigSize => "Invalid Schnorr signature size",
            SchnorrSigHashtype => "Invalid Schnorr signature hash type",
            SchnorrSig => "Invalid Schnorr signature",
            TaprootWrongControlSize => "Invalid Taproot control block size",
            TapscriptValidationWeight => "Too much signature validation relative to witness weight",
            TapscriptCheckMultisig => "OP_CHECKMULTISIG(VERIFY) is not available in tapscript",
            TapscriptMinimalIf => "OP_IF/NOTIF argument must be minimal in tapscript",
            TapscriptEmptyPubkey => "Empty public key in tapscript",
            OpCodeSeparator => "Using OP_CODESEPARATOR in non-witness script",
            SigFindAndDelete => "Signature is found in scriptCode",
            ScriptNum => "Script number overflowed or is non-minimally encoded",
        }
    }
}

impl std::fmt::Display for ScriptError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.text())
    }
}
