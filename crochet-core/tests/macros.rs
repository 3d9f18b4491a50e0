//! `#[wait_for]` and `#[run_in_reactor]` on every form of function.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use crochet_core::{Error, EventualResult, Reactor, run_in_reactor, wait_for};

const PATIENCE: Duration = Duration::from_secs(30);

// ---- free functions -------------------------------------------------------

/// Adds one, eventually.
#[wait_for(timeout = "5s")]
pub(crate) async fn add_one(x: u32) -> u32 {
    tokio::task::yield_now().await;
    x + 1
}

#[wait_for(timeout = "5s")]
async fn no_output(counter: &AtomicUsize) {
    tokio::task::yield_now().await;
    counter.fetch_add(1, Ordering::SeqCst);
}

#[wait_for(timeout = "5s")]
async fn longest<'a>(a: &'a str, b: &'a str) -> &'a str {
    tokio::task::yield_now().await;
    if a.len() >= b.len() { a } else { b }
}

#[wait_for(timeout = "5s")]
async fn parse_all<T: std::str::FromStr>(items: &[&str]) -> Result<Vec<T>, T::Err> {
    tokio::task::yield_now().await;
    items.iter().map(|s| s.parse()).collect()
}

#[wait_for(timeout = Duration::from_millis(20))]
async fn never() -> u8 {
    std::future::pending().await
}

#[wait_for(timeout = "5s")]
async fn explodes(row: usize) -> u8 {
    tokio::task::yield_now().await;
    let rows: Vec<u8> = Vec::new();
    rows[row]
}

#[wait_for(timeout = "5s")]
async fn early_return(x: i32) -> Result<i32, String> {
    if x < 0 {
        return Err("negative".into());
    }
    let doubled: i32 = format!("{}", x * 2).parse().map_err(|_| "parse")?;
    Ok(doubled)
}

#[wait_for(timeout = "5s", async_name = triple_inner)]
async fn triple(x: u32) -> u32 {
    x * 3
}

#[run_in_reactor]
async fn shout(text: String) -> String {
    tokio::task::yield_now().await;
    text.to_uppercase()
}

#[run_in_reactor]
async fn run_explodes() -> u8 {
    panic!("background failure")
}

// ---- methods --------------------------------------------------------------

struct Counter {
    hits: AtomicUsize,
    reactor: Reactor,
}

impl Counter {
    #[wait_for(timeout = "5s")]
    async fn hit(&self, by: usize) -> usize {
        tokio::task::yield_now().await;
        self.hits.fetch_add(by, Ordering::SeqCst) + by
    }

    #[wait_for(timeout = "5s")]
    async fn reset(&mut self) -> usize {
        tokio::task::yield_now().await;
        std::mem::replace(self.hits.get_mut(), 0)
    }

    #[wait_for(timeout = "5s")]
    async fn into_hits(self) -> usize {
        self.hits.into_inner()
    }

    #[wait_for(timeout = "5s")]
    async fn new_default() -> Self {
        Counter {
            hits: AtomicUsize::new(0),
            reactor: Reactor::builder().worker_threads(1).build().unwrap(),
        }
    }

    #[wait_for(timeout = "5s", reactor = self.reactor)]
    async fn runtime_thread(&self) -> Option<String> {
        tokio::spawn(async { std::thread::current().name().map(str::to_owned) })
            .await
            .unwrap()
    }

    #[run_in_reactor(reactor = self.reactor)]
    async fn hit_later(self: Arc<Self>, by: usize) -> usize {
        tokio::task::yield_now().await;
        self.hits.fetch_add(by, Ordering::SeqCst) + by
    }
}

trait Lookup {
    fn lookup(&self, name: &str) -> Result<usize, Error>;
}

struct Dns;

impl Lookup for Dns {
    #[wait_for(timeout = "5s", async_name = false)]
    async fn lookup(&self, name: &str) -> usize {
        tokio::task::yield_now().await;
        name.len()
    }
}

