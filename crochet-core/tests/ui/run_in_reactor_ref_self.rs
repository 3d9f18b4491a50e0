struct Client;

impl Client {
    #[crochet_core::run_in_reactor]
    async fn fetch(&self, url: String) -> usize {
        url.len()
    }
}

fn main() {}
