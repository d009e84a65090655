//! Tests of the sign module.
