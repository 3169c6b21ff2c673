//! `LazyStack`: a sink's [`Stack`] made on first use, when its service
//! first connects, and made again on the next use after a failed attempt
//! (credentials or a network that came late). Building a sink so stays
//! synchronous and never waits for a network.

use std::future::Future;

use tokio::sync::OnceCell;
use tributary_core::SinkStats;

use super::{RequestConfig, Stack, stack};

/// A sink's service in every layer, connected on first use.
pub struct LazyStack<S, L> {
    config: RequestConfig,
    logic: L,
    stack: OnceCell<Stack<S, L>>,
}

impl<S, L: Clone> LazyStack<S, L> {
    /// A stack configured by `config`, with `logic` deciding what is sent
    /// again, around the service a later [`LazyStack::connected`] makes.
    pub fn new(config: RequestConfig, logic: L) -> Self {
        LazyStack {
            config,
            logic,
            stack: OnceCell::new(),
        }
    }

    /// The stack, made now with the service `connect` gives if it is not
    /// made yet; `connect`'s error if it fails (and it is tried again next
    /// time).
    pub async fn connected<E, F>(&self, connect: impl FnOnce() -> F) -> Result<&Stack<S, L>, E>
    where
        F: Future<Output = Result<S, E>>,
    {
        self.stack
            .get_or_try_init(|| async {
                let service = connect().await?;
                Ok(stack(&self.config, self.logic.clone(), service))
            })
            .await
    }

    /// What the stack sent since the last call (nothing, before it is made).
    pub fn take_stats(&self) -> SinkStats {
        self.stack
            .get()
            .map(|stack| stack.get_ref().take_stats())
            .unwrap_or_default()
    }
}
