//! What a check found: pass or fail, why, and the figures it measured.

use crate::journal::Metric;

#[derive(Debug, Clone)]
pub struct CheckOutcome {
    pub pass: bool,
    pub message: Option<String>,
    pub metrics: Vec<Metric>,
}

impl CheckOutcome {
    pub fn failed(message: String) -> Self {
        CheckOutcome { pass: false, message: Some(message), metrics: Vec::new() }
    }
}

/// Nearest-rank percentile of sorted values: the smallest value with at least `p`% at or below it.
pub fn percentile(sorted: &[f64], p: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    Some(sorted[rank.clamp(1, sorted.len()) - 1])
}

/// Milliseconds as a person reads them: "12 ms", "1.4 ms", "2340 ms".
pub fn ms(value: f64) -> String {
    if value < 10.0 { format!("{value:.1} ms") } else { format!("{value:.0} ms") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_of_known_latencies() {
        let latencies: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&latencies, 50.0), Some(50.0));
        assert_eq!(percentile(&latencies, 95.0), Some(95.0));
        assert_eq!(percentile(&latencies, 99.0), Some(99.0));
        let few = [10.0, 20.0, 30.0, 400.0];
        assert_eq!(percentile(&few, 50.0), Some(20.0));
        assert_eq!(percentile(&few, 95.0), Some(400.0));
        assert_eq!(percentile(&[7.0], 99.0), Some(7.0));
        assert_eq!(percentile(&[], 50.0), None);
    }
}
