//! HTTP checks: N samples at a given concurrency, each judged on status, body and JSON; then
//! latency percentiles and the error rate against the runbook's targets.

use std::collections::BTreeMap;
use std::error::Error as _;

use futures::StreamExt;
use tokio::sync::mpsc::UnboundedSender;
use tokio::time::Instant;

use super::check::{CheckOutcome, ms, percentile};
use crate::journal::Metric;
use crate::runbook::{HttpCheck, format_duration};

/// One request: how long it took to a full response, and what was wrong with it, if anything.
struct Sample {
    latency_ms: Option<f64>,
    status: Option<u16>,
    problem: Option<String>,
}

/// Runs the check; one line per sample goes to `lines` as it completes.
pub async fn run(
    check: &HttpCheck,
    client: &reqwest::Client,
    lines: &UnboundedSender<String>,
) -> CheckOutcome {
    let method = match reqwest::Method::from_bytes(check.method.as_bytes()) {
        Ok(m) => m,
        Err(_) => return CheckOutcome::failed(format!("`{}` is not an HTTP method", check.method)),
    };
    let mut samples = Vec::with_capacity(check.samples as usize);
    let mut stream = futures::stream::iter(0..check.samples)
        .map(|_| sample(check, client, method.clone()))
        .buffer_unordered(check.concurrency as usize);
    while let Some(s) = stream.next().await {
        let n = samples.len() + 1;
        let line = match (&s.problem, s.status, s.latency_ms) {
            (None, Some(status), Some(latency)) => format!("#{n:<3} {status}  {}", ms(latency)),
            (Some(problem), _, Some(latency)) => {
                format!("#{n:<3} FAIL  {}  {problem}", ms(latency))
            }
            (Some(problem), _, _) => format!("#{n:<3} FAIL  {problem}"),
            _ => format!("#{n:<3} ?"),
        };
        let _ = lines.send(line);
        samples.push(s);
    }
    judge(check, &samples)
}

async fn sample(check: &HttpCheck, client: &reqwest::Client, method: reqwest::Method) -> Sample {
    let mut request = client.request(method, &check.url).timeout(check.timeout);
    for (name, value) in &check.headers {
        request = request.header(name, value);
    }
    if let Some(data) = &check.data {
        request = request.body(data.clone());
    }
    let started = Instant::now();
    let response = match request.send().await {
        Ok(r) => r,
        Err(e) => {
            return Sample { latency_ms: None, status: None, problem: Some(describe(&e, check)) };
        }
    };
    let status = response.status().as_u16();
    let body = response.bytes().await;
    let latency_ms = Some(started.elapsed().as_secs_f64() * 1000.0);
    let body = match body {
        Ok(b) => b,
        Err(e) => {
            return Sample { latency_ms, status: Some(status), problem: Some(describe(&e, check)) };
        }
    };
    Sample { latency_ms, status: Some(status), problem: judge_response(check, status, &body) }
}

/// What is wrong with a response, in the first words that matter.
fn judge_response(check: &HttpCheck, status: u16, body: &[u8]) -> Option<String> {
    if status != check.status {
        return Some(format!("status {status} (expected {})", check.status));
    }
    let text = String::from_utf8_lossy(body);
    if let Some(pattern) = &check.body
        && !pattern.is_match(&text)
    {
        return Some(format!("body does not match `{pattern}`: {}", excerpt(&text)));
    }
    if check.json.is_empty() {
        return None;
    }
    let json: serde_json::Value = match serde_json::from_slice(body) {
        Ok(v) => v,
        Err(e) => return Some(format!("body is not JSON ({e}): {}", excerpt(&text))),
    };
    for (pointer, expected) in &check.json {
        match json.pointer(pointer) {
            Some(found) if found == expected => {}
            Some(found) => return Some(format!("{pointer} is {found} (expected {expected})")),
            None => return Some(format!("{pointer} is missing (expected {expected})")),
        }
    }
    None
}

fn excerpt(text: &str) -> String {
    let flat: String = text.chars().take(80).map(|c| if c.is_control() { ' ' } else { c }).collect();
    if text.chars().count() > 80 { format!("\"{flat}…\"") } else { format!("\"{flat}\"") }
}

/// A transport error as a person would write it: "connection refused: http://…".
fn describe(error: &reqwest::Error, check: &HttpCheck) -> String {
    let url = &check.url;
    if error.is_timeout() {
        return format!("timed out after {}: {url}", format_duration(check.timeout));
    }
    let mut cause: Option<&dyn std::error::Error> = error.source();
    let mut root = String::new();
    while let Some(c) = cause {
        if let Some(io) = c.downcast_ref::<std::io::Error>() {
            match io.kind() {
                std::io::ErrorKind::ConnectionRefused => {
                    return format!("connection refused: {url}");
                }
                std::io::ErrorKind::ConnectionReset => return format!("connection reset: {url}"),
                _ => {}
            }
        }
        root = c.to_string();
        cause = c.source();
    }
    let what = if error.is_connect() {
        "cannot connect"
    } else if error.is_body() || error.is_decode() {
        "the body could not be read"
    } else if error.is_redirect() {
        "too many redirects"
    } else if error.is_builder() {
        "bad request"
    } else {
        "request failed"
    };
    if root.is_empty() { format!("{what}: {url}") } else { format!("{what}: {url} ({root})") }
}

