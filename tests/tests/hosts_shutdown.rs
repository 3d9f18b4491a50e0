//! Host conformance at shutdown: a graceful stop lets the requests in
//! flight finish and refuses new ones, on each of the four hosts.

use std::sync::{Arc, Mutex, mpsc};

use crochet_sync_http::{Request, Response};
use crochet_tests::{Host, PATIENCE, Settings, client, eventually, start, text, url};

crochet_tests::host_cases!(a_graceful_stop_finishes_requests_in_flight_and_refuses_new_ones);

const IN_FLIGHT: usize = 3;

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
    // Rocket's grace must outlast the test's own steps on a loaded machine.
    let settings = Settings {
        rocket_grace_secs: 30,
        ..Settings::default()
    };
    let mut running = start(host, settings, handler);
    let in_flight: Vec<_> = (0..IN_FLIGHT)
        .map(|_| {
            let url = url(&running, "/slow");
            std::thread::spawn(move || {
                let mut response = client().get(url).call()?;
                let status = response.status().as_u16();
                let body = response.body_mut().read_to_string()?;
                Ok::<_, ureq::Error>((status, body))
            })
        })
        .collect();
    for _ in 0..IN_FLIGHT {
        entered
            .recv_timeout(PATIENCE)
            .unwrap_or_else(|_| panic!("{host:?}: the slow requests started"));
    }

    running.begin_graceful_stop();
    // New requests are refused: no connection, a closed one, or a 503.
    // (A fresh agent, so no pooled keep-alive connection is reused.)
    eventually(&format!("{host:?} refuses new requests"), || match client()
        .get(url(&running, "/"))
        .call()
    {
        Err(_) => true,
        Ok(response) => response.status() == 503,
    });

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
