//! Success criteria with numbers ("p95 < 200ms", "Error rate < 0.1%", "90 records inserted")
//! turned into suggested `http` and `sql` checks, written commented out for the lead to finish.

use std::sync::LazyLock;

use regex::Regex;

/// A heading over success criteria.
pub(crate) fn is_criteria_heading(text: &str) -> bool {
    static CRITERIA: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?i)criteria|success metric|definition of done|\bslos?\b|acceptance").expect("criteria")
    });
    CRITERIA.is_match(text)
}

/// What a suggested check needs filled in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Needs {
    Api,
    Database,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Suggestion {
    pub line: usize,
    pub text: String,
    pub title: String,
    /// The step's kind line, as TOML.
    pub check: String,
    pub needs: Needs,
}

/// The checks a criterion line suggests: "p95 under 300ms, error rate < 0.5%" is two.
pub(crate) fn suggest_all(text: &str, line: usize) -> Vec<Suggestion> {
    let parts: Vec<&str> = text.split([',', ';']).collect();
    let each: Vec<Suggestion> = parts.iter().filter_map(|p| suggest(p, line)).collect();
    if each.len() > 1 { each } else { suggest(text, line).into_iter().collect() }
}

/// The check a criterion line suggests, if it has a number tminus can hold a run to.
pub(crate) fn suggest(text: &str, line: usize) -> Option<Suggestion> {
    static LATENCY: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?i)(p9[59]|p50|latency|response times?|query response)[^<\d]*(?:<|under|below|≤|<=)\s*(\d+(?:\.\d+)?)\s*(ms|s)\b|(?:<|under|below)\s*(\d+(?:\.\d+)?)\s*(ms|s)\b[^.]*\b(p9[59]|latency|response)")
            .expect("latency")
    });
    static ERRORS: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?i)error rate\s*(?:<|under|below|≤|<=)\s*(\d+(?:\.\d+)?)\s*%").expect("errors")
    });
    static ROWS: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"(?i)\b(\d[\d,]*)\s+(records|rows)\b").expect("rows"));
    static MARKER: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"^\s*(?:[-*+]\s+(?:\[[ xX]\]\s+)?|\d{1,2}[.)]\s+)").expect("marker"));
    let first = text.lines().next().unwrap_or("");
    let title = super::ids::clean_title(&MARKER.replace(first, ""));
    if let Some(c) = ERRORS.captures(text) {
        let rate: f64 = c[1].parse().ok()?;
        let rate = rate / 100.0;
        return Some(Suggestion {
            line,
            text: text.to_string(),
            title,
            check: format!(
                "http = {{ url = \"${{API}}/health\", status = 200, samples = 100, max_error_rate = {rate} }}"
            ),
            needs: Needs::Api,
        });
    }
    if let Some(c) = LATENCY.captures(text) {
        let (n, unit) = match (c.get(2), c.get(3), c.get(4), c.get(5)) {
            (Some(n), Some(u), _, _) | (_, _, Some(n), Some(u)) => (n.as_str(), u.as_str()),
            _ => return None,
        };
        let n: f64 = n.parse().ok()?;
        let ms = if unit.eq_ignore_ascii_case("s") { n * 1000.0 } else { n };
        return Some(Suggestion {
            line,
            text: text.to_string(),
            title,
            check: format!(
                "http = {{ url = \"${{API}}/health\", status = 200, samples = 50, p95_ms = {ms} }}"
            ),
            needs: Needs::Api,
        });
    }
    if let Some(c) = ROWS.captures(text) {
        let n = c[1].replace(',', "");
        return Some(Suggestion {
            line,
            text: text.to_string(),
            title,
            check: format!(
                "sql = {{ url = \"${{DATABASE_URL}}\", query = \"SELECT COUNT(*) FROM the_table\", expect = \"= {n}\" }}"
            ),
            needs: Needs::Database,
        });
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_become_checks() {
        let s = suggest("Query response time < 200ms (p95)", 7).unwrap();
        assert!(s.check.contains("p95_ms = 200 "), "{}", s.check);
        let s = suggest("Error rate < 0.1%", 8).unwrap();
        assert!(s.check.contains("max_error_rate = 0.001"), "{}", s.check);
        let s = suggest("response times <500ms p95", 9).unwrap();
        assert!(s.check.contains("p95_ms = 500"), "{}", s.check);
        let s = suggest("p95 latency under 1.5s", 9).unwrap();
        assert!(s.check.contains("p95_ms = 1500"), "{}", s.check);
        let s = suggest("✅ 90 records inserted (75 institution_gates + 15 g12_logistics)", 10).unwrap();
        assert!(s.check.contains("expect = \"= 90\""), "{}", s.check);
        assert_eq!(s.needs, Needs::Database);
        assert_eq!(suggest("- [ ] ✅ Error rate < 0.5%", 3).unwrap().title, "Error rate < 0.5%");
        assert_eq!(suggest_all("Success criteria: p95 latency under 300ms, error rate < 0.5%.", 4).len(), 2);
        assert_eq!(suggest("No Batch 1 regressions", 11), None);
    }
}
