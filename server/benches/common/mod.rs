//! What both benches share: timing arithmetic, how busy the machine was, and the rows they
//! append to the table `./portico.sh bench` prints.

use std::{io::Write as _, path::Path, time::Duration};

/// Other work on the machine skews timings: say how busy it was.
pub fn machine_load() -> String {
    let average = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    format!(
        "load average {} on {} cores",
        average.split(' ').take(3).collect::<Vec<_>>().join(" "),
        std::thread::available_parallelism().map_or(0, |n| n.get())
    )
}

/// Nearest-rank percentile of sorted samples.
pub fn percentile(sorted: &[Duration], p: usize) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    sorted[(sorted.len() * p).div_ceil(100).max(1) - 1]
}

pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

pub fn verdict(pass: bool) -> &'static str {
    if pass { "pass" } else { "MISS" }
}

/// Appends one row (budget, measured, limit, verdict) to the results table, if there is one.
pub fn record(results: Option<&Path>, budget: &str, measured: &str, limit: &str, verdict: &str) {
    let Some(path) = results else { return };
    let line = format!("{budget}\t{measured}\t{limit}\t{verdict}\n");
    let written = std::fs::OpenOptions::new().create(true).append(true).open(path).and_then(|mut f| f.write_all(line.as_bytes()));
    if let Err(error) = written {
        eprintln!("cannot append to {}: {error}", path.display());
    }
}
