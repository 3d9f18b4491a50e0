//! A `SyncHandler` mounted as Rocket routes: what is particular to Rocket
//! (the app below a mount point, beside native routes; Rocket's own data
//! limits; running without the fairing). The HTTP semantics it shares
//! with the other hosts (status and headers, 503, 500, 413, streamed
//! bodies, clients gone mid-body, malformed requests, keep-alive) are in
//! the workspace's host-conformance suite, `tests/tests/hosts_*.rs`.

mod support;

use crochet_rocket::{Crochet, OriginalUri, SyncApp};
use crochet_sync_http::{Request, Response};
use crochet_tests::{Host, MIB, Settings, count_body};
use rocket::{get, routes};
use support::{PATIENCE, client, get, launch, rocket};

#[get("/native")]
fn native() -> &'static str {
    "a native Rocket route"
}

#[test]
fn serves_a_blocking_handler_below_its_mount_point() {
    let running = launch(
        rocket()
            .attach(Crochet::fairing().global(false))
            .mount("/", routes![native])
            .mount(
                "/app",
                SyncApp::new(|request: Request| {
                    let full = request
                        .extensions()
                        .get::<OriginalUri>()
                        .map(|uri| uri.0.to_string());
                    let remote = request.extensions().get::<std::net::SocketAddr>().is_some();
                    Response::new(
                        format!("{} {} {full:?} {remote}", request.method(), request.uri()).into(),
                    )
                }),
            ),
    );
    let (status, body) = get(&running.url("/app/hello/there?x=1"));
    assert_eq!(status, 200);
    assert_eq!(
        body,
        "GET /hello/there?x=1 Some(\"/app/hello/there?x=1\") true"
    );
    assert_eq!(get(&running.url("/app")).1, "GET / Some(\"/app\") true");
    assert_eq!(
        get(&running.url("/native")),
        (200, "a native Rocket route".to_owned())
    );
    let posted = client().post(running.url("/app/form")).send("a=1").unwrap();
    assert_eq!(posted.status(), 200);
    let deleted = client().delete(running.url("/app/thing")).call().unwrap();
    assert_eq!(deleted.status(), 200);
}

#[test]
fn bodies_past_rockets_own_data_limits_are_the_containers_to_judge() {
    // Rocket's default limits allow far less than 3 MiB for most types.
    let settings = Settings {
        body_limit: 4 * MIB,
        ..Settings::default()
    };
    let running = crochet_tests::start(Host::Rocket, settings, count_body);
    let mut response = client()
        .post(running.url("/"))
        .header("content-type", "application/x-www-form-urlencoded")
        .send(&vec![b'f'; 3 * MIB as usize][..])
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.body_mut().read_to_string().unwrap(),
        (3 * MIB).to_string()
    );
}

#[test]
fn without_the_fairing_the_app_runs_on_rockets_runtime() {
    let running = launch(rocket().mount(
        "/",
        SyncApp::new(|_request: Request| {
            let id =
                crochet_core::wait_for(PATIENCE, async { tokio::runtime::Handle::current().id() });
            Response::new(id.map(|id| id.to_string()).unwrap_or_default().into())
        }),
    ));
    assert_eq!(
        get(&running.url("/anything")),
        (200, running.runtime_id.to_string())
    );
}
