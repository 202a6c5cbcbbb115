//! Step and phase ids made from the text they name, stable and unique; titles without the
//! decoration around them.

use std::collections::{HashMap, HashSet};

/// At most this many words, and this many characters, make an id.
const ID_WORDS: usize = 5;
const ID_CHARS: usize = 40;

/// "Phase 2: Deployment (09:00-09:15)" → "phase-2-deployment-09-00-09-15" shortened at a word:
/// lowercase ASCII letters and digits joined by `-`.
pub(crate) fn slug(text: &str) -> String {
    let words: Vec<String> = text
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_ascii_lowercase)
        .collect();
    let mut out = String::new();
    for word in words.iter().take(ID_WORDS) {
        if !out.is_empty() && out.len() + 1 + word.len() > ID_CHARS {
            break;
        }
        if !out.is_empty() {
            out.push('-');
        }
        out.push_str(&word[..word.len().min(ID_CHARS)]);
    }
    out
}

/// Hands out ids, each once: the second "backup" is "backup-2".
#[derive(Debug, Default)]
pub(crate) struct Ids {
    given: HashSet<String>,
    /// For each base, the suffix to try next: the thousandth "backup" is found at once.
    next: HashMap<String, usize>,
}

impl Ids {
    /// An id for this text, or `fallback` (like "step") when the text has no letters or digits.
    pub fn make(&mut self, text: &str, fallback: &str) -> String {
        let base = match slug(text) {
            s if s.is_empty() => fallback.to_string(),
            s => s,
        };
        let mut id = base.clone();
        let n = self.next.entry(base.clone()).or_insert(2);
        while !self.given.insert(id.clone()) {
            id = format!("{base}-{n}");
            *n += 1;
        }
        id
    }
}

/// A word with no ASCII letter or digit in it: an emoji, a check mark, a bullet, a dash, or
/// the mojibake a copy-paste made of them ("ðŸš€").
pub(crate) fn is_decoration(word: &str) -> bool {
    !word.chars().any(|c| c.is_ascii_alphanumeric())
}

/// A heading or line without its decoration: emoji words at either end, Markdown emphasis,
/// and a trailing colon.
pub(crate) fn clean_title(text: &str) -> String {
    let words: Vec<&str> = text.split_whitespace().collect();
    let first = words.iter().position(|w| !is_decoration(w)).unwrap_or(words.len());
    let last = words.iter().rposition(|w| !is_decoration(w)).map_or(first, |i| i + 1);
    let joined = words[first..last.max(first)].join(" ");
    joined.trim_matches(|c| c == '*' || c == '_').trim_end_matches(':').trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_made_from_the_text_and_unique() {
        let mut ids = Ids::default();
        assert_eq!(ids.make("Phase 1: Pre-Flight (08:45-09:00)", "phase"), "phase-1-pre-flight-08");
        assert_eq!(ids.make("Create backup", "step"), "create-backup");
        assert_eq!(ids.make("Create   backup!", "step"), "create-backup-2");
        assert_eq!(ids.make("create backup", "step"), "create-backup-3");
        assert_eq!(ids.make("🚀 ✅", "step"), "step");
        assert_eq!(ids.make("", "step"), "step-2");
        assert_eq!(
            ids.make("node scripts/deploy-batch2.js --environment=production", "step"),
            "node-scripts-deploy-batch2-js"
        );
        assert_eq!(slug("Überprüfung der Datenbank"), "berpr-fung-der-datenbank");
        let long = slug("supercalifragilisticexpialidocious-and-then-some-more-words-here");
        assert!(long.len() <= ID_CHARS, "{long}");
    }

    #[test]
    fn titles_lose_their_decoration() {
        assert_eq!(
            clean_title("ðŸ“‹ BATCH 2 PRE-FLIGHT PLANNING REPORT"),
            "BATCH 2 PRE-FLIGHT PLANNING REPORT"
        );
        assert_eq!(
            clean_title("‚è±Ô∏è JUPITER-GRADE P1: DEPLOYMENT PLAN (2-3 Weeks)"),
            "JUPITER-GRADE P1: DEPLOYMENT PLAN (2-3 Weeks)"
        );
        assert_eq!(
            clean_title("$11.17.2 Deployment Preparation - COMPLETE âœ…"),
            "$11.17.2 Deployment Preparation - COMPLETE"
        );
        assert_eq!(clean_title("🚀 Cutover:"), "Cutover");
        assert_eq!(clean_title("🧭  · Readiness"), "Readiness");
        assert_eq!(clean_title("Backup & restore"), "Backup & restore");
        assert_eq!(clean_title("**DAY 1-2: Data Model**"), "DAY 1-2: Data Model");
    }

    #[test]
    fn the_nth_duplicate_is_numbered_and_never_takes_an_id_given_already() {
        let mut ids = Ids::default();
        assert_eq!(ids.make("Backup", "step"), "backup");
        assert_eq!(ids.make("backup 2", "step"), "backup-2");
        assert_eq!(ids.make("Backup", "step"), "backup-3", "backup-2 was given to another text");
        for n in 4..5000 {
            assert_eq!(ids.make("Backup", "step"), format!("backup-{n}"));
        }
        assert_eq!(ids.make("✔", "step"), "step");
        assert_eq!(ids.make("✔", "step"), "step-2");
    }
}
