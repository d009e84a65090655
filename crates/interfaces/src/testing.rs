//! The IPC runtime's test interface (`schema/test/calculator.capnp`):
//! callbacks passed as capabilities, nested calls back into the caller,
//! `Handler` registrations, and values of every shape the generator handles.
//! Not part of the product's contract.

use crate::handler::Handler;
use crate::Result;

/// A function object passed to the peer.
pub trait Callback: Send + Sync {
    /// Called by the peer with `value`.
    fn call(&self, value: i32) -> Result<i32>;
}

/// The test service.
pub trait Calculator: Send + Sync {
    /// Calls `callback(value)` and returns the result plus one.
    fn apply(&self, callback: Box<dyn Callback>, value: i32) -> Result<i32>;
    /// Keeps `callback` until the handler goes away.
    fn subscribe(&self, callback: Box<dyn Callback>) -> Result<Box<dyn Handler>>;
    /// Calls every subscribed callback; returns how many answered.
    fn notify(&self, value: i32) -> Result<i32>;
    /// Returns `pairs` with each value reversed (a method that exists only
    /// to show that schema plus trait is all a new method needs).
    fn reverse_pairs(&self, pairs: &[(String, Vec<u8>)]) -> Result<Vec<(String, Vec<u8>)>>;
}
