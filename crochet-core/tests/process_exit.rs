//! Behaviour at process exit and after fork, tested in child processes:
//! this test binary re-runs itself with `CROCHET_SCENARIO` set, and the
//! `scenario` test below plays the child's part.
//!
//! Unsafe is allowed in this file for `fork`/`waitpid` only.
#![allow(unsafe_code)]
#![allow(clippy::print_stdout)]

mod support;

use std::process::{Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use support::{PATIENCE, pending_forever};

const SCENARIO: &str = "CROCHET_SCENARIO";

/// Runs `scenario` in a child copy of this binary; fails if it hangs.
fn run_child(scenario: &str) -> Output {
    let exe = std::env::current_exe().unwrap();
    let child = Command::new(exe)
        .args(["--exact", "scenario", "--nocapture", "--test-threads=1"])
        .env(SCENARIO, scenario)
        .env("RUST_BACKTRACE", "0")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(PATIENCE) {
        Ok(output) => output.unwrap(),
        Err(_) => {
            // SAFETY: kill(2) on the pid of our own child; no memory involved.
            unsafe { libc::kill(pid as libc::pid_t, libc::SIGKILL) };
            panic!("scenario {scenario} did not exit: the process hung at exit");
        }
    }
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Sets up the global reactor with `grace` and a shutdown hook that says
/// so, then blocks another thread in `wait_for` on a future that never
/// finishes, and returns once that thread is blocked.
fn global_with_blocked_waiter(grace: Duration) {
    let reactor = crochet_core::Reactor::builder()
        .worker_threads(1)
        .shutdown_grace(grace)
        .setup()
        .unwrap();
    reactor.on_shutdown(|| println!("hook: shutdown began"));
    let (fut, polled) = pending_forever();
    std::thread::spawn(move || {
        let out = crochet_core::wait_for(Duration::from_secs(3600), fut);
        println!("waiter: {out:?}");
    });
    polled.recv_timeout(PATIENCE).unwrap();
}

/// The child's side. Does nothing in a normal test run.
#[test]
fn scenario() {
    let Ok(scenario) = std::env::var(SCENARIO) else {
        return;
    };
    match scenario.as_str() {
        "main_returns" => {
            global_with_blocked_waiter(Duration::from_millis(100));
            println!("main: returning");
        }
        "process_exit" => {
            global_with_blocked_waiter(Duration::from_millis(100));
            println!("main: exit(7)");
            std::process::exit(7);
        }
        "grace_finishes_work" => {
            let reactor = crochet_core::Reactor::builder()
                .worker_threads(1)
                .shutdown_grace(PATIENCE)
                .setup()
                .unwrap();
            let (release_tx, release_rx) = tokio::sync::oneshot::channel::<()>();
            reactor.on_shutdown(move || {
                let _ = release_tx.send(());
            });
            let (polled_tx, polled_rx) = mpsc::channel();
            std::thread::spawn(move || {
                let _ = crochet_core::wait_for(PATIENCE, async move {
                    let _ = polled_tx.send(());
                    let _ = release_rx.await;
                    // Printed inside the future: before the call counts as
                    // finished, so before the shutdown can complete.
                    println!("work: finished in the grace period");
                });
            });
            polled_rx.recv_timeout(PATIENCE).unwrap();
            println!("main: returning");
        }
        "under_load" => {
            // 32 threads in a loop of calls (ready, sleeping, background,
            // stashed) when main returns: the process must still exit, with
            // the grace period as its only wait.
            let reactor = crochet_core::Reactor::builder()
                .worker_threads(2)
                .shutdown_grace(Duration::from_millis(200))
                .setup()
                .unwrap();
            let calls = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
            for t in 0..32_u64 {
                let (reactor, calls) = (reactor.clone(), calls.clone());
                std::thread::spawn(move || {
                    for n in t.. {
                        let _ = match n % 4 {
                            0 => reactor.wait_for(PATIENCE, async {}),
                            1 => reactor.wait_for(PATIENCE, async {
                                tokio::time::sleep(Duration::from_millis(1)).await
                            }),
                            2 => reactor
                                .run_in_reactor(tokio::task::yield_now())
                                .take(PATIENCE),
                            _ => match reactor.run_in_reactor(async {}).stash() {
                                Ok(id) => reactor
                                    .retrieve_result::<()>(id)
                                    .and_then(|result| result.take(PATIENCE)),
                                Err(refused) => Err(refused.error().clone()),
                            },
                        };
                        calls.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    }
                });
            }
            let give_up = std::time::Instant::now() + PATIENCE;
            while calls.load(std::sync::atomic::Ordering::Relaxed) < 10_000 {
                assert!(
                    std::time::Instant::now() < give_up,
                    "the load never got going"
                );
                std::thread::sleep(Duration::from_millis(5));
            }
            println!("main: returning under load");
        }
        "fork" => fork_scenario(),
        other => panic!("unknown scenario {other}"),
    }
}

/// Forks after set-up. The child checks its calls fail with `Forked`
/// instead of hanging, that a ready future still completes, and that its
/// own exit does not hang; it reports through its exit code only (printing
/// after fork could meet a lock held by a thread that did not survive it).
fn fork_scenario() {
    crochet_core::setup();
    assert_eq!(
        crochet_core::wait_for(PATIENCE, async { 1 }).unwrap(),
        1,
        "works before the fork"
    );
    // SAFETY: fork(2). The child only makes Crochet calls that allocate
    // (glibc's allocator is fork-safe) and then exits through exit(3).
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0, "fork failed");
    if pid == 0 {
        let pending =
            crochet_core::wait_for(Duration::from_secs(3600), std::future::pending::<()>());
        let spawned = crochet_core::run_in_reactor(async { 1 });
        let ready = crochet_core::wait_for(PATIENCE, async { 2 });
        // A reactor set up in the child works.
        let fresh = crochet_core::Reactor::builder()
            .worker_threads(1)
            .build()
            .map(|reactor| reactor.wait_for(PATIENCE, tokio::task::yield_now()).is_ok());
        let code = match (pending, spawned.wait(PATIENCE), ready, fresh) {
            (
                Err(crochet_core::Error::Forked),
                Err(crochet_core::Error::Forked),
                Ok(2),
                Ok(true),
            ) => 0,
            _ => 1,
        };
        std::process::exit(code);
    }
    let mut status = 0;
    // SAFETY: waitpid(2) on the child we just forked, with a valid pointer.
    let waited = unsafe { libc::waitpid(pid, &mut status, 0) };
    assert_eq!(waited, pid);
    let code = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        -1
    };
    println!("fork child exit code: {code}");
}

