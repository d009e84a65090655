//! New addresses, change addresses and the address book (Core's
//! `GetNewDestination`, `GetNewChangeDestination`, `SetAddressBook`,
//! `DelAddressBook`, the GUI's receive requests), with the address book
//! changes announced to registered callbacks (`NotifyAddressBookChanged`).

use super::keystore::KeyWrites;
use super::{State, Wallet, Writes};
use crate::db::load::AddressBookEntry;
use crate::db::records::AddressPurpose;
use crate::keys::{KeyError, OutputType};
use bitcoin::{Address, Script, ScriptBuf};
use interfaces::wallet::TxDestination;

/// How an address book entry changed (Core's `ChangeType`, numbered as
/// Core numbers it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BookChange {
    /// A new entry (or a change address's data gaining a label).
    New = 0,
    /// An entry with a label was updated.
    Updated = 1,
    /// The entry was deleted.
    Deleted = 2,
}

/// An address book change to announce once written (the arguments of
/// Core's `NotifyAddressBookChanged`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddressBookChange {
    /// The address.
    pub dest: TxDestination,
    /// Its label now.
    pub label: String,
    /// Whether the wallet owns it.
    pub is_mine: bool,
    /// Its purpose (derived from ownership where none is recorded).
    pub purpose: AddressPurpose,
    /// What happened.
    pub status: BookChange,
}

/// The output script of an address string of any network (the address book
/// holds this wallet's network only).
pub fn script_of_address(address: &str) -> Option<ScriptBuf> {
    address
        .parse::<Address<bitcoin::address::NetworkUnchecked>>()
        .ok()
        .map(|a| a.assume_checked().script_pubkey())
}

/// Core's purpose of an entry: the recorded one, else derived from
/// ownership ("in very old wallets, address purpose may not be recorded").
pub fn purpose_or_derived(purpose: Option<AddressPurpose>, is_mine: bool) -> AddressPurpose {
    purpose.unwrap_or(if is_mine {
        AddressPurpose::Receive
    } else {
        AddressPurpose::Send
    })
}

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
                // The descriptor's own reason ("No addresses available" once
                // a watch-only hardened window is used up), as Core passes
                // it on.
                KeyError::Addresses(m) => AddressError::KeypoolRanOut(m),
                KeyError::Keys(_) | KeyError::Derive(_) => AddressError::KeypoolRanOut(
                    "Error: Keypool ran out, please call keypoolrefill first".into(),
                ),
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

    /// Deletes the address book entry of an address the wallet does not
    /// own, with its data (Core's `DelAddressBook`); false for the wallet's
    /// own addresses, which Core does not support deleting.
    pub fn del_address_book(&self, address: &str) -> Result<bool, String> {
        let mut state = self.lock();
        let Some(script) = script_of_address(address) else {
            return Ok(false);
        };
        if state.keys.is_mine(&script) {
            self.log(format_args!(
                "DelAddressBookWithDB called with IsMine address, NOT SUPPORTED. Please report this bug! https://github.com/bitcoin/bitcoin/issues"
            ));
            return Ok(false);
        }
        state.address_book.remove(address);
        let writes = Writes {
            erased: vec![address.to_string()],
            address_book_changed: vec![AddressBookChange {
                dest: TxDestination::from_script(&script),
                label: String::new(),
                is_mine: false,
                purpose: AddressPurpose::Send,
                status: BookChange::Deleted,
            }],
            ..Default::default()
        };
        self.commit(&mut state, writes)?;
        Ok(true)
    }

    /// Saves the GUI's receive request `id` for `address`, or erases it when
    /// `request` is empty (Core's `SetAddressReceiveRequest` and
    /// `EraseAddressReceiveRequest`), durably.
    pub fn set_address_receive_request(
        &self,
        address: &str,
        id: &str,
        request: &[u8],
    ) -> Result<(), String> {
        let mut state = self.lock();
        let entry = state.address_book.entry(address.to_string()).or_default();
        let value = if request.is_empty() {
            entry.receive_requests.remove(id);
            None
        } else {
            entry
                .receive_requests
                .insert(id.to_string(), request.to_vec());
            Some(request.to_vec())
        };
        let writes = Writes {
            receive_requests: vec![(address.to_string(), id.to_string(), value)],
            ..Default::default()
        };
        self.commit(&mut state, writes)
    }

    /// Every saved receive request (Core's `GetAddressReceiveRequests`).
    pub fn address_receive_requests(&self) -> Vec<Vec<u8>> {
        self.lock()
            .address_book
            .values()
            .flat_map(|e| e.receive_requests.values().cloned())
            .collect()
    }

    /// Whether `script` is change: the wallet's, but without a labelled
    /// address book entry (Core's `ScriptIsChange`).
    pub fn is_change(&self, state: &State, script: &Script) -> bool {
        if !state.keys.is_mine(script) {
            return false;
        }
        match Address::from_script(script, self.network) {
            Ok(a) => state.find_address_book_entry(&a.to_string()).is_none(),
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

/// Core's `SetAddressBookWithDB`: the entry is updated in memory, the
/// records queued in `writes`, and the change queued to be announced once
/// written (an update when a labelled entry existed, else new). The purpose
/// is only written when given.
pub fn set_address_book(
    state: &mut State,
    writes: &mut Writes,
    address: &str,
    label: Option<&str>,
    purpose: Option<AddressPurpose>,
) {
    let updated = state.find_address_book_entry(address).is_some();
    let script = script_of_address(address);
    let is_mine = script.as_ref().is_some_and(|s| state.keys.is_mine(s));
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
    writes.address_book_changed.push(AddressBookChange {
        dest: script.map_or(TxDestination::None, |s| TxDestination::from_script(&s)),
        label: entry.label.clone().unwrap_or_default(),
        is_mine,
        purpose: purpose_or_derived(entry.purpose, is_mine),
        status: if updated {
            BookChange::Updated
        } else {
            BookChange::New
        },
    });
}
