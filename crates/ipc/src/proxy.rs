//! The two objects every generated proxy is made of, and the two macros the
//! generated methods expand through (libmultiprocess's `ProxyServer` /
//! `ProxyClient` and its `serverInvoke` / `clientInvoke` templates):
//!
//! * [`ServerObject<T>`] serves an implementation `Arc<T>` (`T` is a
//!   `dyn Trait` of `interfaces`) on one connection. The generator implements
//!   the capnp `Server` trait of interface `X` for every `ServerObject<T>`
//!   with `T: X`, so an object whose interface extends another (`WalletLoader`
//!   extends `ChainClient`) answers both sets of methods.
//! * [`Remote<T>`] is a capability of the peer, usable from any thread; the
//!   generator implements trait `X` for `Remote<dyn X>` (and for the
//!   `Remote` of every interface extending `X`).
//!
//! A method's generated body only says how its values convert; threads,
//! logging, errors and cancellation are the generic paths of
//! [`crate::server_call`] and [`crate::client_call`].

use crate::client_call::{ConnHandle, RemoteCap};
use crate::connection::Connection;
use std::cell::RefCell;
use std::marker::PhantomData;
use std::rc::Rc;
use std::sync::Arc;

/// The implementation behind a server object; emptied by `destroy`, after
/// which calls answer an error instead of reaching a destroyed object.
pub struct ImplSlot<T: ?Sized> {
    inner: RefCell<Option<Arc<T>>>,
}

impl<T: ?Sized> ImplSlot<T> {
    /// A slot holding `imp`.
    pub fn new(imp: Arc<T>) -> Self {
        ImplSlot {
            inner: RefCell::new(Some(imp)),
        }
    }

    /// The implementation, or the error for a call after `destroy`.
    pub fn get(&self) -> Result<Arc<T>, capnp::Error> {
        self.inner
            .borrow()
            .clone()
            .ok_or_else(|| crate::server_call::failed("method called after destroy"))
    }

    /// Takes the implementation out (for `destroy`).
    pub fn take(&self) -> Option<Arc<T>> {
        self.inner.borrow_mut().take()
    }
}

/// An implementation served to the peer of one connection.
pub struct ServerObject<T: ?Sized> {
    /// The connection it is served on.
    pub conn: Rc<Connection>,
    /// What its methods call.
    pub target: ImplSlot<T>,
}

impl<T: ?Sized> ServerObject<T> {
    /// A server object for `imp` on `conn`.
    pub fn new(conn: Rc<Connection>, imp: Arc<T>) -> Self {
        ServerObject {
            conn,
            target: ImplSlot::new(imp),
        }
    }
}

/// A capability of the peer's, behind interface trait `T`.
pub struct Remote<T: ?Sized> {
    /// The capability and its connection.
    pub cap: RemoteCap,
    _interface: PhantomData<fn() -> Box<T>>,
}

impl<T: ?Sized> Remote<T> {
    /// Wraps a remote capability.
    pub fn new(cap: RemoteCap) -> Self {
        Remote {
            cap,
            _interface: PhantomData,
        }
    }

    /// The connection handle shared by every proxy of this connection.
    pub fn connection(&self) -> &Arc<ConnHandle> {
        &self.cap.conn
    }
}

