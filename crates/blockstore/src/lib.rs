//! Block storage.
