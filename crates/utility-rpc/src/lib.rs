//! Utility RPCs.
