//! Tests of the keys module against Bitcoin Core's vectors.

mod core_vectors;
mod descriptor;
