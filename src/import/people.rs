//! Contacts and escalation order from lists and tables, and the roles a sign-off names.

use std::sync::LazyLock;

use regex::Regex;

use super::ids::clean_title;

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Contact {
    pub line: usize,
    pub role: String,
    pub name: Option<String>,
    pub reach: Option<String>,
}

/// A heading over contacts or an escalation order.
pub(crate) fn is_contacts_heading(text: &str) -> bool {
    static CONTACTS: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?i)contact|escalat|on-?call|emergency|who to call|team roles|\braci\b")
            .expect("contacts")
    });
    static NOT: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?i)procedure|create|process|response|training|decision").expect("not contacts")
    });
    CONTACTS.is_match(text) && !NOT.is_match(text)
}

/// "Technical Lead", "DevOps Lead: #deployments", "CTO – +27 82 000 0000".
pub(crate) fn from_item(text: &str, line: usize) -> Option<Contact> {
    let text = clean_title(text.lines().next().unwrap_or(""));
    if text.is_empty() || text.len() > 160 {
        return None;
    }
    let split =
        [": ", " – ", " — ", " - "].iter().filter_map(|sep| text.find(sep).map(|i| (i, sep.len()))).min();
    let (role, reach) = match split {
        Some((i, len)) => (text[..i].trim(), Some(text[i + len..].trim())),
        None => (text.as_str(), None),
    };
    let role = clean_title(role);
    // A role is a few words ("DevOps Lead", "Level 2: Team Lead"), not a sentence.
    if role.is_empty() || role.len() > 60 || role.split_whitespace().count() > 5 || role.ends_with('.') {
        return None;
    }
    Some(Contact { line, role, name: None, reach: reach.filter(|r| !r.is_empty()).map(str::to_string) })
}

/// Rows of a table whose header names a role (or contact) column.
pub(crate) fn from_table(rows: &[Vec<String>], line: usize) -> Vec<Contact> {
    let Some((header, body)) = rows.split_first() else { return Vec::new() };
    let find = |pattern: &str, not: &[usize]| {
        let re = Regex::new(pattern).expect("column pattern");
        header.iter().enumerate().position(|(i, h)| !not.contains(&i) && re.is_match(h))
    };
    let Some(role) = find(r"(?i)\brole\b|position|level|team|function", &[])
        .or_else(|| find(r"(?i)contact|who|escalat", &[]))
    else {
        return Vec::new();
    };
    let name = find(r"(?i)name|person|owner|who", &[role]);
    let reach_cols: Vec<usize> = (0..header.len())
        .filter(|&i| i != role && Some(i) != name)
        .filter(|&i| {
            Regex::new(r"(?i)phone|e-?mail|slack|reach|channel|mobile|pager|contact|how")
                .expect("reach")
                .is_match(&header[i])
        })
        .collect();
    let other: Vec<usize> =
        (0..header.len()).filter(|&i| i != role && Some(i) != name && !reach_cols.contains(&i)).collect();
    body.iter()
        .enumerate()
        .filter_map(|(n, row)| {
            let cell = |i: usize| row.get(i).map(|c| clean_title(c)).filter(|c| !c.is_empty());
            let role = cell(role)?;
            let mut reach: Vec<String> = reach_cols.iter().filter_map(|&i| cell(i)).collect();
            for &i in &other {
                if let Some(c) = cell(i) {
                    reach.push(format!("{}: {c}", header[i]));
                }
            }
            Some(Contact {
                line: line + 2 + n,
                role,
                name: name.and_then(cell),
                reach: (!reach.is_empty()).then(|| reach.join(" · ")),
            })
        })
        .collect()
}

/// Roles commonly asked to sign a go / no-go, besides those the document's contacts name.
const COMMON_ROLES: &[&str] = &[
    "Technical Lead",
    "Tech Lead",
    "Team Lead",
    "Deployment Lead",
    "QA Reviewer",
    "QA Lead",
    "DevOps Lead",
    "Release Manager",
    "Product Owner",
    "Engineering Manager",
    "Security Lead",
    "DBA",
    "SRE",
    "CTO",
];

/// The roles the text names, in the order it names them.
pub(crate) fn roles_named(text: &str, contacts: &[Contact]) -> Vec<String> {
    let lower = text.to_lowercase();
    let mut found: Vec<(usize, String)> = Vec::new();
    let candidates = contacts.iter().map(|c| c.role.as_str()).chain(COMMON_ROLES.iter().copied());
    for role in candidates {
        let pattern = format!(r"\b{}\b", regex::escape(&role.to_lowercase()));
        let Ok(re) = Regex::new(&pattern) else { continue };
        if let Some(m) = re.find(&lower) {
            // "Tech Lead" inside "Technical Lead" is found once, as the longer name.
            let inside = found.iter().any(|(at, r)| m.start() >= *at && m.end() <= *at + r.len());
            if !inside && !found.iter().any(|(_, r)| r.eq_ignore_ascii_case(role)) {
                found.push((m.start(), role.to_string()));
            }
        }
    }
    found.sort_by_key(|(at, _)| *at);
    found.into_iter().map(|(_, r)| r).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items_and_tables_become_contacts_in_order() {
        assert_eq!(from_item("Technical Lead", 3).unwrap().role, "Technical Lead");
        let c = from_item("DevOps Lead: #deployments, then phone", 4).unwrap();
        assert_eq!((c.role.as_str(), c.reach.as_deref()), ("DevOps Lead", Some("#deployments, then phone")));
        let rows = vec![
            vec!["Issue".to_string(), "Contact".into(), "Phone".into()],
            vec!["Database problems".into(), "DBA Team".into(), "+224-6XX-XXX".into()],
        ];
        let c = &from_table(&rows, 10)[0];
        assert_eq!(c.role, "DBA Team");
        assert_eq!(c.reach.as_deref(), Some("+224-6XX-XXX · Issue: Database problems"));
        assert_eq!(c.line, 12);
        let rows = vec![
            vec!["Role".to_string(), "Person".into(), "Contact".into()],
            vec!["Deployment Lead".into(), "Naledi".into(), "#deploys".into()],
        ];
        let c = &from_table(&rows, 1)[0];
        assert_eq!(
            (c.role.as_str(), c.name.as_deref(), c.reach.as_deref()),
            ("Deployment Lead", Some("Naledi"), Some("#deploys"))
        );
    }

    #[test]
    fn sign_off_roles_are_found_in_the_text() {
        let contacts = [Contact { line: 1, role: "Platform On-call".into(), name: None, reach: None }];
        assert_eq!(
            roles_named(
                "GO / NO-GO: QA Reviewer and the Technical Lead sign; platform on-call informed",
                &contacts
            ),
            ["QA Reviewer", "Technical Lead", "Platform On-call"]
        );
        assert!(roles_named("GO / NO-GO decision", &contacts).is_empty());
    }
}