fn judge(check: &HttpCheck, samples: &[Sample]) -> CheckOutcome {
    let total = samples.len();
    let mut latencies: Vec<f64> = samples.iter().filter_map(|s| s.latency_ms).collect();
    latencies.sort_by(f64::total_cmp);
    let errors = samples.iter().filter(|s| s.problem.is_some()).count();
    let error_rate = if total == 0 { 0.0 } else { errors as f64 / total as f64 };
    let max_rate = check.max_error_rate.unwrap_or(0.0);
    let (p50, p95, p99) =
        (percentile(&latencies, 50.0), percentile(&latencies, 95.0), percentile(&latencies, 99.0));

    let mut metrics = vec![Metric::info("samples", total.to_string())];
    let rate_ok = error_rate <= max_rate;
    let rate_target =
        if max_rate == 0.0 { "no errors".to_string() } else { format!("≤ {}", percent(max_rate)) };
    metrics.push(Metric::against("error rate", percent(error_rate), rate_target, rate_ok));
    let show = |v: Option<f64>| v.map_or("—".to_string(), ms);
    metrics.push(Metric::info("p50", show(p50)));
    let p95_ok = match (check.p95_ms, p95) {
        (Some(target), Some(v)) => {
            metrics.push(Metric::against("p95", ms(v), format!("≤ {}", ms(target)), v <= target));
            v <= target
        }
        (Some(target), None) => {
            metrics.push(Metric::against("p95", "—".into(), format!("≤ {}", ms(target)), false));
            false
        }
        (None, _) => {
            metrics.push(Metric::info("p95", show(p95)));
            true
        }
    };
    metrics.push(Metric::info("p99", show(p99)));

    let mut reasons = Vec::new();
    if !rate_ok {
        // The same problem on many samples is one reason, with its count.
        let mut grouped: BTreeMap<&str, usize> = BTreeMap::new();
        for problem in samples.iter().filter_map(|s| s.problem.as_deref()) {
            *grouped.entry(problem).or_default() += 1;
        }
        let mut grouped: Vec<_> = grouped.into_iter().collect();
        grouped.sort_by_key(|(_, n)| std::cmp::Reverse(*n));
        reasons
            .extend(grouped.iter().map(|(problem, n)| format!("{problem} ({n} of {})", samples_text(total))));
    }
    if !p95_ok {
        let target = check.p95_ms.map(ms).unwrap_or_default();
        match p95 {
            Some(v) => reasons.push(format!("p95 {} is over the {target} target", ms(v))),
            None => reasons.push(format!("no sample answered, so no p95 to hold against {target}")),
        }
    }
    let pass = reasons.is_empty();
    let summary = if total == 1 {
        // One sample has no spread: its latency is the figure.
        format!("1 sample, {errors} failed, {}", show(p50))
    } else {
        format!("{total} samples, {errors} failed, p50 {} p95 {} p99 {}", show(p50), show(p95), show(p99))
    };
    CheckOutcome { pass, message: Some(if pass { summary } else { reasons.join("; ") }), metrics }
}

/// "1 sample", "20 samples".
fn samples_text(n: usize) -> String {
    if n == 1 { "1 sample".into() } else { format!("{n} samples") }
}

fn percent(rate: f64) -> String {
    let p = rate * 100.0;
    if p == 0.0 || p >= 1.0 { format!("{p:.0}%") } else { format!("{p:.2}%") }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(samples: u32) -> HttpCheck {
        HttpCheck {
            url: "http://127.0.0.1:1/health".into(),
            method: "GET".into(),
            headers: Vec::new(),
            data: None,
            status: 200,
            body: None,
            json: Vec::new(),
            timeout: std::time::Duration::from_secs(1),
            samples,
            concurrency: 1,
            p95_ms: None,
            max_error_rate: None,
        }
    }

    fn sample(problem: Option<&str>) -> Sample {
        Sample { latency_ms: Some(1.5), status: Some(200), problem: problem.map(Into::into) }
    }

    #[test]
    fn one_sample_is_said_in_the_singular() {
        let passed = judge(&check(1), &[sample(None)]);
        assert_eq!(passed.message.as_deref(), Some("1 sample, 0 failed, 1.5 ms"));
        let failed = judge(&check(1), &[sample(Some("status 503 (expected 200)"))]);
        assert_eq!(failed.message.as_deref(), Some("status 503 (expected 200) (1 of 1 sample)"));
        let two = judge(&check(2), &[sample(None), sample(None)]);
        assert!(two.message.unwrap().starts_with("2 samples, 0 failed, p50 "));
    }
}
