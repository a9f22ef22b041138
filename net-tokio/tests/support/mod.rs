//! What the shared backend tests need from the runtime: tokio's.
#![allow(dead_code)] // each test file uses a different part

use std::time::Duration;

pub(crate) use net_tokio as backend;

pub(crate) const BACKEND: &str = "tokio";

pub(crate) fn run<F: Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap().block_on(f)
}

/// `f`, or `Err(())` once `limit` passed.
pub(crate) async fn timeout<T>(limit: Duration, f: impl Future<Output = T>) -> Result<T, ()> {
    tokio::time::timeout(limit, f).await.map_err(|_| ())
}

pub(crate) async fn sleep(d: Duration) {
    tokio::time::sleep(d).await;
}

pub(crate) fn spawn<T: Send + 'static>(
    f: impl Future<Output = T> + Send + 'static,
) -> impl Future<Output = T> {
    let task = tokio::spawn(f);
    async move { task.await.unwrap() }
}
