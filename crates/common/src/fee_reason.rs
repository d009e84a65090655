//! Why a fee rate was chosen, numbered and worded as Core's `FeeReason`:
//! one type for the node's estimator and the wallet's fee choice.

/// Why a fee rate was chosen (Core's `FeeReason`, numbered as Core's).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum FeeReason {
    /// No particular reason (e.g. the user's rate).
    #[default]
    None = 0,
    /// The estimator's half-target 60% threshold.
    HalfEstimate = 1,
    /// The estimator's target 85% threshold.
    FullEstimate = 2,
    /// The estimator's double-target 95% threshold.
    DoubleEstimate = 3,
    /// The estimator's conservative longer-horizon estimate.
    Conservative = 4,
    /// The mempool's minimum fee.
    MempoolMin = 5,
    /// `-fallbackfee`, for lack of estimates.
    Fallback = 6,
    /// The required rate (`-mintxfee` or `-minrelaytxfee`).
    Required = 7,
}

impl FeeReason {
    /// Core's number for the reason (as carried over IPC).
    pub fn as_i32(self) -> i32 {
        self as i32
    }

    /// The reason Core numbers `n`; unknown numbers are `None`.
    pub fn from_i32(n: i32) -> FeeReason {
        match n {
            1 => FeeReason::HalfEstimate,
            2 => FeeReason::FullEstimate,
            3 => FeeReason::DoubleEstimate,
            4 => FeeReason::Conservative,
            5 => FeeReason::MempoolMin,
            6 => FeeReason::Fallback,
            7 => FeeReason::Required,
            _ => FeeReason::None,
        }
    }

    /// Core's description (`StringForFeeReason`), as logged and shown.
    pub fn description(self) -> &'static str {
        match self {
            FeeReason::None => "None",
            FeeReason::HalfEstimate => "Half Target 60% Threshold",
            FeeReason::FullEstimate => "Target 85% Threshold",
            FeeReason::DoubleEstimate => "Double Target 95% Threshold",
            FeeReason::Conservative => "Conservative Double Target longer horizon",
            FeeReason::MempoolMin => "Mempool Min Fee",
            FeeReason::Fallback => "Fallback fee",
            FeeReason::Required => "Minimum Required Fee",
        }
    }
}
