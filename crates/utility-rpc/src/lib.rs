//! Chain-independent utility RPCs: address validation, script and transaction
//! decoding, descriptors, multisig creation, and message signing. They behave as
//! Bitcoin Core's methods of the same names.

pub mod address;
pub mod base58;
pub mod bech32;
pub mod descriptor;
pub mod external_signer;
pub mod leaf_padding;
pub mod message;
pub mod multisig;
pub mod musig2;
pub mod psbtrpc;
pub mod rawtx;
pub mod scan_objects;
pub mod script;
mod signer_rpc;
pub mod sorted_multi_a;
pub mod tapscript_limits;
pub mod tojson;

mod methods;

use rpc::RpcTable;

/// Registers `validateaddress`, `decodescript`, `decoderawtransaction`,
/// `getdescriptorinfo`, `deriveaddresses`, `createmultisig`,
/// `signmessagewithprivkey` and `verifymessage` for `network`.
pub fn register(table: &RpcTable, network: bitcoin::Network) {
    for m in methods::all(network) {
        table.register(m);
    }
}

pub use psbtrpc::register_psbt;
pub use rawtx::{register_rawtx, CoinLookup};
pub use signer_rpc::register_signer;
