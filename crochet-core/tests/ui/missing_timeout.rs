#[crochet_core::wait_for]
async fn lookup(host: &str) -> usize {
    host.len()
}

fn main() {}
