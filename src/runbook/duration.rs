//! Durations as runbooks write them: "500ms", "30s", "5m", "1h30m", and signed "-15m" for `at`.

use std::time::Duration;

use chrono::TimeDelta;

/// Longer than a week is past any deployment day, monitor or timeout: a typo, like "30d" for
/// "30m", that would otherwise hold a run for a month.
const LONGEST: Duration = Duration::from_secs(7 * 24 * 3600);

pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err("empty duration".into());
    }
    if trimmed.chars().all(|c| c.is_ascii_digit()) && trimmed != "0" {
        return Err(format!("`{trimmed}` has no unit; write it like \"30s\", \"5m\" or \"1h30m\""));
    }
    let duration = humantime::parse_duration(trimmed).map_err(|e| {
        format!("`{trimmed}` is not a duration ({e}); write it like \"30s\", \"5m\" or \"1h30m\"")
    })?;
    if duration > LONGEST {
        return Err(format!("`{trimmed}` is more than 7 days"));
    }
    Ok(duration)
}

pub fn parse_signed_duration(text: &str) -> Result<TimeDelta, String> {
    let trimmed = text.trim();
    let (negative, rest) = match trimmed.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, trimmed.strip_prefix('+').unwrap_or(trimmed)),
    };
    let magnitude = parse_duration(rest)?;
    let delta = TimeDelta::from_std(magnitude).map_err(|_| format!("`{trimmed}` is too long"))?;
    Ok(if negative { -delta } else { delta })
}

/// Short human form for screens and reports: "850ms", "4.2s", "1m12s", "2h05m".
pub fn format_duration(d: Duration) -> String {
    let ms = d.as_millis();
    if ms < 1000 {
        return format!("{ms}ms");
    }
    let secs = d.as_secs();
    if secs < 60 {
        return format!("{:.1}s", d.as_secs_f64());
    }
    if secs < 3600 {
        return match secs % 60 {
            0 => format!("{}m", secs / 60),
            s => format!("{}m{s:02}s", secs / 60),
        };
    }
    match (secs % 3600) / 60 {
        0 => format!("{}h", secs / 3600),
        m => format!("{}h{m:02}m", secs / 3600),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runbook_durations() {
        assert_eq!(parse_duration("500ms").unwrap(), Duration::from_millis(500));
        assert_eq!(parse_duration("1h30m").unwrap(), Duration::from_secs(5400));
        assert_eq!(parse_duration("0m").unwrap(), Duration::ZERO);
        assert!(parse_duration("15").unwrap_err().contains("no unit"));
        assert!(parse_duration("5 minutes later").is_err());
        assert!(parse_duration("600000000y").is_err());
        assert_eq!(parse_duration("7d").unwrap(), Duration::from_secs(7 * 24 * 3600));
        assert_eq!(parse_duration("8d").unwrap_err(), "`8d` is more than 7 days");
        assert_eq!(parse_signed_duration("-15m").unwrap(), TimeDelta::minutes(-15));
        assert_eq!(parse_signed_duration("+30m").unwrap(), TimeDelta::minutes(30));
    }

    #[test]
    fn short_forms() {
        assert_eq!(format_duration(Duration::from_millis(850)), "850ms");
        assert_eq!(format_duration(Duration::from_millis(4200)), "4.2s");
        assert_eq!(format_duration(Duration::from_secs(72)), "1m12s");
        assert_eq!(format_duration(Duration::from_secs(7500)), "2h05m");
        assert_eq!(format_duration(Duration::from_secs(900)), "15m");
        assert_eq!(format_duration(Duration::from_secs(86400)), "24h");
    }
}
