//! Shared foundations.
