//! What the shared backend tests need from the runtime: smol's.
#![allow(dead_code)] // each test file uses a different part

use std::time::Duration;

pub(crate) use net_smol as backend;

pub(crate) const BACKEND: &str = "smol";

pub(crate) fn run<F: Future>(f: F) -> F::Output {
    smol::block_on(f)
}

/// `f`, or `Err(())` once `limit` passed.
pub(crate) async fn timeout<T>(limit: Duration, f: impl Future<Output = T>) -> Result<T, ()> {
    smol::future::or(async { Ok(f.await) }, async {
        async_io::Timer::after(limit).await;
        Err(())
    })
    .await
}

pub(crate) async fn sleep(d: Duration) {
    async_io::Timer::after(d).await;
}

/// Like tokio's `spawn`: the task runs to its end even if the returned future is dropped
/// (dropping a smol `Task` would cancel it).
pub(crate) fn spawn<T: Send + 'static>(
    f: impl Future<Output = T> + Send + 'static,
) -> impl Future<Output = T> {
    let (tx, rx) = smol::channel::bounded(1);
    smol::spawn(async move {
        let _ = tx.send(f.await).await;
    })
    .detach();
    async move { rx.recv().await.expect("the task finished") }
}
