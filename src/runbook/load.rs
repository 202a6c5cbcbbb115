//! Reading a runbook file into a [`Runbook`], reporting every problem with its place in the file.

use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, FixedOffset};
use regex::Regex;
use sha2::{Digest, Sha256};
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::diag::{LineIndex, Problem, Problems};
use super::reader::{Sink, Table, Value};
use super::*;

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("cannot read runbook {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("runbook {path} is more than {} MiB; no runbook is that long", MAX_FILE >> 20)]
    TooLarge { path: PathBuf },
    #[error("{0}")]
    Invalid(#[from] Problems),
}

/// Far past any real runbook; it bounds what reading one (or a device named as one) can take.
const MAX_FILE: u64 = 16 << 20;

/// Reads, parses and validates a runbook; environment variables come from this process.
pub fn load(path: &Path) -> Result<Runbook, LoadError> {
    let io = |source| LoadError::Io { path: path.to_path_buf(), source };
    let mut bytes = Vec::new();
    std::fs::File::open(path).and_then(|f| f.take(MAX_FILE + 1).read_to_end(&mut bytes)).map_err(io)?;
    if bytes.len() as u64 > MAX_FILE {
        return Err(LoadError::TooLarge { path: path.to_path_buf() });
    }
    let source = match String::from_utf8(bytes) {
        Ok(source) => source,
        Err(e) => {
            let at = e.utf8_error().valid_up_to();
            let byte = e.as_bytes()[at];
            let text = String::from_utf8_lossy(e.as_bytes());
            let problem =
                Problem::new(at..at + 1, format!("byte 0x{byte:02X} is not UTF-8; a runbook is UTF-8 text"));
            return Err(Problems::new(path, &text, vec![problem]).into());
        }
    };
    Ok(parse(path, &source, &|name| std::env::var(name).ok())?)
}

const TOP_KEYS: &[&str] = &["runbook", "vars", "contacts", "roles", "phase", "rollback", "notify"];
const ROLE_KEYS: &[&str] = &["people", "may"];
const RUNBOOK_KEYS: &[&str] = &["name", "start", "owner", "description", "kill_grace"];
const VAR_KEYS: &[&str] = &["env", "default", "value", "secret"];
const CONTACT_KEYS: &[&str] = &["role", "name", "reach"];
const PHASE_KEYS: &[&str] = &["id", "title", "at", "budget", "step"];
const KINDS: &[&str] = &["run", "http", "sql", "manual", "gate", "monitor"];
const STEP_KEYS: &[&str] = &[
    "id",
    "title",
    "doc",
    "run",
    "http",
    "sql",
    "manual",
    "gate",
    "monitor",
    "expect",
    "timeout",
    "retries",
    "retry_delay",
    "critical",
    "confirm",
    "dry_run",
    "undo",
    "irreversible",
    "signoff",
];
const EXPECT_KEYS: &[&str] = &["exit", "stdout"];
const HTTP_KEYS: &[&str] = &[
    "url",
    "method",
    "headers",
    "data",
    "status",
    "body",
    "json",
    "timeout",
    "samples",
    "concurrency",
    "p95_ms",
    "max_error_rate",
];
const SQL_KEYS: &[&str] = &["url", "query", "expect", "expect_rows", "max_ms"];
const MONITOR_KEYS: &[&str] = &["every", "for", "steps", "alert_after"];
const NOTIFY_KEYS: &[&str] = &["name", "url", "format", "secret", "on", "waiting_after", "timeout"];
const DEFAULT_WAITING_AFTER: Duration = Duration::from_secs(5 * 60);
const DEFAULT_NOTIFY_TIMEOUT: Duration = Duration::from_secs(5);

const MAX_RETRIES: u32 = 100;
/// Every sample is kept to judge the check; ten thousand is minutes of requests at any pace.
const MAX_SAMPLES: u32 = 10_000;
/// Requests in flight at once against the service a check watches: more is a load test.
const MAX_CONCURRENCY: u32 = 100;
/// The longest string `${NAME}` interpolation may build, checked as it is built: far past any
/// URL, query or title, and far short of what variables that each double the last would reach.
const MAX_INTERPOLATED: usize = 1 << 20;
/// All interpolated strings of one runbook together, so many references to one long variable
/// cannot add up to what one string may not.
const MAX_INTERPOLATED_TOTAL: usize = 16 << 20;
const DEFAULT_KILL_GRACE: Duration = Duration::from_secs(5);
const DEFAULT_HTTP_TIMEOUT: Duration = Duration::from_secs(10);

/// Parses runbook text. `env` answers for `{ env = "NAME" }` variables.
pub fn parse(path: &Path, source: &str, env: &dyn Fn(&str) -> Option<String>) -> Result<Runbook, Problems> {
    let (root, syntax) = DeTable::parse_recoverable(source);
    if !syntax.is_empty() {
        let problems = syntax
            .iter()
            .map(|e| Problem::new(e.span().unwrap_or(0..0), format!("TOML syntax: {}", e.message().trim())))
            .collect();
        return Err(Problems::new(path, source, problems));
    }
    let root = Spanned::new(root.span(), DeValue::Table(root.into_inner()));
    let mut reader = Reader {
        sink: Sink::default(),
        vars: HashMap::new(),
        lines: LineIndex::new(source),
        interpolated: 0,
        roles: Roles::default(),
    };
    let runbook = reader.runbook(path, source, &root, env);
    match runbook {
        Some(runbook) if reader.sink.problems.is_empty() => Ok(runbook),
        _ => Err(Problems::new(path, source, reader.sink.problems)),
    }
}

struct Reader {
    sink: Sink,
    /// Values so far, for `${NAME}` in every string read after `[vars]`.
    vars: HashMap<String, String>,
    /// For "first used on line N".
    lines: LineIndex,
    /// Bytes interpolation has built so far, against [`MAX_INTERPOLATED_TOTAL`].
    interpolated: usize,
    /// `[roles]`, read before the phases so a sign-off naming an unknown role is found.
    roles: Roles,
}

impl Reader {
    fn runbook(
        &mut self,
        path: &Path,
        source: &str,
        root: &Value<'_>,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Option<Runbook> {
        let top = self.sink.table(root, "the runbook file", TOP_KEYS)?;
        let vars = match top.get("vars") {
            Some(v) => self.vars(v, env),
            None => Vec::new(),
        };
        let Some(head_value) = top.get("runbook") else {
            self.sink.error(0..0, "the runbook has no [runbook] table; it needs at least `name`");
            return None;
        };
        let head = self.sink.table(head_value, "[runbook]", RUNBOOK_KEYS);
        let name = head.as_ref().and_then(|h| h.required_string("name", &mut self.sink));
        let name = name.map(|n| self.interpolate(&n));
        let start = head.as_ref().and_then(|h| self.start(h));
        let owner =
            head.as_ref().and_then(|h| h.string("owner", &mut self.sink)).map(|s| self.interpolate(&s));
        let description =
            head.as_ref().and_then(|h| h.string("description", &mut self.sink)).map(|s| self.interpolate(&s));
        let kill_grace = head
            .as_ref()
            .and_then(|h| h.duration("kill_grace", &mut self.sink))
            .unwrap_or(DEFAULT_KILL_GRACE);

        let contacts = match top.get("contacts") {
            Some(v) => self.contacts(v),
            None => Vec::new(),
        };
        self.roles = match top.get("roles") {
            Some(v) => self.roles(v),
            None => Roles::default(),
        };
        let mut phases = Vec::new();
        match top.get("phase") {
            Some(v) => {
                for item in self.sink.array(v, "`phase`") {
                    if let Some(phase) = self.phase(item) {
                        phases.push(phase);
                    }
                }
            }
            None => self
                .sink
                .error(0..0, "the runbook has no [[phase]]; a runbook needs at least one phase with steps"),
        }
        let rollback = match top.get("rollback") {
            Some(v) => self.rollback(v),
            None => Vec::new(),
        };
        let notify = match top.get("notify") {
            Some(v) => self.sink.array(v, "`notify`").iter().filter_map(|item| self.notify(item)).collect(),
            None => Vec::new(),
        };
        self.check_ids(&top);
        self.check_monitors(&top, &phases);

        Some(Runbook {
            path: path.to_path_buf(),
            dir: path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new(".")).to_path_buf(),
            hash: format!("{:x}", Sha256::digest(source.as_bytes())),
            name: name?,
            description,
            start,
            owner,
            kill_grace,
            vars,
            contacts,
            roles: std::mem::take(&mut self.roles),
            phases,
            rollback,
            notify,
        })
    }

    /// `[roles]`: "Role name" = { people = [logins], may = ["drive", "rollback"] }.
    fn roles(&mut self, value: &Value<'_>) -> Roles {
        let DeValue::Table(table) = value.get_ref() else {
            self.sink.error(value.span(), "[roles] must be a table of \"Role name\" = { people = [...] }");
            return Roles::default();
        };
        let mut roles = Vec::new();
        for (key, value) in table {
            let name = key.get_ref().to_string();
            let Some(t) = self.sink.table(value, "a role", ROLE_KEYS) else { continue };
            let people: Vec<String> = t
                .strings("people", &mut self.sink)
                .unwrap_or_default()
                .iter()
                .map(|p| self.interpolate(p))
                .collect();
            if people.iter().all(|p| p.trim().is_empty()) {
                self.sink.push(Problem::new(key.span(), format!("role \"{name}\" has no people")).help(
                    "people = [\"login\", ...]: the OS accounts (or database logins) who act in this role",
                ));
            }
            let mut may = Vec::new();
            for word in t.strings("may", &mut self.sink).unwrap_or_default() {
                match May::ALL.iter().find(|(w, _)| *w == word.get_ref()) {
                    Some((_, m)) => may.push(*m),
                    None => self.sink.push(
                        Problem::new(
                            word.span(),
                            format!("unknown `may` value \"{}\" for role \"{name}\"", word.get_ref()),
                        )
                        .help(
                            "a role may: drive, rollback (everyone in a role signs the gates that name it)",
                        ),
                    ),
                }
            }
            roles.push(Role { name, people, may });
        }
        Roles(roles)
    }

    /// One `[[notify]]` receiver.
    fn notify(&mut self, value: &Value<'_>) -> Option<Notify> {
        let t = self.sink.table(value, "[[notify]]", NOTIFY_KEYS)?;
        let url = t.required_string("url", &mut self.sink).and_then(|raw| {
            let url = self.interpolate(&raw);
            match url::Url::parse(&url) {
                Ok(parsed) if matches!(parsed.scheme(), "http" | "https") && parsed.host().is_some() => {
                    Some((url, parsed))
                }
                // The URL is usually a secret: the message quotes what the file says, never its value.
                Ok(_) => {
                    let problem = Problem::new(
                        raw.span(),
                        format!("`url` \"{}\" is not an http or https URL", raw.get_ref()),
                    );
                    self.sink
                        .push(problem.help("a webhook URL, like \"https://hooks.slack.com/services/...\""));
                    None
                }
                Err(e) => {
                    let problem =
                        Problem::new(raw.span(), format!("`url` \"{}\" is not a URL ({e})", raw.get_ref()));
                    self.sink
                        .push(problem.help("a webhook URL, like \"https://hooks.slack.com/services/...\""));
                    None
                }
            }
        });
        let format = match t.string("format", &mut self.sink) {
            None => Some(NotifyFormat::Slack),
            Some(f) => match f.get_ref().as_str() {
                "slack" => Some(NotifyFormat::Slack),
                "json" => Some(NotifyFormat::Json),
                other => {
                    let problem =
                        Problem::new(f.span(), format!("`format` = \"{other}\" is not a notify format"));
                    self.sink.push(
                        problem
                            .help("slack (an incoming-webhook text) or json (one object per notification)"),
                    );
                    None
                }
            },
        };
        let secret = t.string("secret", &mut self.sink).map(|s| self.interpolate(&s));
        let on = match t.strings("on", &mut self.sink) {
            None => Notice::ALL.to_vec(),
            Some(words) => {
                let mut on = Vec::new();
                for word in words {
                    match Notice::parse(word.get_ref()) {
                        Some(n) if !on.contains(&n) => on.push(n),
                        Some(_) => {}
                        None => {
                            let all: Vec<&str> = Notice::ALL.iter().map(|n| n.name()).collect();
                            let problem = Problem::new(
                                word.span(),
                                format!("`on` names \"{}\", which is nothing to notify of", word.get_ref()),
                            );
                            self.sink.push(problem.help(format!("one of: {}", all.join(", "))));
                        }
                    }
                }
                on
            }
        };
        let waiting_after = t.duration("waiting_after", &mut self.sink).unwrap_or(DEFAULT_WAITING_AFTER);
        let timeout = t.duration("timeout", &mut self.sink).unwrap_or(DEFAULT_NOTIFY_TIMEOUT);
        for (key, d) in [("waiting_after", waiting_after), ("timeout", timeout)] {
            if d.is_zero() {
                self.sink.error(
                    t.get(key).map(|v| v.span()).unwrap_or_default(),
                    format!("`{key}` must be longer than zero"),
                );
            }
        }
        let name = t.string("name", &mut self.sink).map(|s| self.interpolate(&s));
        let (url, parsed) = url?;
        let format = format?;
        let name = name.unwrap_or_else(|| {
            let kind = if format == NotifyFormat::Slack { "slack" } else { "json" };
            format!("{kind} {}", parsed.host_str().unwrap_or("webhook"))
        });
        Some(Notify { name, url, format, secret, on, waiting_after, timeout })
    }

    fn vars(&mut self, value: &Value<'_>, env: &dyn Fn(&str) -> Option<String>) -> Vec<Var> {
        let DeValue::Table(table) = value.get_ref() else {
            self.sink.error(value.span(), "[vars] must be a table of NAME = value");
            return Vec::new();
        };
        let mut vars = Vec::new();
        for (key, value) in table {
            let name = key.get_ref().to_string();
            if name.is_empty()
                || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                || name.starts_with(|c: char| c.is_ascii_digit())
            {
                self.sink.error(
                    key.span(),
                    format!(
                        "variable name `{name}` must be letters, digits and `_`, not starting with a digit"
                    ),
                );
                continue;
            }
            let var = match value.get_ref() {
                DeValue::String(s) => Some(Var {
                    name: name.clone(),
                    value: self.interpolate(&Spanned::new(value.span(), s.to_string())),
                    secret: false,
                }),
                DeValue::Table(_) => self.var_table(&name, value, env),
                other => {
                    self.sink.error(value.span(), format!("variable `{name}` must be a string or a table like {{ env = \"NAME\", default = \"...\" }}, found {}", other.type_str()));
                    None
                }
            };
            if let Some(var) = var {
                self.vars.insert(var.name.clone(), var.value.clone());
                vars.push(var);
            }
        }
        vars
    }

    fn var_table(
        &mut self,
        name: &str,
        value: &Value<'_>,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Option<Var> {
        let what = "a variable";
        let t = self.sink.table(value, what, VAR_KEYS)?;
        let secret = t.bool("secret", &mut self.sink).unwrap_or(false);
        let literal = t.string("value", &mut self.sink);
        let env_name = t.string("env", &mut self.sink);
        let default = t.string("default", &mut self.sink);
        let resolved = match (&literal, &env_name) {
            (Some(_), Some(e)) => {
                self.sink.error(e.span(), format!("variable `{name}` has both `value` and `env`; give one"));
                return None;
            }
            (Some(v), None) => self.interpolate(v),
            (None, Some(e)) => {
                match env(e.get_ref()) {
                    Some(v) => v,
                    None => {
                        match default {
                            Some(d) => self.interpolate(&d),
                            None => {
                                self.sink.push(
                            Problem::new(e.span(), format!("environment variable `{}` is not set and `{name}` has no default", e.get_ref()))
                                .help(format!("export {}=... before running, or add `default = \"...\"`", e.get_ref())),
                        );
                                return None;
                            }
                        }
                    }
                }
            }
            (None, None) => {
                self.sink.error(value.span(), format!("variable `{name}` needs `env` or `value`"));
                return None;
            }
        };
        Some(Var { name: name.to_string(), value: resolved, secret })
    }

    fn start(&mut self, head: &Table<'_, '_>) -> Option<DateTime<FixedOffset>> {
        let value = head.get("start")?;
        let text = match value.get_ref() {
            DeValue::String(s) => s.to_string(),
            DeValue::Datetime(d) => d.to_string(),
            other => {
                self.sink.error(
                    value.span(),
                    format!(
                        "`start` must be a date and time like \"2025-11-27T09:00:00+02:00\", found {}",
                        other.type_str()
                    ),
                );
                return None;
            }
        };
        DateTime::parse_from_rfc3339(&text)
            .map_err(|e| {
                self.sink.push(
                    Problem::new(
                        value.span(),
                        format!("`start` = \"{text}\" is not a date and time with an offset ({e})"),
                    )
                    .help("write it like \"2025-11-27T09:00:00+02:00\""),
                )
            })
            .ok()
    }

    fn contacts(&mut self, value: &Value<'_>) -> Vec<Contact> {
        let mut contacts = Vec::new();
        for item in self.sink.array(value, "`contacts`") {
            let Some(t) = self.sink.table(item, "a contact", CONTACT_KEYS) else {
                continue;
            };
            let role = t.required_string("role", &mut self.sink).map(|s| self.interpolate(&s));
            let name = t.string("name", &mut self.sink).map(|s| self.interpolate(&s));
            let reach = t.string("reach", &mut self.sink).map(|s| self.interpolate(&s));
            if let Some(role) = role {
                contacts.push(Contact { role, name, reach });
            }
        }
        contacts
    }

    fn phase(&mut self, value: &Value<'_>) -> Option<Phase> {
        let t = self.sink.table(value, "a phase", PHASE_KEYS)?;
        let id = self.id(&t, "phase");
        let title = t.string("title", &mut self.sink).map(|s| self.interpolate(&s));
        let at = t.signed_duration("at", &mut self.sink);
        let budget = t.duration("budget", &mut self.sink);
        let mut steps = Vec::new();
        match t.get("step") {
            Some(v) => {
                for item in self.sink.array(v, "`step`") {
                    if let Some(step) = self.step(item, None) {
                        steps.push(step);
                    }
                }
            }
            None => self
                .sink
                .error(t.key_span("id").unwrap_or(t.span.clone()), "this phase has no [[phase.step]]"),
        }
        let id = id?;
        Some(Phase { title: title.unwrap_or_else(|| id.clone()), id, at, budget, steps })
    }

    fn rollback(&mut self, value: &Value<'_>) -> Vec<Step> {
        let Some(t) = self.sink.table(value, "[rollback]", &["step"]) else {
            return Vec::new();
        };
        let Some(steps) = t.get("step") else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for (i, item) in self.sink.array(steps, "`rollback.step`").iter().enumerate() {
            let Some(step) = self.step(item, Some(format!("rollback-{}", i + 1))) else { continue };
            // A rollback runs through to the end: nothing in it may wait on a decision or a clock.
            if let StepKind::Gate(_) | StepKind::Monitor(_) = step.kind {
                let kind = step.kind.name();
                let span = match item.get_ref() {
                    DeValue::Table(t) => t.get_key_value(kind).map(|(k, _)| k.span()),
                    _ => None,
                };
                self.sink.push(
                    Problem::new(
                        span.unwrap_or_else(|| item.span()),
                        format!("a {kind} step cannot be part of [rollback]"),
                    )
                    .help("a rollback step is a run, manual, http or sql step"),
                );
                continue;
            }
            out.push(step);
        }
        out
    }

    fn id(&mut self, t: &Table<'_, '_>, what: &str) -> Option<String> {
        let id = t.required_string("id", &mut self.sink)?;
        let valid = !id.get_ref().is_empty()
            && id.get_ref().chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !valid {
            self.sink.error(
                id.span(),
                format!("{what} id `{}` must be letters, digits, `-` and `_`", id.get_ref()),
            );
            return None;
        }
        Some(id.into_inner())
    }

    /// A step; `default_id` is given for rollback steps, whose id is optional.
    fn step(&mut self, value: &Value<'_>, default_id: Option<String>) -> Option<Step> {
        let t = self.sink.table(value, "a step", STEP_KEYS)?;
        let id = match default_id {
            Some(default) if !t.has("id") => Some(default),
            _ => self.id(&t, "step"),
        };
        let kinds: Vec<&str> = KINDS.iter().copied().filter(|k| t.has(k)).collect();
        let label = id.clone().unwrap_or_else(|| "?".into());
        let kind = match kinds.as_slice() {
            [] => {
                self.sink.push(
                    Problem::new(
                        t.key_span("id").unwrap_or(t.span.clone()),
                        format!("step `{label}` has no kind"),
                    )
                    .help("give it exactly one of: run, http, sql, manual, gate, monitor"),
                );
                None
            }
            [kind] => self.kind(&t, kind),
            [first, second, ..] => {
                self.sink.push(
                    Problem::new(
                        t.key_span(second).unwrap_or(t.span.clone()),
                        format!("step `{label}` has two kinds, `{first}` and `{second}`"),
                    )
                    .help("a step does exactly one thing: split it into two steps"),
                );
                None
            }
        };
        let kind_name = kind.as_ref().map(StepKind::name);
        let only = |key: &str, kinds: &[&str], sink: &mut Sink| {
            if let (Some(span), Some(k)) = (t.key_span(key), kind_name)
                && !kinds.contains(&k)
            {
                sink.error(
                    span,
                    format!("`{key}` does not apply to a {k} step (only to {})", kinds.join(", ")),
                );
            }
        };
        only("expect", &["run"], &mut self.sink);
        only("dry_run", &["run"], &mut self.sink);
        only("signoff", &["gate"], &mut self.sink);
        only("timeout", &["run", "http", "sql"], &mut self.sink);
        only("retries", &["run", "http", "sql"], &mut self.sink);
        only("retry_delay", &["run", "http", "sql"], &mut self.sink);

        let title = t.string("title", &mut self.sink).map(|s| self.interpolate(&s));
        let doc = t.string("doc", &mut self.sink).map(|s| self.interpolate(&s));
        let expect = match t.get("expect") {
            Some(v) => self.expect(v),
            None => Expect::default(),
        };
        let timeout = t.positive_duration("timeout", &mut self.sink);
        let retries = t.unsigned("retries", &mut self.sink).unwrap_or(0);
        self.at_most(&t, "retries", retries, MAX_RETRIES);
        let retry_delay = t.duration("retry_delay", &mut self.sink).unwrap_or(Duration::ZERO);
        let critical = t.bool("critical", &mut self.sink).unwrap_or(true);
        let confirm = t.bool("confirm", &mut self.sink).unwrap_or(false);
        let dry_run = self.dry_run(&t);
        let undo = t.string("undo", &mut self.sink).map(Spanned::into_inner);
        let irreversible = t.bool("irreversible", &mut self.sink).unwrap_or(false);
        if let (true, Some(undo_span)) = (irreversible, t.key_span("undo")) {
            self.sink.error(undo_span, "an irreversible step cannot have an `undo`");
        }
        let signoff: Vec<String> = t
            .strings("signoff", &mut self.sink)
            .unwrap_or_default()
            .iter()
            .map(|s| {
                let role = self.interpolate(s);
                if !self.roles.is_empty() && self.roles.get(&role).is_none() {
                    let known: Vec<&str> = self.roles.0.iter().map(|r| r.name.as_str()).collect();
                    self.sink.push(
                        Problem::new(s.span(), format!("sign-off role \"{role}\" is not in [roles]"))
                            .help(format!("[roles] defines: {}", known.join(", "))),
                    );
                }
                role
            })
            .collect();
        let mut kind = kind?;
        if let StepKind::Gate(gate) = &mut kind {
            gate.signoff = signoff;
        }
        let id = id?;
        let title = title.unwrap_or_else(|| match &kind {
            StepKind::Manual(text) => text.clone(),
            StepKind::Gate(gate) => gate.question.clone(),
            _ => id.clone(),
        });
        Some(Step {
            id,
            title,
            doc,
            kind,
            expect,
            timeout,
            retries,
            retry_delay,
            critical,
            confirm,
            dry_run,
            undo,
            irreversible,
        })
    }

    /// `dry_run = "command"` is the dry form; `dry_run = true` says the `run` command itself
    /// only reads, so a dry run runs it as it is.
    fn dry_run(&mut self, t: &Table<'_, '_>) -> Option<String> {
        let value = t.get("dry_run")?;
        match value.get_ref() {
            DeValue::Boolean(true) => match t.get("run").map(|r| r.get_ref()) {
                Some(DeValue::String(command)) => Some(command.to_string()),
                _ => None,
            },
            DeValue::Boolean(false) => None,
            _ => t.string("dry_run", &mut self.sink).map(Spanned::into_inner),
        }
    }

    fn kind(&mut self, t: &Table<'_, '_>, kind: &str) -> Option<StepKind> {
        let value = t.get(kind)?;
        match kind {
            "run" => {
                let command = self.sink.string(value, "`run`")?;
                if command.get_ref().trim().is_empty() {
                    self.sink.error(command.span(), "`run` is empty");
                    return None;
                }
                Some(StepKind::Run(command.into_inner()))
            }
            "manual" => {
                Some(StepKind::Manual(self.sink.string(value, "`manual`").map(|s| self.interpolate(&s))?))
            }
            "gate" => Some(StepKind::Gate(Gate {
                question: self.sink.string(value, "`gate`").map(|s| self.interpolate(&s))?,
                signoff: Vec::new(),
            })),
            "http" => self.http(value).map(StepKind::Http),
            "sql" => self.sql(value).map(StepKind::Sql),
            "monitor" => self.monitor(value).map(StepKind::Monitor),
            _ => None,
        }
    }

    fn expect(&mut self, value: &Value<'_>) -> Expect {
        let Some(t) = self.sink.table(value, "`expect`", EXPECT_KEYS) else {
            return Expect::default();
        };
        let exit = t.integer("exit", &mut self.sink).unwrap_or(0);
        let exit = i32::try_from(exit).unwrap_or_else(|_| {
            self.sink.error(
                t.get("exit").map(|v| v.span()).unwrap_or_default(),
                format!("exit code {exit} is out of range"),
            );
            0
        });
        let stdout = t.string("stdout", &mut self.sink).and_then(|s| self.regex(&s));
        Expect { exit, stdout }
    }

    fn regex(&mut self, pattern: &Spanned<String>) -> Option<Regex> {
        let text = self.interpolate(pattern);
        Regex::new(&text)
            .map_err(|e| {
                self.sink.error(
                    pattern.span(),
                    format!("bad regular expression: {}", e.to_string().lines().last().unwrap_or_default()),
                )
            })
            .ok()
    }

    fn http(&mut self, value: &Value<'_>) -> Option<HttpCheck> {
        let t = self.sink.table(value, "`http`", HTTP_KEYS)?;
        let url = t.required_string("url", &mut self.sink).map(|s| self.interpolate(&s));
        let method = t
            .string("method", &mut self.sink)
            .map_or_else(|| "GET".to_string(), |m| m.get_ref().to_ascii_uppercase());
        let mut headers = Vec::new();
        if let Some(h) = t.get("headers")
            && let Some(table) = self.free_table(h, "`headers`")
        {
            for (k, v) in table {
                if let Some(s) = self.sink.string(v, "a header value") {
                    headers.push((k.get_ref().to_string(), self.interpolate(&s)));
                }
            }
        }
        let data = t.string("data", &mut self.sink).map(|s| self.interpolate(&s));
        let status = t.integer("status", &mut self.sink).unwrap_or(200);
        let status = u16::try_from(status).ok().filter(|s| (100..600).contains(s)).or_else(|| {
            self.sink.error(
                t.get("status").map(|v| v.span()).unwrap_or_default(),
                format!("`status` {status} is not an HTTP status"),
            );
            None
        });
        let body = t.string("body", &mut self.sink).and_then(|s| self.regex(&s));
        let mut json = Vec::new();
        if let Some(j) = t.get("json")
            && let Some(table) = self.free_table(j, "`json`")
        {
            for (k, v) in table {
                let pointer = k.get_ref().to_string();
                if !pointer.is_empty() && !pointer.starts_with('/') {
                    self.sink.push(
                        Problem::new(k.span(), format!("`{pointer}` is not a JSON pointer"))
                            .help("JSON pointers start with `/`, like \"/status\" or \"/items/0/id\""),
                    );
                    continue;
                }
                if let Some(expected) = self.json_value(v) {
                    json.push((pointer, expected));
                }
            }
        }
        let timeout = t.positive_duration("timeout", &mut self.sink).unwrap_or(DEFAULT_HTTP_TIMEOUT);
        let samples = t.unsigned("samples", &mut self.sink).unwrap_or(1);
        let concurrency = t.unsigned("concurrency", &mut self.sink).unwrap_or(1);
        for (key, n) in [("samples", samples), ("concurrency", concurrency)] {
            if n == 0 {
                self.sink.error(
                    t.get(key).map(|v| v.span()).unwrap_or_default(),
                    format!("`{key}` must be at least 1"),
                );
            }
        }
        self.at_most(&t, "samples", samples, MAX_SAMPLES);
        self.at_most(&t, "concurrency", concurrency, MAX_CONCURRENCY);
        let p95_ms = t.number("p95_ms", &mut self.sink);
        let max_error_rate = t.number("max_error_rate", &mut self.sink);
        if let Some(rate) = max_error_rate.filter(|r| !(0.0..=1.0).contains(r)) {
            self.sink.push(
                Problem::new(
                    t.get("max_error_rate").map(|v| v.span()).unwrap_or_default(),
                    format!("`max_error_rate` {rate} is not between 0 and 1"),
                )
                .help("0.001 means 0.1%"),
            );
        }
        Some(HttpCheck {
            url: url?,
            method,
            headers,
            data,
            status: status?,
            body,
            json,
            timeout,
            samples: samples.max(1),
            concurrency: concurrency.max(1),
            p95_ms,
            max_error_rate,
        })
    }

    /// A table whose keys are the user's own (header names, JSON pointers).
    fn free_table<'a, 'i>(&mut self, value: &'a Value<'i>, what: &str) -> Option<&'a DeTable<'i>> {
        match value.get_ref() {
            DeValue::Table(t) => Some(t),
            other => {
                self.sink.error(value.span(), format!("{what} must be a table, found {}", other.type_str()));
                None
            }
        }
    }

    fn json_value(&mut self, value: &Value<'_>) -> Option<serde_json::Value> {
        Some(match value.get_ref() {
            DeValue::String(s) => {
                serde_json::Value::String(self.interpolate(&Spanned::new(value.span(), s.to_string())))
            }
            DeValue::Boolean(b) => serde_json::Value::Bool(*b),
            DeValue::Integer(i) => {
                serde_json::Value::from(i64::from_str_radix(&i.as_str().replace('_', ""), i.radix()).ok()?)
            }
            DeValue::Float(f) => serde_json::Value::from(f.as_str().replace('_', "").parse::<f64>().ok()?),
            other => {
                self.sink.error(
                    value.span(),
                    format!(
                        "a JSON expectation must be a string, number or boolean, found {}",
                        other.type_str()
                    ),
                );
                return None;
            }
        })
    }

    fn sql(&mut self, value: &Value<'_>) -> Option<SqlCheck> {
        let t = self.sink.table(value, "`sql`", SQL_KEYS)?;
        let url = t.required_string("url", &mut self.sink).map(|s| self.interpolate(&s));
        let query = t.required_string("query", &mut self.sink).map(|s| self.interpolate(&s));
        let expect = t.string("expect", &mut self.sink).and_then(|s| {
            let text = self.interpolate(&s);
            Expectation::parse(&text)
                .map_err(|e| {
                    self.sink.push(
                        Problem::new(s.span(), format!("bad `expect`: {e}"))
                            .help("write \"= 75\", \">= 1\", \"!= 0\", \"between 1 and 5\" or a string"),
                    )
                })
                .ok()
        });
        let expect_rows = t.bool("expect_rows", &mut self.sink).unwrap_or(false);
        let max_ms = t.number("max_ms", &mut self.sink);
        if let Some(url) = &url {
            let known = ["postgres://", "postgresql://", "mysql://", "mariadb://", "sqlite:"];
            if !known.iter().any(|p| url.starts_with(p)) {
                let span = t.get("url").map(|v| v.span()).unwrap_or_default();
                self.sink.push(
                    Problem::new(
                        span,
                        "`url` of a sql check must start with postgres://, mysql:// or sqlite:",
                    )
                    .help("for example sqlite://data/app.db or postgres://user@host/db"),
                );
            }
        }
        Some(SqlCheck { url: url?, query: query?, expect, expect_rows, max_ms })
    }

    fn monitor(&mut self, value: &Value<'_>) -> Option<Monitor> {
        let t = self.sink.table(value, "`monitor`", MONITOR_KEYS)?;
        if !t.has("every") {
            self.sink.error(t.span.clone(), "`monitor` needs `every`, like every = \"30s\"");
        }
        if !t.has("for") {
            self.sink.error(t.span.clone(), "`monitor` needs `for`, like for = \"1h\"");
        }
        if !t.has("steps") {
            self.sink.error(t.span.clone(), "`monitor` needs `steps`, the ids of the checks it repeats");
        }
        let every = t.positive_duration("every", &mut self.sink);
        let duration = t.positive_duration("for", &mut self.sink);
        let steps = t.strings("steps", &mut self.sink).unwrap_or_default();
        let alert_after = t.unsigned("alert_after", &mut self.sink).unwrap_or(2).max(1);
        if every == Some(Duration::ZERO) {
            self.sink.error(
                t.get("every").map(|v| v.span()).unwrap_or_default(),
                "`every` must be longer than zero",
            );
        }
        Some(Monitor {
            every: every?,
            duration: duration?,
            steps: steps.into_iter().map(Spanned::into_inner).collect(),
            alert_after,
        })
    }

    /// Step and phase ids are unique, so journal entries and commands name one thing.
    fn check_ids(&mut self, top: &Table<'_, '_>) {
        let mut seen: HashMap<String, std::ops::Range<usize>> = HashMap::new();
        let mut phase_seen: HashMap<String, std::ops::Range<usize>> = HashMap::new();
        let phases = top.get("phase").and_then(|p| match p.get_ref() {
            DeValue::Array(a) => Some(a),
            _ => None,
        });
        for phase in phases.into_iter().flat_map(|a| a.iter()) {
            let DeValue::Table(pt) = phase.get_ref() else {
                continue;
            };
            if let Some(id) = pt.get("id")
                && let DeValue::String(s) = id.get_ref()
            {
                if let Some(first) = phase_seen.get(s.as_ref()) {
                    let line = self.lines.line(first.start);
                    self.sink
                        .error(id.span(), format!("duplicate phase id `{s}` (first used on line {line})"));
                } else {
                    phase_seen.insert(s.to_string(), id.span());
                }
            }
            let steps = pt.get("step").and_then(|p| match p.get_ref() {
                DeValue::Array(a) => Some(a),
                _ => None,
            });
            for step in steps.into_iter().flat_map(|a| a.iter()) {
                let DeValue::Table(st) = step.get_ref() else {
                    continue;
                };
                let Some(id) = st.get("id") else { continue };
                let DeValue::String(s) = id.get_ref() else {
                    continue;
                };
                if let Some(first) = seen.get(s.as_ref()) {
                    let line = self.lines.line(first.start);
                    self.sink
                        .error(id.span(), format!("duplicate step id `{s}` (first used on line {line})"));
                } else {
                    seen.insert(s.to_string(), id.span());
                }
            }
        }
        // Rollback steps share the journal with phase steps: their ids (given, or rollback-N)
        // must be unique too.
        let rollback =
            top.get("rollback").and_then(|r| r.get_ref().get("step")).and_then(|p| match p.get_ref() {
                DeValue::Array(a) => Some(a),
                _ => None,
            });
        for (i, step) in rollback.into_iter().flat_map(|a| a.iter()).enumerate() {
            let (id, span) = match step.get_ref().get("id").map(|id| (id.get_ref(), id.span())) {
                Some((DeValue::String(s), span)) => (s.to_string(), span),
                Some(_) => continue,
                None => (format!("rollback-{}", i + 1), step.span()),
            };
            if let Some(first) = seen.get(&id) {
                let line = self.lines.line(first.start);
                self.sink.error(span, format!("duplicate step id `{id}` (first used on line {line})"));
            } else {
                seen.insert(id, span);
            }
        }
    }

    /// A monitor repeats checks defined elsewhere in the runbook: each name must be one.
    fn check_monitors(&mut self, top: &Table<'_, '_>, phases: &[Phase]) {
        let kinds: HashMap<&str, &StepKind> =
            phases.iter().flat_map(|p| &p.steps).map(|s| (s.id.as_str(), &s.kind)).collect();
        let phase_values = top.get("phase").and_then(|p| match p.get_ref() {
            DeValue::Array(a) => Some(a),
            _ => None,
        });
        let step_values =
            phase_values.into_iter().flat_map(|a| a.iter()).filter_map(|phase| match phase.get_ref() {
                DeValue::Table(pt) => pt.get("step"),
                _ => None,
            });
        for steps in step_values {
            let DeValue::Array(steps) = steps.get_ref() else {
                continue;
            };
            for step in steps.iter() {
                let Some(DeValue::Table(monitor)) = step.get_ref().get("monitor").map(|m| m.get_ref()) else {
                    continue;
                };
                let Some(DeValue::Array(names)) = monitor.get("steps").map(|s| s.get_ref()) else {
                    continue;
                };
                for name in names.iter() {
                    let DeValue::String(n) = name.get_ref() else {
                        continue;
                    };
                    match kinds.get(n.as_ref()) {
                        None => self.sink.error(name.span(), format!("monitor names unknown step `{n}`")),
                        Some(StepKind::Http(_) | StepKind::Sql(_)) => {}
                        Some(other) => self.sink.error(
                            name.span(),
                            format!(
                                "monitor names `{n}`, a {} step; a monitor repeats http and sql checks",
                                other.name()
                            ),
                        ),
                    }
                }
            }
        }
    }

    /// A problem when the number under `key` is past its limit.
    fn at_most(&mut self, t: &Table<'_, '_>, key: &str, n: u32, max: u32) {
        if n > max {
            let span = t.get(key).map(|v| v.span()).unwrap_or_default();
            self.sink.error(span, format!("`{key}` = {n} is more than {max}"));
        }
    }

    /// `${NAME}` replaced by the variable's value; `$${` stands for a literal `${`. A string that
    /// cannot be built is reported once, and what stands in for it trips nothing else up.
    fn interpolate(&mut self, text: &Spanned<String>) -> String {
        if self.interpolated > MAX_INTERPOLATED_TOTAL {
            return text.get_ref().clone();
        }
        match interpolate(text.get_ref(), &self.vars) {
            Ok(s) => {
                self.interpolated += s.len();
                if self.interpolated > MAX_INTERPOLATED_TOTAL {
                    self.sink.error(
                        text.span(),
                        format!(
                            "the runbook's strings come to more than {} MiB once their variables are filled in here",
                            MAX_INTERPOLATED_TOTAL >> 20
                        ),
                    );
                }
                s
            }
            Err(Unbuilt::Missing(names)) => {
                for name in names {
                    self.sink.push(
                        Problem::new(text.span(), format!("undefined variable `${{{name}}}`"))
                            .help("define it in [vars], or write `$${` for a literal `${`"),
                    );
                }
                text.get_ref().clone()
            }
            Err(Unbuilt::TooLong) => {
                self.sink.error(
                    text.span(),
                    format!(
                        "\"{}\" is more than {} MiB once its variables are filled in",
                        text.get_ref(),
                        MAX_INTERPOLATED >> 20
                    ),
                );
                // Empty rather than as written: a variable that doubles its text as written would
                // outgrow the limit again further down a chain.
                String::new()
            }
        }
    }
}