/// Expands a generated server method into the generic server path.
///
/// * `worker`: reads owned arguments on the loop (`read`), runs `run` on the
///   worker named by `context.thread`, then writes its output (`write`).
/// * `inline`: the same without a context: runs on the event loop at once
///   (`Mining.interrupt`, the `Node` settings methods).
/// * `destroy`: drops the implementation on the worker, after the calls
///   queued before it.
#[macro_export]
macro_rules! serve {
    (worker, $this:ident, $params:ident, $results:ident, $name:literal,
     |$p:ident, $cx:ident| $read:block,
     |$imp:ident, $args:pat_param| $run:expr,
     |$r:ident, $out:ident| $write:block $(,)?) => {{
        let req = $crate::server_call::recv($name);
        let ticket = $crate::server_call::Ticket::take(&$this.conn);
        async move {
            let res: ::capnp::Result<()> = async {
                let $p = $params.get()?;
                $crate::server_call::trace_payload("request data", || $crate::log::debug_text(&$p));
                let cx = $crate::convert::Cx::server(&$this.conn);
                let $cx = &cx;
                let args = (|| -> ::capnp::Result<_> { $read })()?;
                let target = $this.target.get()?;
                let $out = $crate::server_call::on_worker(
                    &$this.conn,
                    req,
                    ticket,
                    $p.get_context(),
                    move || {
                        let $imp = &*target;
                        let $args = args;
                        $run
                    },
                )
                .await?;
                #[allow(unused_mut)]
                let mut $r = $results.get();
                (|| -> ::capnp::Result<()> { $write })()?;
                $crate::server_call::trace_payload("response data", || {
                    $crate::log::debug_text(&$results.get().into_reader())
                });
                Ok(())
            }
            .await;
            $crate::server_call::finish(req, $name, &res);
            res
        }
    }};
    (inline, $this:ident, $params:ident, $results:ident, $name:literal,
     |$p:ident, $cx:ident| $read:block,
     |$imp:ident, $args:pat_param| $run:expr,
     |$r:ident, $out:ident| $write:block $(,)?) => {{
        let req = $crate::server_call::recv($name);
        let res = (|| -> ::capnp::Result<()> {
            let $p = $params.get()?;
            let cx = $crate::convert::Cx::server(&$this.conn);
            let $cx = &cx;
            let $args = (|| -> ::capnp::Result<_> { $read })()?;
            let target = $this.target.get()?;
            let $imp = &*target;
            let $out = $run.map_err($crate::server_call::to_capnp)?;
            #[allow(unused_mut)]
            let mut $r = $results.get();
            (|| -> ::capnp::Result<()> { $write })()
        })();
        $crate::server_call::finish(req, $name, &res);
        ::std::future::ready(res)
    }};
    (destroy, $this:ident, $params:ident, $name:literal $(,)?) => {{
        let req = $crate::server_call::recv($name);
        let ticket = $crate::server_call::Ticket::take(&$this.conn);
        async move {
            let res: ::capnp::Result<()> = async {
                let p = $params.get()?;
                let target = $this.target.take();
                if p.get_context().is_ok_and(|c| c.has_thread()) {
                    $crate::server_call::on_worker(
                        &$this.conn,
                        req,
                        ticket,
                        p.get_context(),
                        move || {
                            drop(target);
                            Ok(())
                        },
                    )
                    .await
                } else {
                    drop(target);
                    Ok(())
                }
            }
            .await;
            $crate::server_call::finish(req, $name, &res);
            res
        }
    }};
}

/// Expands a generated client method into the generic client path: the
/// request is built on the loop from owned, `Send` values (`build`), sent
/// with the calling thread's context when the method has one, and the reply
/// converted to owned values there (`read`).
#[macro_export]
macro_rules! call {
    ($cap:expr, $client:ty, $name:literal, $request:ident, $ctx:tt,
     |$p:ident, $cx:ident| $build:block,
     |$r:ident, $rcx:ident| $read:block $(,)?) => {
        $cap.call($name, move |client, thread, handle| {
            Box::pin(async move {
                let client: $client = ::capnp::capability::FromClientHook::new(client.hook);
                let mut request = client.$request();
                let cx = $crate::convert::Cx::client(handle)?;
                {
                    #[allow(unused_mut)]
                    let mut $p = request.get();
                    $crate::call!(@context $ctx, $p, thread);
                    let $cx = &cx;
                    (|| -> ::capnp::Result<()> { $build })()?;
                }
                $crate::client_call::trace_plain("send data", || {
                    $crate::log::debug_text(&request.get().into_reader())
                });
                let reply = request.send().promise.await?;
                let $r = reply.get()?;
                $crate::client_call::trace_plain("recv data", || $crate::log::debug_text(&$r));
                let $rcx = &cx;
                (|| -> ::capnp::Result<_> { $read })()
            })
        })
    };
    (@context true, $p:ident, $thread:ident) => {
        $crate::client_call::set_context($p.reborrow().init_context(), &$thread);
    };
    (@context false, $p:ident, $thread:ident) => {
        let _ = &$thread;
    };
}
