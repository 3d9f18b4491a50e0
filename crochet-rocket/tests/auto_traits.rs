//! The public types can be shared across threads and Rocket's tasks.

fn assert_send_sync<T: Send + Sync + 'static>() {}
fn assert_unpin<T: Unpin>() {}

#[test]
fn public_types_are_send_sync_and_unpin() {
    type App =
        crochet_rocket::SyncApp<fn(crochet_sync_http::Request) -> crochet_sync_http::Response>;
    assert_send_sync::<crochet_rocket::Crochet>();
    assert_send_sync::<crochet_rocket::CrochetFairing>();
    assert_send_sync::<crochet_rocket::Offload>();
    assert_send_sync::<crochet_rocket::RouteError>();
    assert_send_sync::<crochet_rocket::MissingFairing>();
    assert_send_sync::<crochet_rocket::OriginalUri>();
    assert_send_sync::<App>();
    assert_unpin::<crochet_rocket::Offload>();
    assert_unpin::<App>();
}
