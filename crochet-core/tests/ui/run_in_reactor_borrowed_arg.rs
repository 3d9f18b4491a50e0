#[crochet_core::run_in_reactor]
async fn fetch(url: &str) -> usize {
    url.len()
}

fn main() {}
