//! Driving `wrk` from the loopback load benchmarks (`http_load`,
//! `actix_load`, `rocket_load`), and the small helpers they share.
//!
//! Every bench runs wrk the same way,
//! `wrk -t2 -c<connections> -d<secs>s --timeout 2s --latency <url>`,
//! optionally under `taskset -c <cpus>` when the bench's `*_WRK_CPUS`
//! variable is set ([`Wrk::command`]); [`Wrk::run`] kills it 20 s past its
//! own duration and parses its report ([`parse`] into a [`WrkResult`]).
//!
//! Diagnostics go to stderr; nothing here prints to stdout.

use std::io::Read;
use std::process::{Command, Stdio};
use std::str::FromStr;
use std::thread;
use std::time::{Duration, Instant};

/// How a bench runs wrk: its name (the prefix of the diagnostics) and the
/// environment variable that may pin wrk to CPUs.
#[derive(Debug, Clone, Copy)]
pub struct Wrk {
    /// The bench's name, e.g. `"http_load"`: the prefix of its diagnostics.
    pub bench: &'static str,
    /// The variable holding a `taskset -c` CPU list to run wrk on, e.g.
    /// `"HTTP_LOAD_WRK_CPUS"`; unset or empty runs wrk unpinned.
    pub cpus_var: &'static str,
}

impl Wrk {
    /// The wrk command for `connections` connections on `url` for `secs`
    /// seconds, under `taskset -c` if [`cpus_var`](Wrk::cpus_var) is set.
    pub fn command(&self, url: &str, connections: usize, secs: u64) -> Command {
        let mut command = match std::env::var(self.cpus_var) {
            Ok(cpus) if !cpus.is_empty() => {
                let mut command = Command::new("taskset");
                command.args(["-c", &cpus, "wrk"]);
                command
            }
            _ => Command::new("wrk"),
        };
        command.args([
            "-t2".to_string(),
            format!("-c{connections}"),
            format!("-d{secs}s"),
            "--timeout".to_string(),
            "2s".to_string(),
            "--latency".to_string(),
            url.to_string(),
        ]);
        command
    }

    /// Runs [`command`](Wrk::command) and parses its report. `None` if wrk
    /// could not start, ran 20 s past `secs` (it is killed), or printed a
    /// report [`parse`] does not understand (shown on stderr).
    pub fn run(&self, url: &str, connections: usize, secs: u64) -> Option<WrkResult> {
        let mut child = self
            .command(url, connections, secs)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .ok()?;
        let deadline = Instant::now() + Duration::from_secs(secs + 20);
        loop {
            match child.try_wait() {
                Ok(Some(_)) => break,
                Ok(None) if Instant::now() < deadline => thread::sleep(Duration::from_millis(20)),
                _ => {
                    let _ = child.kill();
                    let _ = child.wait();
                    eprintln!("{}: wrk did not finish in time; killed", self.bench);
                    return None;
                }
            }
        }
        let mut out = String::new();
        child.stdout.take()?.read_to_string(&mut out).ok()?;
        let parsed = parse(&out);
        if parsed.is_none() {
            let mut err = String::new();
            if let Some(mut stderr) = child.stderr.take() {
                let _ = stderr.read_to_string(&mut err);
            }
            eprintln!(
                "{}: could not parse wrk's output:\n{out}\n{err}",
                self.bench
            );
        }
        parsed
    }
}

/// What one wrk run reported.
#[derive(Debug, Clone, Default)]
pub struct WrkResult {
    /// `Requests/sec`.
    pub requests_per_sec: f64,
    /// The 50th percentile latency.
    pub p50: Duration,
    /// The 99th percentile latency.
    pub p99: Duration,
    /// Requests completed (`N requests in T`).
    pub requests: u64,
    /// The run's length in seconds (the `T` of `N requests in T`).
    pub seconds: f64,
    /// `Non-2xx or 3xx responses` (0 when wrk printed none).
    pub non_2xx: u64,
    /// `Socket errors`: connect, read, write, timeout (0 when wrk printed
    /// none).
    pub socket_errors: [u64; 4],
}

impl WrkResult {
    /// Requests that timed out (wrk's `--timeout`).
    pub fn timeouts(&self) -> u64 {
        self.socket_errors[3]
    }

    /// All socket errors: connect, read, write and timeout together.
    pub fn errors(&self) -> u64 {
        self.socket_errors.iter().sum()
    }

