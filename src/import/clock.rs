//! Time windows, dates and time zones as deployment plans write them: "08:45-09:00",
//! "13:30 – 13:50", "09:30+", "2025-11-27", "Jan 8, 2026", "SAST".

use std::sync::LazyLock;
use std::time::Duration;

use chrono::{NaiveDate, NaiveTime};
use regex::Regex;

/// A phase's planned window: a start, and an end unless it is open ("09:30+").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Window {
    pub start: NaiveTime,
    pub end: Option<NaiveTime>,
}

impl Window {
    /// From start to end; a window that ends past midnight ends the next day.
    pub fn length(&self) -> Option<Duration> {
        let end = self.end?;
        let mut secs = (end - self.start).num_seconds();
        if secs <= 0 {
            secs += 24 * 3600;
        }
        Some(Duration::from_secs(secs as u64))
    }
}

const TIME: &str = r"([01]?\d|2[0-3]):([0-5]\d)";

static WINDOW: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(r"(?:^|[^\d:])(?:{TIME})\s*(?:(?:-|–|—|to|until)\s*(?:{TIME})(?:\s*h\b)?|(\+))"))
        .expect("window pattern")
});

/// The first time window in the text, and where it stands (byte range).
pub(crate) fn find_window(text: &str) -> Option<(Window, std::ops::Range<usize>)> {
    for c in WINDOW.captures_iter(text) {
        let time = |h: usize, m: usize| -> Option<NaiveTime> {
            NaiveTime::from_hms_opt(c.get(h)?.as_str().parse().ok()?, c.get(m)?.as_str().parse().ok()?, 0)
        };
        let Some(start) = time(1, 2) else { continue };
        let whole = c.get(0).expect("match");
        let from = text[whole.start()..]
            .find(|ch: char| ch.is_ascii_digit())
            .map_or(whole.start(), |i| whole.start() + i);
        if c.get(5).is_some() {
            return Some((Window { start, end: None }, from..whole.end()));
        }
        if let Some(end) = time(3, 4) {
            return Some((Window { start, end: Some(end) }, from..whole.end()));
        }
    }
    None
}

/// A single clock time ("09:00") anywhere in the text.
pub(crate) fn times(text: &str) -> Vec<(NaiveTime, usize)> {
    static ONE: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(&format!(r"(?:^|[^\d:])(?:{TIME})(?:[^\d]|$)")).expect("time pattern"));
    ONE.captures_iter(text)
        .filter_map(|c| {
            let t = NaiveTime::from_hms_opt(c[1].parse().ok()?, c[2].parse().ok()?, 0)?;
            Some((t, c.get(1)?.start()))
        })
        .collect()
}

const MONTHS: [&str; 12] =
    ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];

/// Every date in the text, with where it starts: ISO "2025-11-27", "January 7, 2026",
/// "Jan 8-9, 2026" (the first day), "7 January 2026".
pub(crate) fn dates(text: &str) -> Vec<(NaiveDate, usize)> {
    static ISO: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"\b(\d{4})-(\d{2})-(\d{2})(?:\D|$)").expect("iso"));
    static MONTH_DAY: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?i)\b(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+(\d{1,2})(?:st|nd|rd|th)?(?:\s*[-–]\s*\d{1,2})?,?\s+(\d{4})\b")
            .expect("month day")
    });
    static DAY_MONTH: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?i)\b(\d{1,2})(?:st|nd|rd|th)?\s+(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?,?\s+(\d{4})\b")
            .expect("day month")
    });
    let month = |name: &str| {
        MONTHS.iter().position(|m| name.to_ascii_lowercase().starts_with(m)).map(|i| i as u32 + 1)
    };
    let mut found = Vec::new();
    for c in ISO.captures_iter(text) {
        if let Some(d) = NaiveDate::from_ymd_opt(
            c[1].parse().unwrap_or(0),
            c[2].parse().unwrap_or(0),
            c[3].parse().unwrap_or(0),
        ) {
            found.push((d, c.get(0).map_or(0, |m| m.start())));
        }
    }
    for c in MONTH_DAY.captures_iter(text) {
        let d = month(&c[1]).and_then(|m| NaiveDate::from_ymd_opt(c[3].parse().ok()?, m, c[2].parse().ok()?));
        if let Some(d) = d {
            found.push((d, c.get(0).map_or(0, |m| m.start())));
        }
    }
    for c in DAY_MONTH.captures_iter(text) {
        let d = month(&c[2]).and_then(|m| NaiveDate::from_ymd_opt(c[3].parse().ok()?, m, c[1].parse().ok()?));
        if let Some(d) = d {
            found.push((d, c.get(0).map_or(0, |m| m.start())));
        }
    }
    found.sort_by_key(|&(_, at)| at);
    found
}

