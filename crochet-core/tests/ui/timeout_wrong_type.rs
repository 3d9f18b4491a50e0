const SECONDS: u64 = 10;

#[crochet_core::wait_for(timeout = SECONDS)]
async fn lookup(host: &str) -> usize {
    host.len()
}

fn main() {}