    /// 2xx/3xx responses per second (0 if the run's length is unknown).
    pub fn ok_per_sec(&self) -> f64 {
        if self.seconds > 0.0 {
            self.requests.saturating_sub(self.non_2xx) as f64 / self.seconds
        } else {
            0.0
        }
    }

    /// Non-2xx/3xx responses per second (0 if the run's length is unknown).
    pub fn non_2xx_per_sec(&self) -> f64 {
        if self.seconds > 0.0 {
            self.non_2xx as f64 / self.seconds
        } else {
            0.0
        }
    }
}

/// Parses wrk's report (as printed with `--latency`); `None` without a
/// `Requests/sec` line or if a line it reads is malformed.
pub fn parse(out: &str) -> Option<WrkResult> {
    let mut result = WrkResult::default();
    let mut have_rate = false;
    for line in out.lines() {
        let line = line.trim();
        if let Some(rest) = line.strip_prefix("Requests/sec:") {
            result.requests_per_sec = rest.trim().parse().ok()?;
            have_rate = true;
        } else if let Some(rest) = line.strip_prefix("50%") {
            result.p50 = parse_duration(rest)?;
        } else if let Some(rest) = line.strip_prefix("99%") {
            result.p99 = parse_duration(rest)?;
        } else if let Some(rest) = line.strip_prefix("Non-2xx or 3xx responses:") {
            result.non_2xx = rest.trim().parse().ok()?;
        } else if let Some(rest) = line.strip_prefix("Socket errors:") {
            for (slot, part) in result.socket_errors.iter_mut().zip(rest.split(',')) {
                *slot = part.split_whitespace().last()?.parse().ok()?;
            }
        } else if let Some((count, rest)) = line.split_once(" requests in ") {
            result.requests = count.trim().parse().ok()?;
            let took = rest.split(',').next()?;
            result.seconds = parse_duration(took)?.as_secs_f64();
        }
    }
    have_rate.then_some(result)
}

/// Parses one of wrk's durations: a number with a unit among `us`, `ms`,
/// `s`, `m` and `h` (`"375.00us"`, `"1.22ms"`, `"2.03s"`).
pub fn parse_duration(text: &str) -> Option<Duration> {
    let text = text.trim();
    let split = text.find(|c: char| c.is_ascii_alphabetic())?;
    let (number, unit) = text.split_at(split);
    let number: f64 = number.parse().ok()?;
    let secs = match unit {
        "us" => number / 1e6,
        "ms" => number / 1e3,
        "s" => number,
        "m" => number * 60.0,
        "h" => number * 3600.0,
        _ => return None,
    };
    Some(Duration::from_secs_f64(secs))
}

/// The command line `command` runs, program and arguments separated by
/// spaces (unquoted).
pub fn describe(command: &Command) -> String {
    let mut text = command.get_program().to_string_lossy().into_owned();
    for arg in command.get_args() {
        text.push(' ');
        text.push_str(&arg.to_string_lossy());
    }
    text
}

/// Whether `wrk` can be started from `PATH`.
pub fn available() -> bool {
    Command::new("wrk")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok()
}

/// The variable `name` parsed as a positive integer; `default` if it is
/// unset, malformed or 0.
pub fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|&v| v > 0)
        .unwrap_or(default)
}

/// The variable `name` parsed as a `T`; `default` if it is unset or
/// malformed.
pub fn env_or<T: FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A latency for a table: `"375 µs"`, `"1.22 ms"`, `"2.03 s"`.
pub fn fmt_latency(latency: Duration) -> String {
    let micros = latency.as_secs_f64() * 1e6;
    if micros < 1000.0 {
        format!("{micros:.0} µs")
    } else if micros < 1e6 {
        format!("{:.2} ms", micros / 1e3)
    } else {
        format!("{:.2} s", micros / 1e6)
    }
}

/// The median of `values` (sorted in place); NaN if there are none.
pub fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    match values.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => values[n / 2],
        n => (values[n / 2 - 1] + values[n / 2]) / 2.0,
    }
}

/// The median of `value` over `items`; NaN if there are none.
///
/// ```
/// let rounds = [(3.0, "a"), (1.0, "b"), (2.0, "c")];
/// assert_eq!(crochet_tests::wrk::median_of(&rounds, |r| r.0), 2.0);
/// ```
pub fn median_of<T>(items: &[T], value: impl Fn(&T) -> f64) -> f64 {
    median(&mut items.iter().map(value).collect::<Vec<_>>())
}

