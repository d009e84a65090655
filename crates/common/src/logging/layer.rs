//! The `tracing` layer that turns events into [`Entry`]s for a [`Logger`].
//!
//! The event's `target` is its category when it names one (`tracing::debug!(target:
//! "net", …)`); any other target (the default module path) makes the event
//! uncategorised. Debug and trace events are filtered before their message is
//! formatted; uncategorised debug and trace events are never logged (Core has no
//! such messages, and this keeps dependencies' debug output out of `debug.log`).

use super::categories::{self, Level, ALL};
use super::format::Entry;
use super::logger::Logger;
use std::fmt::Write as _;
use tracing::field::{Field, Visit};
use tracing::subscriber::Interest;
use tracing::{Event, Metadata, Subscriber};
use tracing_subscriber::layer::Context;
use tracing_subscriber::Layer;

/// A `tracing_subscriber` layer writing events to a [`Logger`] in Core's format.
pub struct CoreLayer {
    logger: &'static Logger,
}

impl CoreLayer {
    /// A layer feeding `logger`.
    pub fn new(logger: &'static Logger) -> Self {
        CoreLayer { logger }
    }

    fn wanted(&self, meta: &Metadata<'_>) -> bool {
        if !meta.is_event() || !self.logger.is_active() {
            return false;
        }
        let level = Level::from_tracing(meta.level());
        if level >= Level::Info {
            return true;
        }
        categories::flag_of(meta.target()).is_some_and(|f| self.logger.will_log(f, level))
    }
}

#[derive(Default)]
struct MessageVisitor {
    message: String,
    fields: String,
}

impl Visit for MessageVisitor {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.message.push_str(value);
        } else {
            let _ = write!(self.fields, " {}={}", field.name(), value);
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            let _ = write!(self.message, "{value:?}");
        } else {
            let _ = write!(self.fields, " {}={:?}", field.name(), value);
        }
    }
}

impl<S: Subscriber> Layer<S> for CoreLayer {
    fn register_callsite(&self, meta: &'static Metadata<'static>) -> Interest {
        if !meta.is_event() {
            return Interest::never();
        }
        let level = Level::from_tracing(meta.level());
        if level < Level::Info && categories::flag_of(meta.target()).is_none() {
            return Interest::never();
        }
        Interest::sometimes()
    }

    fn enabled(&self, meta: &Metadata<'_>, _ctx: Context<'_, S>) -> bool {
        self.wanted(meta)
    }

    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        let meta = event.metadata();
        if !self.wanted(meta) {
            return;
        }
        let mut v = MessageVisitor::default();
        event.record(&mut v);
        let mut message = v.message;
        message.push_str(&v.fields);
        let category = categories::flag_of(meta.target()).unwrap_or(ALL);
        let entry: Entry = self.logger.make_entry(
            category,
            Level::from_tracing(meta.level()),
            meta.file().unwrap_or("?"),
            meta.line().unwrap_or(0),
            meta.module_path().unwrap_or_else(|| meta.target()),
            message,
        );
        self.logger.log(entry);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::logging::logger::LogConfig;
    use std::sync::{Arc, Mutex};
    use tracing_subscriber::layer::SubscriberExt;

    #[test]
    fn events_through_tracing() {
        let logger: &'static Logger = Box::leak(Box::new(Logger::new()));
        let lines = Arc::new(Mutex::new(Vec::<String>::new()));
        let l2 = Arc::clone(&lines);
        logger.add_print_callback(Box::new(move |s| l2.lock().unwrap().push(s.to_string())));
        let subscriber = tracing_subscriber::registry().with(CoreLayer::new(logger));
        tracing::subscriber::with_default(subscriber, || {
            tracing::info!("before start {}", 1);
            logger
                .start(&LogConfig {
                    timestamps: false,
                    rate_limit: false,
                    ..LogConfig::default()
                })
                .unwrap();
            tracing::debug!(target: "net", "hidden");
            tracing::debug!("uncategorised hidden");
            logger.enable_category("net");
            tracing::debug!(target: "net", "shown {}", 2);
            tracing::trace!(target: "net", "trace hidden");
            logger.setup_levels(&["net:trace".to_string()]).unwrap();
            tracing::trace!(target: "net", "traced");
            tracing::debug!(target: "rpc", "rpc hidden");
            tracing::warn!("careful");
            tracing::error!(target: "net", peer = 3, "bad\x07");
            tracing::info!(target: "unknown", "plain");
            let _span = tracing::info_span!("ignored").entered();
            tracing::info!("in span");
        });
        let got = lines.lock().unwrap().clone();
        assert_eq!(
            got,
            vec![
                "before start 1\n",
                "[net] shown 2\n",
                "[net:trace] traced\n",
                "[warning] careful\n",
                "[net:error] bad\\x07 peer=3\n",
                "plain\n",
                "in span\n",
            ]
        );
    }
}
