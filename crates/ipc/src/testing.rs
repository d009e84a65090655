//! The runtime's test interface (`schema/test/calculator.capnp`, traits in
//! `interfaces::testing`): its proxies are generated like the product's;
//! this module only has the bootstrap and `construct` glue a test server
//! and client need. Used by this crate's tests and benchmarks.

use crate::connection;
use crate::generated::calculator_capnp::calculator;
use crate::proxy::{Remote, ServerObject};
pub use interfaces::testing::{Calculator, Callback};
use std::sync::Arc;

/// A [`Calculator`] in another process.
pub type CalculatorClient = Remote<dyn Calculator>;

/// A bootstrap serving `imp` (for `Ipc::serve_with` / `listen_with`).
pub fn calculator_bootstrap(imp: Arc<dyn Calculator>) -> connection::Bootstrap {
    Arc::new(move |conn| {
        let c: calculator::Client = capnp_rpc::new_client(ServerObject::new(conn, imp.clone()));
        c.client
    })
}

/// The `construct` exchange for a `Calculator` bootstrap (for `Ipc::connect_with`).
pub fn calculator_construct() -> connection::Construct {
    Box::new(|boot, map| {
        Box::pin(async move {
            let c: calculator::Client = capnp::capability::FromClientHook::new(boot.hook);
            let mut req = c.construct_request();
            req.get().set_thread_map(map);
            let reply = req.send().promise.await?;
            reply.get()?.get_thread_map()
        })
    })
}