#[test]
fn main_returning_while_a_thread_is_blocked_exits_cleanly() {
    let output = run_child("main_returns");
    let text = stdout(&output);
    assert!(output.status.success(), "{output:?}");
    assert!(text.contains("main: returning"), "{text}");
    assert!(text.contains("hook: shutdown began"), "{text}");
}

#[test]
fn process_exit_while_a_thread_is_blocked_exits_with_its_code() {
    let output = run_child("process_exit");
    assert_eq!(output.status.code(), Some(7), "{output:?}");
    assert!(stdout(&output).contains("hook: shutdown began"));
}

#[test]
fn pending_work_gets_the_grace_period_at_exit() {
    let output = run_child("grace_finishes_work");
    let text = stdout(&output);
    assert!(output.status.success(), "{output:?}");
    assert!(
        text.contains("work: finished in the grace period"),
        "{text}"
    );
}

#[test]
fn a_forked_child_gets_forked_errors_instead_of_hanging() {
    let output = run_child("fork");
    let text = stdout(&output);
    assert!(output.status.success(), "{output:?}");
    assert!(text.contains("fork child exit code: 0"), "{text}");
}

#[test]
fn main_returning_under_load_exits_cleanly() {
    let output = run_child("under_load");
    let text = stdout(&output);
    assert!(output.status.success(), "{output:?}");
    assert!(text.contains("main: returning under load"), "{text}");
}
