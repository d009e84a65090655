//! Numeric fields (`Bool`, integers, floats): identical types pass through;
//! others are range-checked on the way in, as libmultiprocess's
//! `type-number.h` does (`out of bound int received`). Core sends its enums
//! as their integer value, and `MillisecondsDouble` timeouts as `Float64`
//! milliseconds.

use crate::server_call::failed;
use std::time::Duration;

/// A Rust value carried in a numeric capnp field of type `W`.
pub trait Number<W>: Sized {
    /// The number to send.
    fn to_wire(&self) -> capnp::Result<W>;
    /// The value for a received number.
    fn from_wire(w: W) -> capnp::Result<Self>;
}

macro_rules! identity {
    ($($t:ty),*) => {$(
        impl Number<$t> for $t {
            fn to_wire(&self) -> capnp::Result<$t> {
                Ok(*self)
            }
            fn from_wire(w: $t) -> capnp::Result<Self> {
                Ok(w)
            }
        }
    )*};
}
identity!(bool, i8, i16, i32, i64, u8, u16, u32, u64, f32, f64);

fn out_of_bound() -> capnp::Error {
    failed("out of bound int received")
}

macro_rules! ranged {
    ($($t:ty => $w:ty),*) => {$(
        impl Number<$w> for $t {
            fn to_wire(&self) -> capnp::Result<$w> {
                <$w>::try_from(*self).map_err(|_| out_of_bound())
            }
            fn from_wire(w: $w) -> capnp::Result<Self> {
                <$t>::try_from(w).map_err(|_| out_of_bound())
            }
        }
    )*};
}
ranged!(usize => u64, usize => u32, usize => i64, u32 => i32, i64 => u64);

impl Number<()> for () {
    fn to_wire(&self) -> capnp::Result<()> {
        Ok(())
    }
    fn from_wire(_: ()) -> capnp::Result<Self> {
        Ok(())
    }
}

/// A timeout in Core's `MillisecondsDouble`; `None` (no limit) travels as
/// the schema default `maxDouble`, and anything beyond about 31 years reads
/// as no limit.
impl Number<f64> for Option<Duration> {
    fn to_wire(&self) -> capnp::Result<f64> {
        Ok(self.map_or(f64::MAX, |d| d.as_secs_f64() * 1000.0))
    }
    fn from_wire(ms: f64) -> capnp::Result<Self> {
        if ms.is_nan() || ms < 0.0 {
            return Err(failed(&format!("invalid timeout {ms}")));
        }
        if ms >= 1e12 {
            return Ok(None);
        }
        Ok(Some(Duration::from_secs_f64(ms / 1000.0)))
    }
}

/// Enums of `interfaces` travel as their `i32` value.
macro_rules! enum_number {
    ($($t:ty),*) => {$(
        impl Number<i32> for $t {
            fn to_wire(&self) -> capnp::Result<i32> {
                Ok(*self as i32)
            }
            fn from_wire(w: i32) -> capnp::Result<Self> {
                <$t>::try_from(w)
                    .map_err(|_| failed(&format!("invalid {} {w} received", stringify!($t))))
            }
        }
    )*};
}
enum_number!(
    interfaces::chain::RbfTransactionState,
    interfaces::chain::TxBroadcast,
    interfaces::chain::MemPoolRemovalReason,
    interfaces::chain::SettingsAction,
    interfaces::node::SyncState
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeouts_validate_and_map_forever() {
        type T = Option<Duration>;
        assert!(T::from_wire(f64::NAN).is_err());
        assert!(T::from_wire(-1.0).is_err());
        assert_eq!(T::from_wire(f64::MAX).expect("max"), None);
        assert_eq!(
            T::from_wire(1500.0).expect("ok"),
            Some(Duration::from_millis(1500))
        );
        assert_eq!(None::<Duration>.to_wire().expect("max"), f64::MAX);
    }

    #[test]
    fn ranges_are_checked() {
        assert!(<u32 as Number<i32>>::from_wire(-1).is_err());
        assert!(<u32 as Number<i32>>::to_wire(&u32::MAX).is_err());
        assert_eq!(<usize as Number<u64>>::from_wire(7).expect("fits"), 7);
    }
}
