//! `Handler`: the registration returned when a callback is registered.
//! Dropping it unregisters the callback; `disconnect` does so explicitly.

use crate::Result;

/// A callback registration.
pub trait Handler: Send + Sync {
    /// Unregisters the callback now.
    fn disconnect(&self) -> Result<()>;
}
