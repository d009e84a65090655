//! Values shared by several interfaces (`common.capnp`).

/// A message and its translation (Core's `bilingual_str`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BilingualStr {
    /// Untranslated text.
    pub original: String,
    /// Translated text.
    pub translated: String,
}

impl BilingualStr {
    /// A message that has no translation.
    pub fn untranslated(text: impl Into<String>) -> Self {
        let text = text.into();
        BilingualStr {
            original: text.clone(),
            translated: text,
        }
    }
}

/// A value or a message saying why there is none (Core's `util::Result`):
/// the failure of an operation that ran, as opposed to [`crate::Error`],
/// the failure to reach it.
pub type Outcome<T> = std::result::Result<T, BilingualStr>;
