//! Why start-up stopped: the error type that init steps in every crate return.

/// Why start-up stopped.
#[derive(Debug)]
pub enum InitFailure {
    /// An init error, printed as `Error: …`.
    Error(String),
    /// A question Core would ask in the GUI (e.g. whether to reindex); a
    /// daemon cannot ask, so it prints the text as it is and stops.
    Question(String),
    /// An error the failing step already showed (a wallet process's
    /// `Chain.initError`).
    Reported,
}

impl From<String> for InitFailure {
    fn from(e: String) -> Self {
        InitFailure::Error(e)
    }
}
