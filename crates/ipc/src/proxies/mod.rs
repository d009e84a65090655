//! Client and server proxies for each interface. Every method is declared
//! with [`server_method!`](crate::server_method) / [`client_method!`](crate::client_method), which expand into the generic
//! call paths ([`crate::server_call`], [`crate::client_call`]): a method's
//! declaration only says how its fields convert.

pub mod chain;
pub mod echo;
pub mod handler;
pub mod init;
pub mod mining;
pub mod node;
pub mod rpc;

use std::cell::RefCell;
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

/// Declares a server method. Forms:
///
/// * `worker NAME(Params, Results) "Iface.method", |p, conn| { reads; } |imp| call, |r, out, conn| write;`
///   reads owned arguments on the loop, runs `call` on the worker named by
///   `context.thread`, then writes the result on the loop.
/// * `inline NAME(Params, Results) "Iface.method", |imp| call;` runs `call` on
///   the event loop at once (methods without a context, like `interrupt`).
/// * `destroy NAME(Params, Results) "Iface.destroy";` drops the
///   implementation on the worker, after the calls queued before it.
#[macro_export]
macro_rules! server_method {
    (worker $fname:ident($pty:ty, $rty:ty) $name:literal,
     |$p:ident, $rconn:ident| { $($read:stmt;)* }
     |$imp:ident| $run:expr,
     |$r:ident, $out:ident, $conn:ident| $write:expr) => {
        fn $fname(
            self: ::std::rc::Rc<Self>,
            params: $pty,
            mut results: $rty,
        ) -> impl ::std::future::Future<Output = Result<(), ::capnp::Error>> + 'static {
            let req = $crate::server_call::recv($name);
            let ticket = $crate::server_call::Ticket::take(&self.conn);
            async move {
                let res: Result<(), ::capnp::Error> = async {
                    let $p = params.get()?;
                    $crate::server_call::trace_payload("request data", || format!("{:?}", $p));
                    #[allow(unused_variables)]
                    let $rconn = &self.conn;
                    $($read)*
                    let target = self.target.get()?;
                    let $out = $crate::server_call::on_worker(&self.conn, req, ticket, $p.get_context(), move || {
                        let $imp = &*target;
                        $run
                    })
                    .await?;
                    let $conn = &self.conn;
                    #[allow(unused_mut)]
                    let mut $r = results.get();
                    $write;
                    $crate::server_call::trace_payload("response data", || format!("{:?}", results.get().into_reader()));
                    Ok(())
                }
                .await;
                $crate::server_call::finish(req, $name, &res);
                res
            }
        }
    };
    (inline $fname:ident($pty:ty, $rty:ty) $name:literal, |$imp:ident| $run:expr) => {
        fn $fname(
            self: ::std::rc::Rc<Self>,
            _params: $pty,
            _results: $rty,
        ) -> impl ::std::future::Future<Output = Result<(), ::capnp::Error>> + 'static {
            let req = $crate::server_call::recv($name);
            let res = (|| {
                let target = self.target.get()?;
                let $imp = &*target;
                $run.map_err($crate::server_call::to_capnp)
            })();
            $crate::server_call::finish(req, $name, &res);
            ::std::future::ready(res)
        }
    };
    (destroy $fname:ident($pty:ty, $rty:ty) $name:literal) => {
        fn $fname(
            self: ::std::rc::Rc<Self>,
            params: $pty,
            _results: $rty,
        ) -> impl ::std::future::Future<Output = Result<(), ::capnp::Error>> + 'static {
            let req = $crate::server_call::recv($name);
            let ticket = $crate::server_call::Ticket::take(&self.conn);
            async move {
                let res: Result<(), ::capnp::Error> = async {
                    let p = params.get()?;
                    let target = self.target.take();
                    if p.get_context().is_ok_and(|c| c.has_thread()) {
                        $crate::server_call::on_worker(&self.conn, req, ticket, p.get_context(), move || {
                            drop(target);
                            Ok(())
                        })
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
        }
    };
}

/// Declares a client method body: `client_method!(self, Typed::Client,
/// "Iface.method", request_fn, |p, conn| { fill params }, |r, conn| read)`
/// sends the request with the calling thread's context and converts the reply
/// on the loop. Values used by the fill block must be owned and `Send`.
#[macro_export]
macro_rules! client_method {
    ($cap:expr, $cty:ty, $name:literal, $req:ident,
     |$p:ident| $fill:block,
     |$r:ident, $conn:ident| $read:expr) => {
        $cap.call($name, move |client, thread, $conn| {
            Box::pin(async move {
                let client: $cty = ::capnp::capability::FromClientHook::new(client.hook);
                let mut request = client.$req();
                {
                    #[allow(unused_mut)]
                    let mut $p = request.get();
                    $crate::client_call::set_context($p.reborrow().init_context(), &thread);
                    $fill
                }
                $crate::client_call::trace_plain("send data", || {
                    format!("{:?}", request.get().into_reader())
                });
                let reply = request.send().promise.await?;
                let $r = reply.get()?;
                $crate::client_call::trace_plain("recv data", || format!("{:?}", $r));
                #[allow(clippy::let_and_return)]
                let value = $read;
                value
            })
        })
    };
}