/// Why a string could not be interpolated.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Unbuilt {
    /// The names used but not defined.
    Missing(Vec<String>),
    /// It would be longer than [`MAX_INTERPOLATED`].
    TooLong,
}

pub(crate) fn interpolate(text: &str, vars: &HashMap<String, String>) -> Result<String, Unbuilt> {
    fn push(out: &mut String, piece: &str) -> Result<(), Unbuilt> {
        if out.len() + piece.len() > MAX_INTERPOLATED {
            return Err(Unbuilt::TooLong);
        }
        out.push_str(piece);
        Ok(())
    }
    let mut out = String::with_capacity(text.len().min(MAX_INTERPOLATED));
    let mut missing = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find('$') {
        push(&mut out, &rest[..i])?;
        let after = &rest[i..];
        if let Some(tail) = after.strip_prefix("$${") {
            push(&mut out, "${")?;
            rest = tail;
        } else if let Some(tail) = after.strip_prefix("${") {
            match tail.find('}') {
                Some(end) => {
                    let name = &tail[..end];
                    match vars.get(name) {
                        Some(v) => push(&mut out, v)?,
                        None => missing.push(name.to_string()),
                    }
                    rest = &tail[end + 1..];
                }
                None => {
                    push(&mut out, after)?;
                    rest = "";
                }
            }
        } else {
            push(&mut out, "$")?;
            rest = &after[1..];
        }
    }
    push(&mut out, rest)?;
    if missing.is_empty() { Ok(out) } else { Err(Unbuilt::Missing(missing)) }
}
