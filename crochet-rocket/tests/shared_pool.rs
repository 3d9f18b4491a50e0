//! `SyncApp::share_pool`: a mounted `SyncHandler` and the `Offload` guard's
//! jobs on the fairing's one pool.

mod support;

use std::sync::{Arc, Mutex, mpsc};

use crochet_core::Pool;
use crochet_rocket::{Crochet, Offload, RouteError, SyncApp};
use crochet_sync_http::Response;
use rocket::{State, get, routes};
use support::{PATIENCE, get, launch, rocket};

/// "The held job has started", and "let it finish".
struct Hold {
    started: Mutex<mpsc::Sender<()>>,
    release: Arc<Mutex<mpsc::Receiver<()>>>,
}

/// Holds a pool worker until released.
#[get("/hold")]
async fn hold(offload: Offload, hold: &State<Hold>) -> Result<&'static str, RouteError> {
    let started = hold.started.lock().unwrap().clone();
    let release = hold.release.clone();
    offload
        .run(move || {
            let _ = started.send(());
            let _ = release.lock().unwrap().recv_timeout(PATIENCE);
            "released"
        })
        .await
}

#[test]
fn a_shared_app_runs_on_the_fairings_pool_beside_offloaded_jobs() {
    let (started, started_rx) = mpsc::channel::<()>();
    let (release, held) = mpsc::channel::<()>();
    let fairing = Crochet::fairing()
        .global(false)
        .pool(Pool::builder().workers(1).queue(0));
    let app = |name: &'static str| move |_| Response::new(name.into());
    let running = launch(
        rocket()
            .attach(fairing)
            .manage(Hold {
                started: Mutex::new(started),
                release: Arc::new(Mutex::new(held)),
            })
            .mount("/", routes![hold])
            .mount("/shared", SyncApp::new(app("shared")).share_pool())
            .mount("/own", SyncApp::new(app("own"))),
    );

    let holder = {
        let url = running.url("/hold");
        std::thread::spawn(move || get(&url))
    };
    started_rx
        .recv_timeout(PATIENCE)
        .expect("the offloaded job holds the one worker");
    assert_eq!(
        get(&running.url("/shared/x")).0,
        503,
        "the shared pool is the full one"
    );
    assert_eq!(
        get(&running.url("/own/x")),
        (200, "own".to_owned()),
        "a pool of its own has room"
    );

    release.send(()).unwrap();
    assert_eq!(holder.join().unwrap(), (200, "released".to_owned()));
    support::eventually("the shared pool has room again", || {
        get(&running.url("/shared/x")) == (200, "shared".to_owned())
    });
}
