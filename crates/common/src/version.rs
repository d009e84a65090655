//! The Bitcoin Core release whose interfaces we serve.

/// Core's numeric `CLIENT_VERSION` (MMmmpp) of the release whose RPC interface
/// and wallet format we follow. `getnetworkinfo` reports it and the wallet
/// writes it as its `version` record, so the two agree as they do in Core
/// (Core's tests compare them). Clients gate features on it, so it names the
/// interface rather than our crate version, which `-version` prints.
pub const CORE_CLIENT_VERSION: i32 = 310_000;
