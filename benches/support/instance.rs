//! An app instance on a tokio runtime of its own, its threads named after it, as a process of
//! its own would have: several instances in one bench then compete for the cores the way
//! processes do, and their CPU time can be told apart from the load generator's (see `cpu`).

use std::net::SocketAddr;

use marquee::server::{AppState, Application, Settings};
use tokio::runtime::Handle;
use tokio::sync::oneshot;

pub struct Instance {
    pub address: SocketAddr,
    pub state: AppState,
    /// The instance's runtime, to run work "inside" it (as its own code would).
    pub runtime: Handle,
    stop: oneshot::Sender<()>,
    thread: std::thread::JoinHandle<()>,
}

impl Instance {
    /// Builds and serves the app on a runtime with one worker per core; every thread of it is
    /// named `name` (at most 15 characters show in `/proc`).
    pub async fn start(name: &str, settings: Settings) -> Self {
        let (ready, started) = oneshot::channel();
        let (stop, stopped) = oneshot::channel::<()>();
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let thread_name = name.to_owned();
        let thread = std::thread::Builder::new()
            .name(name.to_owned())
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(cores)
                    .thread_name(thread_name)
                    .enable_all()
                    .build()
                    .expect("a runtime");
                runtime.block_on(async move {
                    let app = Application::build(settings).await.expect("app builds");
                    let _ = ready.send((app.address(), app.state().clone(), Handle::current()));
                    app.run_until_stopped(async {
                        let _ = stopped.await;
                    })
                    .await;
                });
            })
            .expect("a thread");
        let (address, state, runtime) = started.await.expect("the instance starts");
        Self {
            address,
            state,
            runtime,
            stop,
            thread,
        }
    }

    pub fn base(&self) -> String {
        format!("http://{}", self.address)
    }

    /// Stops serving and waits for the runtime to end. The state is let go first, so that its
    /// connections close on the runtime that owns them.
    pub async fn stop(self) {
        let Self {
            state,
            stop,
            thread,
            ..
        } = self;
        drop(state);
        let _ = stop.send(());
        let _ = tokio::task::spawn_blocking(move || thread.join()).await;
    }
}
