//! New addresses, change addresses and the address book (Core's
//! `GetNewDestination`, `GetNewChangeDestination`, `SetAddressBook`).

use super::keystore::KeyWrites;
use super::{State, Wallet, Writes};
use crate::db::load::AddressBookEntry;
use crate::db::records::AddressPurpose;
use crate::keys::{KeyError, OutputType};
use bitcoin::{Address, Script, ScriptBuf};

/// Why no address could be given, with Core's text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AddressError {
    /// No active descriptor of that type (`RPC_WALLET_ERROR`).
    NoneOfType(String),
    /// The window is exhausted and cannot grow (`RPC_WALLET_KEYPOOL_RAN_OUT`).
    KeypoolRanOut(String),
    /// Writing failed.
    Storage(String),
}

impl std::fmt::Display for AddressError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AddressError::NoneOfType(m)
            | AddressError::KeypoolRanOut(m)
            | AddressError::Storage(m) => f.write_str(m),
        }
    }
}

/// Core's `FormatOutputType`.
pub fn output_type_name(t: OutputType) -> &'static str {
    t.name()
}

impl Wallet {
    /// Whether the wallet can give addresses (Core's `CanGetAddresses`):
    /// some active manager of the branch can.
    pub fn can_get_addresses(&self, internal: bool) -> bool {
        let state = self.lock();
        let map = if internal {
            &state.keys.internal
        } else {
            &state.keys.external
        };
        map.values()
            .filter_map(|id| state.keys.spkms.get(id))
            .any(|s| s.can_get_addresses())
    }

    /// A new receive (or change, `internal`) address of `output_type`;
    /// a receive address joins the address book with `label`.
    pub fn new_destination(
        &self,
        output_type: OutputType,
        label: &str,
        internal: bool,
    ) -> Result<Address, AddressError> {
        let mut state = self.lock();
        let Some(id) = state.keys.active(output_type, internal) else {
            return Err(AddressError::NoneOfType(format!(
                "Error: No {} addresses available.",
                output_type.name()
            )));
        };
        let State {
            keys,
            master_key,
            master_keys,
            ..
        } = &mut *state;
        let access = super::key_access(!master_keys.is_empty(), master_key.as_ref());
        let spkm = keys
            .spkms
            .get_mut(&id)
            .ok_or_else(|| AddressError::NoneOfType("Error: No addresses available.".into()))?;
        let dest = spkm
            .get_new_destination(output_type, access)
            .map_err(|e| match e {
                KeyError::Addresses(_) | KeyError::Keys(_) | KeyError::Derive(_) => {
                    AddressError::KeypoolRanOut(
                        "Error: Keypool ran out, please call keypoolrefill first".into(),
                    )
                }
                other => AddressError::KeypoolRanOut(other.to_string()),
            })?;
        let mut keys = KeyWrites::default();
        keys.descriptors.push(id);
        if let Some(t) = dest.top_up {
            keys.top_up(id, t);
        }
        let mut writes = Writes::from(keys);
        if !internal {
            set_address_book(
                &mut state,
                &mut writes,
                &dest.address.to_string(),
                Some(label),
                Some(AddressPurpose::Receive),
            );
        }
        self.commit(&mut state, writes)
            .map_err(AddressError::Storage)?;
        Ok(dest.address)
    }

    /// The address book entry of `address`.
    pub fn address_book_entry(&self, address: &str) -> Option<AddressBookEntry> {
        self.lock().address_book.get(address).cloned()
    }

    /// Sets a label and/or purpose (Core's `SetAddressBook`), durably.
    pub fn set_address_book(
        &self,
        address: &str,
        label: Option<&str>,
        purpose: Option<AddressPurpose>,
    ) -> Result<(), String> {
        let mut state = self.lock();
        let mut writes = Writes::default();
        set_address_book(&mut state, &mut writes, address, label, purpose);
        self.commit(&mut state, writes)
    }

    /// Whether `script` is change: the wallet's, but not in the address
    /// book (Core's `ScriptIsChange`).
    pub fn is_change(&self, state: &State, script: &Script) -> bool {
        if !state.keys.is_mine(script) {
            return false;
        }
        match Address::from_script(script, self.network) {
            Ok(a) => !state.address_book.contains_key(&a.to_string()),
            Err(_) => true,
        }
    }

    /// The address string of `script`, if it has one.
    pub fn address_of(&self, script: &ScriptBuf) -> Option<String> {
        Address::from_script(script, self.network)
            .ok()
            .map(|a| a.to_string())
    }
}

/// Core's `SetAddressBookWithDB`: the entry is updated in memory and the
/// records queued in `writes`. A purpose is only set where none was.
pub fn set_address_book(
    state: &mut State,
    writes: &mut Writes,
    address: &str,
    label: Option<&str>,
    purpose: Option<AddressPurpose>,
) {
    let entry = state.address_book.entry(address.to_string()).or_default();
    if let Some(l) = label {
        entry.label = Some(l.to_string());
        writes.names.push((address.to_string(), l.to_string()));
    }
    if let Some(p) = purpose {
        entry.purpose = Some(p);
        writes
            .purposes
            .push((address.to_string(), p.as_str().to_string()));
    }
}
