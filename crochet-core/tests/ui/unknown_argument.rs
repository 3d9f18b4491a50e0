#[crochet_core::wait_for(timeout = "1s", retries = 3)]
async fn lookup(host: &str) -> usize {
    host.len()
}

fn main() {}
