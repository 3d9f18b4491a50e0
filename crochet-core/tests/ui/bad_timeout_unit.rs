#[crochet_core::wait_for(timeout = "10 parsecs")]
async fn lookup(host: &str) -> usize {
    host.len()
}

fn main() {}
