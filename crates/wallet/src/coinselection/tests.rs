//! Tests ported from Core's coin selection tests.
