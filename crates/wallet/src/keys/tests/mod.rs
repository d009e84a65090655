//! Tests of the keys module against Bitcoin Core's vectors.

mod bip32;
mod core_vectors;
mod descriptor;
mod spkm;
