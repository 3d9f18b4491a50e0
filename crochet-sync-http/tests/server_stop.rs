//! The blocking `Server`'s stop: in-flight requests finish within the grace
//! period, new connections are refused.

use std::sync::{Mutex, mpsc};
use std::time::Duration;

use crochet_sync_http::{Request, Response, Server};
use crochet_tests::{PATIENCE, client};

#[test]
fn stop_finishes_in_flight_requests_and_refuses_new_ones() {
    let (started_tx, started_rx) = mpsc::channel::<()>();
    let (release_tx, release_rx) = mpsc::channel::<()>();
    let (started_tx, release_rx) = (Mutex::new(started_tx), Mutex::new(release_rx));
    let server = Server::builder()
        .workers(2)
        .serve("127.0.0.1:0", move |_request: Request| {
            let _ = started_tx.lock().unwrap().send(());
            let _ = release_rx.lock().unwrap().recv_timeout(PATIENCE);
            Response::new("finished".into())
        })
        .unwrap();
    let addr = server.local_addr();
    let in_flight = std::thread::spawn(move || {
        let mut response = client().get(format!("http://{addr}/")).call().unwrap();
        (
            response.status(),
            response.body_mut().read_to_string().unwrap(),
        )
    });
    started_rx.recv_timeout(PATIENCE).unwrap();

    // Stop with a generous grace period while the request is in flight;
    // release the handler once the stop has begun.
    let stopper = std::thread::spawn(move || {
        let finished = server.stop(PATIENCE);
        (finished, server)
    });
    // New connections are refused once the listener is closed.
    let give_up = std::time::Instant::now() + PATIENCE;
    while std::net::TcpStream::connect(addr).is_ok() {
        assert!(
            std::time::Instant::now() < give_up,
            "the listener never closed"
        );
        std::thread::sleep(Duration::from_millis(2));
    }
    release_tx.send(()).unwrap();

    let (status, body) = in_flight.join().unwrap();
    assert_eq!((status.as_u16(), body.as_str()), (200, "finished"));
    let (finished, _server) = stopper.join().unwrap();
    assert!(
        finished,
        "everything in flight finished within the grace period"
    );
}