mod private_module {
    #[crochet_core::wait_for(timeout = "1s")]
    pub(crate) async fn visible() -> &'static str {
        "public"
    }
}

// ---- tests ----------------------------------------------------------------

#[test]
fn free_functions_block_and_keep_their_signature() {
    assert_eq!(add_one(1).unwrap(), 2);
    let counter = AtomicUsize::new(0);
    no_output(&counter).unwrap();
    assert_eq!(counter.load(Ordering::SeqCst), 1);
    assert_eq!(private_module::visible().unwrap(), "public");
}

#[test]
fn borrowed_arguments_and_lifetimes_work() {
    let a = String::from("longer");
    let b = String::from("short");
    assert_eq!(longest(&a, &b).unwrap(), "longer");
}

#[test]
fn generics_and_errors_inside_t() {
    let ok: Result<Vec<u8>, _> = parse_all::<u8>(&["1", "2"]).unwrap();
    assert_eq!(ok.unwrap(), [1, 2]);
    let bad = parse_all::<u8>(&["x"]).unwrap();
    assert!(bad.is_err(), "the body's own error stays inside T");
    assert_eq!(early_return(4).unwrap(), Ok(8));
    assert_eq!(early_return(-1).unwrap(), Err("negative".into()));
}

#[test]
fn timeouts_and_panics_become_crochet_errors() {
    assert!(never().unwrap_err().is_timeout());
    let err = explodes(3).unwrap_err();
    let failure = err.failure().expect("a panic");
    assert!(failure.message().contains("index out of bounds"));
    assert!(failure.location().unwrap().contains("macros.rs"));
}

#[test]
fn the_async_original_is_callable_without_the_reactor() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    rt.block_on(async {
        assert_eq!(add_one_async(41).await, 42);
        assert_eq!(triple_inner(2).await, 6);
        assert_eq!(shout_async("a".into()).await, "A");
        let counter = Counter::new_default_async().await;
        assert_eq!(counter.hit_async(2).await, 2);
    });
    assert_eq!(triple(3).unwrap(), 9);
}

#[test]
fn methods_with_every_receiver() {
    let mut counter = Counter::new_default().unwrap();
    assert_eq!(counter.hit(2).unwrap(), 2);
    assert_eq!(counter.hit(3).unwrap(), 5);
    assert_eq!(counter.reset().unwrap(), 5);
    assert_eq!(counter.hit(1).unwrap(), 1);
    let thread = counter.runtime_thread().unwrap().unwrap();
    assert!(thread.starts_with("crochet-reactor-"), "{thread}");
    assert_eq!(counter.into_hits().unwrap(), 1);
}

#[test]
fn reactor_argument_picks_that_reactor() {
    let reactor = Reactor::builder()
        .worker_threads(1)
        .thread_name("picked")
        .build()
        .unwrap();
    let counter = Counter {
        hits: AtomicUsize::new(0),
        reactor,
    };
    assert!(
        counter
            .runtime_thread()
            .unwrap()
            .unwrap()
            .starts_with("picked-")
    );
    counter.reactor.shutdown(Duration::ZERO);
    assert!(
        counter.hit(1).is_ok(),
        "the default (global) reactor still runs"
    );
    assert!(counter.runtime_thread().unwrap_err().is_reactor_stopped());
}

#[test]
fn run_in_reactor_returns_an_eventual_result() {
    let result: EventualResult<String> = shout("hey".into());
    assert_eq!(result.wait(PATIENCE).unwrap(), "HEY");
    let failed = run_explodes();
    assert!(failed.wait(PATIENCE).unwrap_err().is_panic());
    assert_eq!(
        failed.original_failure().unwrap().message(),
        "background failure"
    );

    let counter = Arc::new(Counter::new_default().unwrap());
    let later = counter.clone().hit_later(4);
    assert_eq!(later.take(PATIENCE).unwrap(), 4);
}

#[test]
fn trait_impl_methods_with_no_async_original() {
    let dns: &dyn Lookup = &Dns;
    assert_eq!(dns.lookup("four").unwrap(), 4);
}
