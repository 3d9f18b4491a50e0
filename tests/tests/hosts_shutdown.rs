//! Host conformance at shutdown: a graceful stop lets the requests in
//! flight finish and refuses new ones, on each of the four hosts.

use std::sync::{Arc, Condvar, Mutex, mpsc};

use crochet_sync_http::{Request, Response};
use crochet_tests::{
    Host, PATIENCE, Running, Settings, client, eventually, get_in_background, start, text, url,
};

crochet_tests::host_cases!(a_graceful_stop_finishes_requests_in_flight_and_refuses_new_ones);

const IN_FLIGHT: usize = 3;

/// Rocket's grace must outlast the test's own steps on a loaded machine;
/// but Rocket 0.5.2 waits out the whole of it after a graceful stop that
/// had requests in flight (a plain async route does the same), so every
/// Rocket case here costs this long.
const ROCKET_GRACE_SECS: u32 = 10;

/// New requests are refused, eventually: no connection, a closed one, or a
/// 503. (A fresh agent each time, so no pooled keep-alive connection is
/// reused.)
fn assert_refuses_new_requests(running: &Running) {
    let host = running.host;
    eventually(&format!("{host:?} refuses new requests"), || match client()
        .get(url(running, "/"))
        .call()
    {
        Err(_) => true,
        Ok(response) => response.status() == 503,
    });
}

fn a_graceful_stop_finishes_requests_in_flight_and_refuses_new_ones(host: Host) {
    let (entered_tx, entered) = mpsc::channel::<()>();
    let (release, released) = mpsc::channel::<()>();
    let entered_tx = Mutex::new(entered_tx);
    let released = Arc::new(Mutex::new(released));
    let handler = move |request: Request| -> Response {
        if request.uri().path().ends_with("/slow") {
            let _ = entered_tx.lock().unwrap().send(());
            let _ = released.lock().unwrap().recv_timeout(PATIENCE);
            text("finished")
        } else {
            text("ok")
        }
    };
    let settings = Settings {
        rocket_grace_secs: ROCKET_GRACE_SECS,
        ..Settings::default()
    };
    let mut running = start(host, settings, handler);
    let in_flight: Vec<_> = (0..IN_FLIGHT)
        .map(|_| get_in_background(url(&running, "/slow")))
        .collect();
    for _ in 0..IN_FLIGHT {
        entered
            .recv_timeout(PATIENCE)
            .unwrap_or_else(|_| panic!("{host:?}: the slow requests started"));
    }

    running.begin_graceful_stop();
    assert_refuses_new_requests(&running);

    for _ in 0..IN_FLIGHT {
        release.send(()).unwrap();
    }
    for request in in_flight {
        let answer = request.join().unwrap();
        assert!(
            matches!(&answer, Ok((200, body)) if body == "finished"),
            "{host:?}: a request in flight finished: {answer:?}"
        );
    }
}

crochet_tests::host_cases!(a_graceful_stop_under_load_finishes_every_admitted_request);

/// Requests held running on every worker.
const RUNNING: usize = 16;
/// Requests held in the queue behind them.
const QUEUED: usize = 48;
/// The body every held request answers with, large enough that writing it
/// is part of the work the stop must wait for.
const ANSWER_LEN: usize = 256 * 1024;

/// A gate that stays shut until opened, then lets everyone through.
#[derive(Default)]
struct Gate {
    open: Mutex<bool>,
    opened: Condvar,
}

impl Gate {
    fn wait(&self) {
        let open = self.open.lock().unwrap();
        let _ = self
            .opened
            .wait_timeout_while(open, PATIENCE, |open| !*open);
    }

    fn open(&self) {
        *self.open.lock().unwrap() = true;
        self.opened.notify_all();
    }
}

/// Heavy load at the moment of the stop: every worker busy and 48
/// requests queued. All 64 admitted requests get their whole 256 KiB
/// answer during the graceful stop, no request made after it is served,
/// and the pool ends with every job completed and none running or queued.
fn a_graceful_stop_under_load_finishes_every_admitted_request(host: Host) {
    let gate = Arc::new(Gate::default());
    let held = gate.clone();
    let handler = move |request: Request| -> Response {
        if request.uri().path().ends_with("/held") {
            held.wait();
            Response::new(vec![b'h'; ANSWER_LEN].into())
        } else {
            text("ok")
        }
    };
    let settings = Settings {
        workers: RUNNING,
        queue: QUEUED,
        queue_timeout: PATIENCE,
        rocket_grace_secs: ROCKET_GRACE_SECS,
        ..Settings::default()
    };
    let mut running = start(host, settings, handler);
    let admitted: Vec<_> = (0..RUNNING + QUEUED)
        .map(|_| get_in_background(url(&running, "/held")))
        .collect();
    eventually(
        &format!("{host:?}: every worker busy, the queue full"),
        || {
            running
                .pool_stats()
                .is_some_and(|stats| stats.busy == RUNNING && stats.queued == QUEUED)
        },
    );

    running.begin_graceful_stop();
    // The pool is full, so a 503 counts as a refusal here too.
    assert_refuses_new_requests(&running);

    gate.open();
    for (n, request) in admitted.into_iter().enumerate() {
        let answer = request.join().unwrap();
        assert!(
            matches!(&answer, Ok((200, body)) if body.len() == ANSWER_LEN),
            "{host:?}: admitted request {n} finished whole: {:?}",
            answer.map(|(status, body)| (status, body.len()))
        );
    }
    // The workers are free now: a server still accepting would answer 200.
    let after = client().get(url(&running, "/")).call();
    assert!(
        after.as_ref().map_or(true, |r| r.status() != 200),
        "{host:?}: served a request after its graceful stop: {:?}",
        after.map(|r| r.status())
    );
    let stats = running.pool_stats().expect("the pool's stats");
    assert_eq!(
        (stats.busy, stats.queued, stats.completed),
        (0, 0, (RUNNING + QUEUED) as u64),
        "{host:?}: {stats:?}"
    );
}
