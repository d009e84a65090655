//! Values shared by several interfaces (`common.capnp`).

/// A message and its translation (Core's `bilingual_str`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BilingualStr {
    /// Untranslated text.
    pub original: String,
    /// Translated text.
    pub translated: String,
}

impl From<&str> for BilingualStr {
    /// An untranslated text (both forms the same).
    fn from(text: &str) -> Self {
        BilingualStr {
            original: text.to_string(),
            translated: text.to_string(),
        }
    }
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

/// A fee rate as Core's `CFeeRate` keeps it: `fee` satoshis for `size`
/// virtual bytes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FeeRate {
    /// Satoshis.
    pub fee: i64,
    /// Virtual bytes.
    pub size: i32,
}

impl FeeRate {
    /// `sat_per_kvb` satoshis per 1000 virtual bytes (how Core's options
    /// and RPCs state fee rates).
    pub fn per_kvb(sat_per_kvb: i64) -> Self {
        FeeRate {
            fee: sat_per_kvb,
            size: 1000,
        }
    }

    /// Satoshis per 1000 virtual bytes, rounded down as Core's `GetFeePerK`.
    pub fn sat_per_kvb(&self) -> i64 {
        if self.size <= 0 {
            return 0;
        }
        let scaled = i128::from(self.fee) * 1000 / i128::from(self.size);
        scaled.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64
    }
}

/// A config file's sections: per section, its options and their values.
pub type ConfigSections = Vec<(String, Vec<(String, Vec<String>)>)>;

/// Settings handed to another process; every value is JSON text
/// (Core's `common::Settings`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Settings {
    /// Values forced by the process itself.
    pub forced_settings: Vec<(String, String)>,
    /// Command-line options and their values.
    pub command_line_options: Vec<(String, Vec<String>)>,
    /// `settings.json`.
    pub rw_settings: Vec<(String, String)>,
    /// `bitcoin.conf`, by section.
    pub ro_config: ConfigSections,
}

/// What a spawned process needs of its parent's arguments.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GlobalArgs {
    /// All settings.
    pub settings: Settings,
    /// The configuration file's path.
    pub config_path: String,
}

/// Declares a fieldless enum that travels as its `i32` value, with the
/// conversion from a received number.
#[macro_export]
macro_rules! wire_enum {
    ($(#[$meta:meta])* pub enum $name:ident { $($(#[$vmeta:meta])* $variant:ident = $value:expr,)* }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[repr(i32)]
        pub enum $name {
            $($(#[$vmeta])* $variant = $value,)*
        }

        impl TryFrom<i32> for $name {
            type Error = i32;
            fn try_from(v: i32) -> std::result::Result<Self, i32> {
                match v {
                    $($value => Ok($name::$variant),)*
                    other => Err(other),
                }
            }
        }
    };
}
