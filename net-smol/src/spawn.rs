//! Where net-smol runs its tasks: smol's global executor by default, or an executor the user
//! chose with [`enter`].

use std::cell::RefCell;
use std::sync::Arc;

use smol::Executor;

thread_local! {
    static CURRENT: RefCell<Vec<Arc<Executor<'static>>>> = const { RefCell::new(Vec::new()) };
}

/// Sockets and servers created on this thread while the guard lives run their tasks on this
/// executor (a server's accepted sockets too, whichever thread accepts them), instead of on
/// smol's global executor. The executor must be driven (`executor.run(…)`) for them to make
/// progress; a program that drives it from one thread gets Node's single-threaded model, where
/// nothing changes between two of its own statements.
///
/// ```
/// use std::sync::Arc;
/// let ex = Arc::new(smol::Executor::new());
/// let _guard = net_smol::enter(&ex);
/// let server = net_smol::Server::new(Default::default());
/// server.listen(net_smol::ListenOptions::tcp([127, 0, 0, 1].into(), 0)).unwrap();
/// smol::block_on(ex.run(async { /* the server accepts while this runs */ }));
/// ```
pub fn enter(executor: &Arc<Executor<'static>>) -> EnterGuard {
    CURRENT.with(|c| c.borrow_mut().push(Arc::clone(executor)));
    EnterGuard { _not_send: std::marker::PhantomData }
}

/// Undoes [`enter`] when dropped.
#[must_use = "the executor is only used while the guard lives"]
pub struct EnterGuard {
    _not_send: std::marker::PhantomData<*const ()>,
}

impl Drop for EnterGuard {
    fn drop(&mut self) {
        CURRENT.with(|c| c.borrow_mut().pop());
    }
}

/// The executor a new task goes to.
#[derive(Clone, Default)]
pub(crate) struct Spawner(Option<Arc<Executor<'static>>>);

impl std::fmt::Debug for Spawner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() { "Spawner(entered)" } else { "Spawner(global)" })
    }
}

impl Spawner {
    /// The one [`enter`] chose on this thread, or the global one.
    pub(crate) fn current() -> Self {
        Self(CURRENT.with(|c| c.borrow().last().cloned()))
    }

    pub(crate) fn spawn(&self, fut: impl Future<Output = ()> + Send + 'static) {
        match &self.0 {
            Some(ex) => ex.spawn(fut).detach(),
            None => smol::spawn(fut).detach(),
        }
    }
}
