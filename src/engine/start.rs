//! T-0 as a run uses it: the runbook's own, moved for a rehearsal (`--start`), or today at the
//! runbook's time when its date has passed. What is used is what `RunInfo.start` records.

use chrono::{DateTime, FixedOffset, Local, NaiveTime, TimeDelta, Utc};

use crate::journal::RunInfo;
use crate::runbook::parse_duration;

/// A first phase planned further ahead than this opens on the plan, not on a running day.
pub const WAIT_AHEAD: TimeDelta = TimeDelta::minutes(5);

/// The T-0 a new run uses. `given` is `--start`: `09:00` (today, in the runbook's offset),
/// `now`, `now+15m` / `now-5m`, or an RFC 3339 time. Without it, a runbook whose start is on
/// an earlier day starts today at that time (a rehearsal of a past day); one dated today or
/// later keeps its start.
pub fn effective(
    given: Option<&str>,
    runbook: Option<DateTime<FixedOffset>>,
    now: DateTime<Utc>,
) -> Result<Option<DateTime<FixedOffset>>, String> {
    let zone = runbook.map_or_else(|| *now.with_timezone(&Local).offset(), |s| *s.offset());
    let here = now.with_timezone(&zone);
    let today_at = |time: NaiveTime| here.date_naive().and_time(time).and_local_timezone(zone).single();
    let Some(given) = given.map(str::trim) else {
        return Ok(runbook
            .map(|s| if s.date_naive() < here.date_naive() { today_at(s.time()).unwrap_or(s) } else { s }));
    };
    let bad = |why: String| {
        format!("--start {given}: {why}; give 09:00, now, now+15m or a time like 2025-11-27T09:00:00+02:00")
    };
    if let Some(rest) = given.strip_prefix("now") {
        let rest = rest.trim();
        let delta = match rest.chars().next() {
            None => TimeDelta::zero(),
            Some(sign @ ('+' | '-')) => {
                let d = parse_duration(&rest[1..]).map_err(bad)?;
                let d = TimeDelta::from_std(d).map_err(|e| bad(e.to_string()))?;
                if sign == '-' { -d } else { d }
            }
            Some(_) => return Err(bad("after `now` comes +DURATION or -DURATION".into())),
        };
        return Ok(Some(here + delta));
    }
    if let Ok(time) =
        NaiveTime::parse_from_str(given, "%H:%M").or_else(|_| NaiveTime::parse_from_str(given, "%H:%M:%S"))
    {
        return today_at(time).map(Some).ok_or_else(|| bad("no such time today".into()));
    }
    DateTime::parse_from_rfc3339(given).map(Some).map_err(|e| bad(e.to_string()))
}

/// When the first phase is planned more than `WAIT_AHEAD` from `now`: then the lead's screen
/// opens on the plan with its countdown and waits to be told to start.
pub fn first_phase_ahead(info: &RunInfo, now: DateTime<Utc>) -> Option<DateTime<FixedOffset>> {
    let zero = info.start?;
    let first = info.phases.iter().filter_map(|p| p.at_secs).min().unwrap_or(0);
    let at = zero + TimeDelta::seconds(first);
    (at.with_timezone(&Utc) - now > WAIT_AHEAD).then_some(at)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(text: &str) -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339(text).unwrap()
    }

    #[test]
    fn a_start_on_an_earlier_day_is_today_at_that_time_and_start_moves_it() {
        let book = Some(t("2025-11-27T09:00:00+02:00"));
        let now = t("2026-12-01T06:40:00Z").with_timezone(&Utc); // 08:40 at +02:00
        assert_eq!(effective(None, book, now).unwrap(), Some(t("2026-12-01T09:00:00+02:00")));
        // A start today or later is the runbook's own.
        let later = Some(t("2026-12-03T09:00:00+02:00"));
        assert_eq!(effective(None, later, now).unwrap(), later);
        assert_eq!(effective(Some("09:30"), book, now).unwrap(), Some(t("2026-12-01T09:30:00+02:00")));
        assert_eq!(effective(Some("now"), book, now).unwrap(), Some(t("2026-12-01T08:40:00+02:00")));
        assert_eq!(effective(Some("now+15m"), book, now).unwrap(), Some(t("2026-12-01T08:55:00+02:00")));
        assert_eq!(effective(Some("now-1h"), book, now).unwrap(), Some(t("2026-12-01T07:40:00+02:00")));
        let exact = "2026-12-02T10:00:00+01:00";
        assert_eq!(effective(Some(exact), book, now).unwrap(), Some(t(exact)));
        for bad in ["tomorrow", "now*2", "25:00", "now+soon"] {
            let why = effective(Some(bad), book, now).unwrap_err();
            assert!(why.starts_with(&format!("--start {bad}: ")), "{why}");
        }
        assert_eq!(effective(None, None, now).unwrap(), None);
    }

    #[test]
    fn the_screen_waits_when_the_first_phase_is_more_than_a_few_minutes_ahead() {
        let path = std::path::Path::new("day.toml");
        let text = "[runbook]\nname = \"d\"\nstart = \"2026-12-01T09:00:00+02:00\"\n[[phase]]\nid = \"pre\"\nat = \"-15m\"\n  [[phase.step]]\n  id = \"a\"\n  run = \"true\"\n";
        let runbook = crate::runbook::parse(path, text, &|_| None).unwrap();
        let info = crate::engine::run_info(&runbook, crate::journal::Mode::Live, "ops", "host");
        let at = |hm: &str| t(&format!("2026-12-01T{hm}:00+02:00")).with_timezone(&Utc);
        assert_eq!(first_phase_ahead(&info, at("08:30")), Some(t("2026-12-01T08:45:00+02:00")));
        assert_eq!(first_phase_ahead(&info, at("08:41")), None, "the first phase is due in 4 minutes");
        assert_eq!(first_phase_ahead(&info, at("10:00")), None);
    }
}