/// Named time zones and their offsets in minutes east of UTC.
const ZONES: &[(&str, i32)] = &[
    ("UTC", 0),
    ("GMT", 0),
    ("WET", 0),
    ("BST", 60),
    ("CET", 60),
    ("WAT", 60),
    ("CEST", 120),
    ("EET", 120),
    ("SAST", 120),
    ("CAT", 120),
    ("EEST", 180),
    ("EAT", 180),
    ("MSK", 180),
    ("IST", 330),
    ("SGT", 480),
    ("HKT", 480),
    ("JST", 540),
    ("KST", 540),
    ("AEST", 600),
    ("AEDT", 660),
    ("NZST", 720),
    ("NZDT", 780),
    ("EST", -300),
    ("EDT", -240),
    ("CST", -360),
    ("CDT", -300),
    ("MST", -420),
    ("MDT", -360),
    ("PST", -480),
    ("PDT", -420),
];

/// The first named zone ("SAST") or written offset ("UTC+2", "+02:00") in the text that stands
/// after a clock time, as it is written and its offset in minutes.
pub(crate) fn zone(text: &str) -> Option<(String, i32)> {
    static ZONE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"\d\s*(?:\(?\s*)\b(UTC|GMT)\s*([+-]\d{1,2})(?::?(\d{2}))?\b|\d\s*\(?\s*\b([A-Z]{2,5})\b|T\d{2}:\d{2}(?::\d{2})?([+-])(\d{2}):(\d{2})\b")
            .expect("zone")
    });
    for c in ZONE.captures_iter(text) {
        if let (Some(name), Some(hours)) = (c.get(1), c.get(2)) {
            let h: i32 = hours.as_str().parse().ok()?;
            let m: i32 = c.get(3).map_or(Some(0), |m| m.as_str().parse().ok())?;
            let minutes = h.signum() * (h.abs() * 60 + m);
            return Some((text[name.start()..c.get(0)?.end()].split_whitespace().collect(), minutes));
        }
        if let Some(name) = c.get(4)
            && let Some(&(n, off)) = ZONES.iter().find(|(n, _)| *n == name.as_str())
        {
            return Some((n.to_string(), off));
        }
        if let (Some(sign), Some(h), Some(m)) = (c.get(5), c.get(6), c.get(7)) {
            let minutes = h.as_str().parse::<i32>().ok()? * 60 + m.as_str().parse::<i32>().ok()?;
            return Some((
                format!("{}{}:{}", sign.as_str(), h.as_str(), m.as_str()),
                if sign.as_str() == "-" { -minutes } else { minutes },
            ));
        }
    }
    None
}

/// "(24 hours)", "(15 min)", "2h": a length written in words next to a window.
pub(crate) fn stated_length(text: &str) -> Option<Duration> {
    static LENGTH: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?i)\b(\d{1,3})\s*(hours?|hrs?|h|minutes?|mins?|m|days?)\b").expect("length")
    });
    let c = LENGTH.captures(text)?;
    let n: u64 = c[1].parse().ok()?;
    let unit = c[2].to_ascii_lowercase();
    let secs = if unit.starts_with('h') {
        n * 3600
    } else if unit.starts_with('d') {
        n * 24 * 3600
    } else {
        n * 60
    };
    (secs > 0 && secs <= 7 * 24 * 3600).then(|| Duration::from_secs(secs))
}

