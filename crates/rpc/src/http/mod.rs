//! A small HTTP/1.x server with Core's limits, status codes and connection rules.

pub mod parse;
pub mod response;
pub mod server;
pub mod subnet;
pub mod workqueue;

pub use parse::{Method, Request};
pub use response::Response;
pub use server::{HttpConfig, HttpServer, PathHandler, Peer};
pub use subnet::Subnet;
