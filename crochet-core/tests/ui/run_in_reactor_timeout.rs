#[crochet_core::run_in_reactor(timeout = "1s")]
async fn fetch(url: String) -> usize {
    url.len()
}

fn main() {}
