use std::rc::Rc;

#[crochet_core::run_in_reactor]
async fn fetch(shared: Rc<String>) -> usize {
    tokio::task::yield_now().await;
    shared.len()
}

fn main() {}