/// Per-round ratios for a table: `"0.98 [0.93–1.02]"` (median [min–max]),
/// or `"?"` if there are none.
///
/// ```
/// use crochet_tests::wrk::ratio_summary;
///
/// assert_eq!(ratio_summary(vec![1.02, 0.93, 0.98]), "0.98 [0.93–1.02]");
/// assert_eq!(ratio_summary(Vec::new()), "?");
/// ```
pub fn ratio_summary(mut ratios: Vec<f64>) -> String {
    if ratios.is_empty() {
        return "?".to_owned();
    }
    let m = median(&mut ratios); // sorts them
    format!("{m:.2} [{:.2}–{:.2}]", ratios[0], ratios[ratios.len() - 1])
}

/// Whether the comma-separated list in the variable `var` names `name`;
/// true when the variable is unset or empty (everything is wanted).
///
/// ```
/// // HTTP_LOAD_ONLY=overload,keepalive runs only those parts.
/// if crochet_tests::wrk::wanted("HTTP_LOAD_ONLY", "overload") {
///     // ... the overload table ...
/// }
/// ```
pub fn wanted(var: &str, name: &str) -> bool {
    match std::env::var(var) {
        Ok(only) if !only.is_empty() => only.split(',').any(|n| n.trim() == name),
        _ => true,
    }
}

/// The 1-, 5- and 15-minute load averages, for a bench's header; `"?"`
/// where `/proc/loadavg` cannot be read.
///
/// ```
/// println!("load average at the start: {}", crochet_tests::wrk::load_average());
/// ```
pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "?".to_owned())
}

