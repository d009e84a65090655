//! Loop-local table of remote capabilities held by `Send` client proxies.
//! capnp clients are `!Send`, so a proxy on another thread holds only a
//! [`CapId`]; the client itself stays here on the loop thread.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};

/// Key of a capability in the loop's table.
pub type CapId = u64;

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

thread_local! {
    static CAPS: RefCell<HashMap<CapId, capnp::capability::Client>> = RefCell::new(HashMap::new());
}

/// Stores `client` (on the loop thread) and returns its key.
pub fn insert(client: capnp::capability::Client) -> CapId {
    let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
    CAPS.with(|c| c.borrow_mut().insert(id, client));
    id
}

/// The client stored under `id`, if it is still there.
pub fn get(id: CapId) -> Option<capnp::capability::Client> {
    CAPS.with(|c| c.borrow().get(&id).cloned())
}

/// Drops the client stored under `id` (a capnp `Release` to the peer).
pub fn remove(id: CapId) {
    // Take it out first so its drop does not run while the table is borrowed.
    let client = CAPS.with(|c| c.borrow_mut().remove(&id));
    drop(client);
}

/// Drops every stored client (the loop is stopping).
pub fn clear() {
    let all = CAPS.with(|c| std::mem::take(&mut *c.borrow_mut()));
    drop(all);
}
