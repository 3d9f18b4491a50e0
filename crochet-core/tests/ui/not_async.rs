#[crochet_core::wait_for(timeout = "1s")]
fn lookup(host: &str) -> usize {
    host.len()
}

fn main() {}
