//! `Echo`: a test interface that returns its argument (Core's `interfaces::Echo`).

use crate::Result;

/// Returns what it is given; used to test IPC round trips.
pub trait Echo: Send + Sync {
    /// Returns `echo` unchanged.
    fn echo(&self, echo: &str) -> Result<String>;
}

/// The in-process implementation.
pub struct LocalEcho;

impl Echo for LocalEcho {
    fn echo(&self, echo: &str) -> Result<String> {
        Ok(echo.to_string())
    }
}

impl<T: Echo + ?Sized> Echo for std::sync::Arc<T> {
    fn echo(&self, echo: &str) -> Result<String> {
        (**self).echo(echo)
    }
}
