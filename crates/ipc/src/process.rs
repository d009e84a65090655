//! The IPC runtime of one process: its event loop plus the operations the
//! node and the other executables use (listen, connect, spawn, serve a parent).

use crate::client_call::{ConnHandle, RemoteCap};
use crate::connection::{self, ConnId};
use crate::event_loop::{EventLoop, LoopHandle};
use crate::log::{self, Level};
use crate::InitClient;
use interfaces::init::Init;
use std::os::unix::net::{UnixListener, UnixStream};
use std::sync::Arc;

/// One process's IPC runtime. Dropping it closes every connection.
pub struct Ipc {
    event_loop: EventLoop,
    exe_name: String,
}

impl Ipc {
    /// Starts the event loop; `exe_name` (e.g. `bitcoin-node`) appears in
    /// thread names and default socket names.
    pub fn new(exe_name: &str) -> std::io::Result<Ipc> {
        log::set_exe_name(exe_name);
        Ok(Ipc {
            event_loop: EventLoop::start()?,
            exe_name: exe_name.to_string(),
        })
    }

    /// The executable name given to [`Ipc::new`].
    pub fn exe_name(&self) -> &str {
        &self.exe_name
    }

    fn handle(&self) -> LoopHandle {
        self.event_loop.handle()
    }

    /// Accepts connections on `listener` and serves `init` on each.
    pub fn listen(&self, listener: UnixListener, init: Arc<dyn Init>) -> std::io::Result<()> {
        self.listen_with(listener, connection::init_bootstrap(init))
    }

    /// Accepts connections on `listener`, serving what `bootstrap` builds.
    pub fn listen_with(
        &self,
        listener: UnixListener,
        bootstrap: connection::Bootstrap,
    ) -> std::io::Result<()> {
        listener.set_nonblocking(true)?;
        let h = self.handle();
        let (tx, rx) = std::sync::mpsc::channel();
        self.handle().post(move || {
            let listener = match tokio::net::UnixListener::from_std(listener) {
                Ok(l) => l,
                Err(e) => {
                    let _ = tx.send(Err(e));
                    return;
                }
            };
            let _ = tx.send(Ok(()));
            tokio::task::spawn_local(async move {
                loop {
                    match listener.accept().await {
                        Ok((stream, _)) => {
                            let served = stream.into_std().and_then(|s| {
                                connection::serve_on_loop(h.clone(), s, bootstrap.clone(), None)
                            });
                            if let Err(e) = served {
                                log::log(
                                    Level::Error,
                                    format_args!("IPC server: accept failed: {e}"),
                                );
                            }
                        }
                        Err(e) => {
                            // Out of fds and the like: keep listening.
                            log::log(Level::Error, format_args!("IPC server: accept failed: {e}"));
                            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                        }
                    }
                }
            });
        });
        rx.recv()
            .map_err(|_| std::io::Error::other("event loop stopped"))?
    }

    /// Serves `init` on an already connected socket (a spawned child's fd);
    /// `on_close` runs when the peer closes it.
    pub fn serve(
        &self,
        stream: UnixStream,
        init: Arc<dyn Init>,
        on_close: Box<dyn FnOnce() + Send>,
    ) -> std::io::Result<ConnId> {
        self.serve_with(stream, connection::init_bootstrap(init), on_close)
    }

    /// Serves what `bootstrap` builds on an already connected socket.
    pub fn serve_with(
        &self,
        stream: UnixStream,
        bootstrap: connection::Bootstrap,
        on_close: Box<dyn FnOnce() + Send>,
    ) -> std::io::Result<ConnId> {
        let h = self.handle();
        let h2 = h.clone();
        h.run(move || {
            Box::pin(
                async move { connection::serve_on_loop(h2, stream, bootstrap, Some(on_close)) },
            )
        })
        .map_err(|_| std::io::Error::other("event loop stopped"))?
    }

    /// Connects to a peer on `stream` and returns its `Init`.
    pub fn connect_stream(&self, stream: UnixStream) -> interfaces::Result<InitClient> {
        self.connect_with(stream, connection::init_construct())
            .map(InitClient::new)
    }

    /// Connects to `address` (`unix`, `unix:` or `unix:<path>`, as
    /// `-ipcconnect` takes it) of executable `dest_exe` (e.g. `bitcoin-node`)
    /// relative to the network data directory, and returns its `Init`.
    pub fn connect_address(
        &self,
        address: &str,
        data_dir: &std::path::Path,
        dest_exe: &str,
    ) -> interfaces::Result<InitClient> {
        let mut address = address.to_string();
        let path = crate::socket::parse_address(&mut address, data_dir, dest_exe)
            .map_err(interfaces::Error::Remote)?;
        let stream = crate::socket::connect(&path).map_err(|e| {
            interfaces::Error::Remote(format!(
                "Could not connect to {address}: {}",
                crate::socket::error_text(&e)
            ))
        })?;
        self.connect_stream(stream)
    }

    /// Connects to a peer on `stream`, exchanges `ThreadMap`s with
    /// `construct`, and returns its bootstrap capability (owning the connection).
    pub fn connect_with(
        &self,
        stream: UnixStream,
        construct: connection::Construct,
    ) -> interfaces::Result<RemoteCap> {
        let h = self.handle();
        let h2 = h.clone();
        let (conn, cap_id) = h
            .run(move || {
                Box::pin(async move {
                    let (conn, boot) = connection::connect_on_loop(h2, stream, construct).await?;
                    Ok::<_, capnp::Error>((conn, crate::registry::insert(boot)))
                })
            })
            .map_err(|_| interfaces::Error::Disconnected)?
            .map_err(crate::client_call::from_capnp)?;
        Ok(RemoteCap {
            conn: Arc::new(ConnHandle::new(h, conn)),
            id: cap_id,
        })
    }

    /// Spawns `exe_name` next to this process's executable (`argv0`) with
    /// `-ipcfd` and returns its `Init` and pid. When the last proxy of the
    /// connection is dropped the socket closes, the child exits and is reaped.
    pub fn spawn(&self, argv0: &str, exe_name: &str) -> interfaces::Result<(InitClient, u32)> {
        let exe = crate::spawn::sibling_exe(argv0, exe_name);
        let (mut child, stream) = crate::spawn::spawn(&exe).map_err(|e| {
            interfaces::Error::Remote(format!("Failed to spawn {}: {e}", exe.display()))
        })?;
        let pid = child.id();
        tracing::debug!(target: "ipc", "Process {exe_name} pid {pid} launched");
        let init = match self.connect_stream(stream) {
            Ok(i) => i,
            Err(e) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(e);
            }
        };
        let name = exe_name.to_string();
        init.connection().add_cleanup(Box::new(move || {
            let status = child.wait().map(|s| s.code().unwrap_or(-1)).unwrap_or(-1);
            tracing::debug!(target: "ipc", "Process {name} pid {pid} exited with status {status}");
        }));
        Ok((init, pid))
    }

    /// Drops every connection peers made to us, except `keep` (the parent's),
    /// so clients cannot hold up shutdown.
    pub fn disconnect_incoming(&self, keep: Option<ConnId>) {
        let _ = self
            .handle()
            .run(move || Box::pin(async move { connection::close_incoming(keep).await }));
    }
}
