//! Tests of transaction creation.