/// A signed duration as a runbook's `at` takes it: "-15m", "0m", "1h30m", "22h".
pub(crate) fn signed(minutes: i64) -> String {
    let sign = if minutes < 0 { "-" } else { "" };
    let m = minutes.abs();
    match (m / 60, m % 60) {
        (0, m) => format!("{sign}{m}m"),
        (h, 0) => format!("{sign}{h}h"),
        (h, m) => format!("{sign}{h}h{m}m"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(h: u32, m: u32) -> NaiveTime {
        NaiveTime::from_hms_opt(h, m, 0).unwrap()
    }

    #[test]
    fn windows_in_every_spelling() {
        let cases = [
            ("Phase 1: Pre-Flight (08:45-09:00)", t(8, 45), Some(t(9, 0))),
            ("### 13:30 - 13:50 · Readiness", t(13, 30), Some(t(13, 50))),
            ("Cutover 13:50–14:10", t(13, 50), Some(t(14, 10))),
            ("Cutover 9:05 — 9:20", t(9, 5), Some(t(9, 20))),
            ("- 09:30+: Monitoring (24 hours)", t(9, 30), None),
            ("**When**: Morning (estimated 09:00-11:00)", t(9, 0), Some(t(11, 0))),
            ("window 02:00 to 04:00 GMT", t(2, 0), Some(t(4, 0))),
        ];
        for (text, start, end) in cases {
            let (w, _) = find_window(text).unwrap_or_else(|| panic!("no window in {text}"));
            assert_eq!((w.start, w.end), (start, end), "{text}");
        }
        for text in [
            "08:45 - Start pre-flight checks",
            "version 1.15.1",
            "Day 1-2",
            "12:30:45 log line",
            "25:00-26:00",
        ] {
            assert_eq!(find_window(text), None, "{text}");
        }
        let (w, at) = find_window("Deploy (23:30-00:15)").unwrap();
        assert_eq!(w.length(), Some(Duration::from_secs(45 * 60)));
        assert_eq!(&"Deploy (23:30-00:15)"[at], "23:30-00:15");
    }

    #[test]
    fn dates_and_zones() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();
        assert_eq!(dates("scheduled for 2025-11-27 09:00 SAST")[0].0, d(2025, 11, 27));
        assert_eq!(dates("Phase 2: Smoke Testing (Jan 8-9, 2026)")[0].0, d(2026, 1, 8));
        assert_eq!(dates("Completion Date: January 7, 2026")[0].0, d(2026, 1, 7));
        assert_eq!(dates("on 3 March 2026 at noon")[0].0, d(2026, 3, 3));
        assert!(dates("Day 1-2 and v2.5.0").is_empty());
        assert_eq!(zone("2025-11-27 09:00 SAST"), Some(("SAST".into(), 120)));
        assert_eq!(zone("02:00-04:00 GMT"), Some(("GMT".into(), 0)));
        assert_eq!(zone("14:00 (CET)"), Some(("CET".into(), 60)));
        assert_eq!(zone("09:00 UTC+2"), Some(("UTC+2".into(), 120)));
        assert_eq!(zone("09:00 OK then"), None);
        assert_eq!(zone("Phase 1 (08:45-09:00)"), None);
        assert_eq!(zone("2025-11-27T09:00:00+02:00"), Some(("+02:00".into(), 120)));
        assert_eq!(stated_length("Monitoring (24 hours)"), Some(Duration::from_secs(24 * 3600)));
        assert_eq!(signed(-15), "-15m");
        assert_eq!(signed(90), "1h30m");
        assert_eq!(signed(0), "0m");
        assert_eq!(signed(22 * 60), "22h");
    }
}