/// `probes` plain `GET`s of `url`, one after another, as a server's health
/// after a load: `"200 ×5"` when all got the same status, else each status
/// (`error` for no response).
///
/// ```no_run
/// let after = crochet_tests::wrk::health("http://127.0.0.1:8080/", 5);
/// assert_eq!(after, "200 ×5");
/// ```
pub fn health(url: &str, probes: usize) -> String {
    let client = crate::client();
    let statuses: Vec<String> = (0..probes)
        .map(|_| match client.get(url).call() {
            Ok(mut response) => {
                let _ = response.body_mut().read_to_string();
                response.status().as_u16().to_string()
            }
            Err(_) => "error".to_owned(),
        })
        .collect();
    match statuses.first() {
        Some(first) if statuses.iter().all(|s| s == first) => format!("{first} ×{probes}"),
        _ => statuses.join(" "),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `wrk -t1 -c1 -d1s --latency` against `python3 -m http.server`.
    const PLAIN: &str = "\
Running 1s test @ http://127.0.0.1:37703/
  1 threads and 1 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     2.06ms    1.57ms  12.61ms   80.94%
    Req/Sec   502.30    134.57   737.00     60.00%
  Latency Distribution
     50%    1.22ms
     75%    2.68ms
     90%    3.99ms
     99%    8.62ms
  502 requests in 1.00s, 3.67MB read
Requests/sec:    500.58
Transfer/sec:      3.66MB
";

    /// `wrk -t2 -c64 -d1s --timeout 2s --latency` on a path that 404s.
    const NON_2XX: &str = "\
Running 1s test @ http://127.0.0.1:37703/nope
  2 threads and 64 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     6.32ms    4.33ms  27.52ms   78.11%
    Req/Sec   471.90    354.75     1.15k    70.00%
  Latency Distribution
     50%    4.96ms
     75%    8.71ms
     90%   12.69ms
     99%   19.18ms
  941 requests in 1.00s, 477.85KB read
  Non-2xx or 3xx responses: 941
Requests/sec:    936.53
Transfer/sec:    475.58KB
";

    /// `wrk -t1 -c4 -d3s --timeout 1s --latency` on a server that closes
    /// every other connection unanswered.
    const SOCKET_ERRORS: &str = "\
Running 3s test @ http://127.0.0.1:33527/
  1 threads and 4 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     1.45ms    2.13ms  10.94ms   83.67%
    Req/Sec     1.74k     1.45k    5.14k    83.33%
  Latency Distribution
     50%  375.00us
     75%    1.12ms
     90%    5.27ms
     99%    7.98ms
  5200 requests in 3.01s, 203.12KB read
  Socket errors: connect 0, read 10400, write 0, timeout 0
Requests/sec:   1729.21
Transfer/sec:     67.55KB
";

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    #[test]
    fn medians_and_ratio_summaries() {
        let runs = [3.0, 1.0, 2.0];
        assert_eq!(median_of(&runs, |r| *r * 10.0), 20.0);
        assert!(median_of::<f64>(&[], |r| *r).is_nan());
        assert_eq!(ratio_summary(vec![1.02, 0.93, 0.98]), "0.98 [0.93–1.02]");
        assert_eq!(ratio_summary(Vec::new()), "?");
    }

    #[test]
    fn parses_a_clean_run() {
        let result = parse(PLAIN).expect("parsed");
        assert!(close(result.requests_per_sec, 500.58));
        assert_eq!(result.p50, Duration::from_micros(1220));
        assert_eq!(result.p99, Duration::from_micros(8620));
        assert_eq!(result.requests, 502);
        assert!(close(result.seconds, 1.0));
        assert_eq!(result.non_2xx, 0);
        assert_eq!(result.socket_errors, [0; 4]);
        assert!(close(result.ok_per_sec(), 502.0));
        assert!(close(result.non_2xx_per_sec(), 0.0));
    }

    #[test]
    fn parses_non_2xx_responses() {
        let result = parse(NON_2XX).expect("parsed");
        assert!(close(result.requests_per_sec, 936.53));
        assert_eq!(result.p50, Duration::from_micros(4960));
        assert_eq!(result.p99, Duration::from_micros(19180));
        assert_eq!(result.requests, 941);
        assert_eq!(result.non_2xx, 941);
        assert!(close(result.ok_per_sec(), 0.0));
        assert!(close(result.non_2xx_per_sec(), 941.0));
    }

    #[test]
    fn parses_socket_errors() {
        let result = parse(SOCKET_ERRORS).expect("parsed");
        assert!(close(result.requests_per_sec, 1729.21));
        assert_eq!(result.p50, Duration::from_micros(375));
        assert_eq!(result.p99, Duration::from_micros(7980));
        assert_eq!(result.requests, 5200);
        assert!(close(result.seconds, 3.01));
        assert_eq!(result.socket_errors, [0, 10400, 0, 0]);
        assert_eq!(result.timeouts(), 0);
        assert_eq!(result.errors(), 10400);
    }

    #[test]
    fn rejects_output_without_a_rate() {
        assert!(parse("").is_none());
        assert!(parse(&PLAIN.replace("Requests/sec:", "Requests:")).is_none());
        assert!(parse(&PLAIN.replace("8.62ms", "8.62xs")).is_none());
    }

    #[test]
    fn parses_durations() {
        assert_eq!(parse_duration("375.00us"), Some(Duration::from_micros(375)));
        assert_eq!(
            parse_duration(" 1.22ms "),
            Some(Duration::from_micros(1220))
        );
        assert_eq!(parse_duration("2.00s"), Some(Duration::from_secs(2)));
        assert_eq!(parse_duration("1.50m"), Some(Duration::from_secs(90)));
        assert_eq!(parse_duration("1.00h"), Some(Duration::from_secs(3600)));
        assert_eq!(parse_duration("12"), None);
        assert_eq!(parse_duration("ms"), None);
        assert_eq!(parse_duration("1.0ns"), None);
    }

    #[test]
    fn formats_latencies_and_medians() {
        assert_eq!(fmt_latency(Duration::from_micros(375)), "375 µs");
        assert_eq!(fmt_latency(Duration::from_micros(1220)), "1.22 ms");
        assert_eq!(fmt_latency(Duration::from_millis(2030)), "2.03 s");
        assert!(median(&mut []).is_nan());
        assert!(close(median(&mut [3.0, 1.0, 2.0]), 2.0));
        assert!(close(median(&mut [4.0, 1.0, 3.0, 2.0]), 2.5));
    }

    #[test]
    fn builds_the_command() {
        let wrk = Wrk {
            bench: "test",
            cpus_var: "CROCHET_TESTS_WRK_CPUS_NEVER_SET",
        };
        assert_eq!(
            describe(&wrk.command("http://127.0.0.1:1/x", 64, 5)),
            "wrk -t2 -c64 -d5s --timeout 2s --latency http://127.0.0.1:1/x"
        );
    }
}
