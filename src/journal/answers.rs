//! The answers a prompt takes, as data: the one table every client and the conductor read.
//! The conductor holds each answer against it, whoever sent it; the lead's keys, footer and
//! help, the headless words and the line that lists them, `sign` and `rollback` are derived
//! from it. Nothing here is typed twice, so no client can mean more than the table says.

use super::event::{Decision, Prompt};

/// What a person must hold to do something to a run, weakest first. Without `[roles]` only
/// the lead holds any right.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Right {
    /// One of the run's people: add a note.
    Note,
    /// One of the people of the role a sign-off waits for.
    Sign,
    /// Pull the rollback.
    Rollback,
    /// Answer for the run, abort, stop, take over the lead.
    Drive,
}

impl Right {
    pub fn name(self) -> &'static str {
        match self {
            Right::Note => "add a note",
            Right::Sign => "sign",
            Right::Rollback => "roll back",
            Right::Drive => "drive",
        }
    }
}

/// What an answer must carry besides its word.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Needs {
    Nothing,
    /// A reason, journaled with it: skips, NO-GOs and early ends are never silent.
    Reason,
    /// The word GO, typed out on the screen: a gate never passes on one key pressed by
    /// accident. Headless, the word itself is that GO.
    Go,
    /// The step's id typed out: running again a step whose last copy may still run could
    /// run it twice at once.
    StepId,
    /// The approver's name. With `[roles]` the conductor records the signer's own name.
    Name,
}

/// One answer of a prompt's table.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    /// What it decides; a sign-off's name is filled in when it is given.
    pub decision: Decision,
    /// The words that say it headless; the first is the one shown.
    pub words: &'static [&'static str],
    /// The key that says it on the lead's screen.
    pub key: char,
    /// Enter says it too.
    pub enter: bool,
    /// What it does, in a few words.
    pub label: &'static str,
    pub needs: Needs,
    pub right: Right,
}

const fn answer(
    decision: Decision,
    words: &'static [&'static str],
    key: char,
    label: &'static str,
    needs: Needs,
) -> Answer {
    Answer { decision, words, key, enter: false, label, needs, right: Right::Drive }
}

impl Answer {
    fn enter(mut self) -> Self {
        self.enter = true;
        self
    }

    fn right(mut self, right: Right) -> Self {
        self.right = right;
        self
    }

    /// Whether `decision` is this answer: a sign-off matches its role, whatever name it gives.
    pub fn is(&self, decision: &Decision) -> bool {
        match (&self.decision, decision) {
            (Decision::Signed { role, .. }, Decision::Signed { role: other, .. }) => role == other,
            (mine, theirs) => mine == theirs,
        }
    }

    /// How it is typed headless: `n <reason>`, `retry <STEP-ID>`.
    pub fn usage(&self) -> String {
        let word = self.words[0];
        match self.needs {
            Needs::Nothing | Needs::Go => word.to_string(),
            Needs::Reason => format!("{word} <reason>"),
            Needs::StepId => format!("{word} <STEP-ID>"),
            Needs::Name => format!("{word} [NAME]"),
        }
    }

    /// Whether what came with it is what it needs; `Err` says what is missing.
    pub fn complete(&self, reason: Option<&str>, step: &str) -> Result<(), String> {
        let reason = reason.map(str::trim).filter(|r| !r.is_empty());
        match (self.needs, reason) {
            (Needs::Reason, None) => Err(format!("{}: a reason is needed", self.label)),
            (Needs::StepId, r) if r != Some(step) => {
                Err(format!("it may still be running: to {} it anyway, give its id, {step}", self.label))
            }
            _ => Ok(()),
        }
    }
}

/// The reason that goes with a sign-off by someone who signed another role of the gate: the
/// answer says so, or the conductor does not count it.
pub fn also_signed(name: &str, other: &str) -> String {
    format!("{name} also signed as {other}")
}

/// A line typed at a prompt, as read against its table.
#[derive(Debug, Clone, PartialEq)]
pub enum Typed {
    Note(String),
    Answer(Decision, Option<String>),
}

/// Every prompt's rollback: the same word, key and right wherever it is asked.
fn rollback() -> Answer {
    answer(Decision::Rollback, &["rollback"], 'R', "ROLLBACK", Needs::Nothing).right(Right::Rollback)
}

impl Prompt {
    /// The answers this prompt takes: the one table of what may be said to it.
    pub fn answers(&self) -> Vec<Answer> {
        use Decision::*;
        use Needs::{Name, Nothing, Reason, StepId};
        let mut table = match self {
            Prompt::Confirm => vec![
                answer(Go, &["y", "yes"], 'y', "run it", Nothing).enter(),
                answer(Skip, &["skip"], 's', "skip", Reason),
                answer(NoGo, &["n", "no"], 'x', "NO-GO", Reason),
            ],
            Prompt::Manual => vec![
                answer(Go, &["y", "yes", "done"], 'y', "done", Nothing).enter(),
                answer(NoGo, &["n", "no"], 'x', "not done", Reason),
                answer(Skip, &["skip"], 's', "skip", Reason),
            ],
            Prompt::Signoff { role } => vec![
                answer(Signed { role: role.clone(), name: String::new() }, &["y", "yes"], 'y', "sign", Name)
                    .enter()
                    .right(Right::Sign),
                answer(NoGo, &["n", "no"], 'x', "NO-GO", Reason).right(Right::Sign),
            ],
            Prompt::Gate => vec![
                answer(Go, &["go", "y", "yes"], 'y', "GO", Needs::Go).enter(),
                answer(NoGo, &["n", "no", "no-go"], 'x', "NO-GO", Reason),
            ],
            Prompt::Failure => vec![
                answer(Retry, &["retry"], 'r', "retry", Nothing),
                answer(Skip, &["skip"], 's', "skip", Reason),
                answer(NoGo, &["n", "stop"], 'x', "stop", Nothing),
            ],
            Prompt::Monitor => vec![answer(Done, &["done"], 'd', "end the monitor", Reason)],
            Prompt::Alert => vec![
                answer(Go, &["y", "yes"], 'y', "keep watching", Nothing).enter(),
                answer(Done, &["done"], 'd', "end the monitor", Reason),
            ],
            Prompt::Interrupted => vec![
                answer(Retry, &["retry"], 'r', "retry", Nothing),
                answer(Go, &["done"], 'd', "mark done", Reason),
                answer(NoGo, &["n", "stop"], 'x', "stop", Nothing),
            ],
            Prompt::StillRunning => vec![
                answer(End, &["end"], 'e', "end it (TERM, then KILL)", Nothing),
                answer(NoGo, &["n", "stop"], 'x', "end it and stop", Nothing),
            ],
            Prompt::Unknown => vec![
                answer(Retry, &["retry"], 'r', "retry", StepId),
                answer(Go, &["done"], 'd', "mark done", Reason),
                answer(NoGo, &["n", "stop"], 'x', "stop", Nothing),
            ],
        };
        table.push(rollback());
        table
    }

    /// One prompt of each kind (a sign-off for no role in particular): what a help lists.
    pub fn kinds() -> Vec<Prompt> {
        vec![
            Prompt::Confirm,
            Prompt::Manual,
            Prompt::Signoff { role: String::new() },
            Prompt::Gate,
            Prompt::Failure,
            Prompt::Monitor,
            Prompt::Alert,
            Prompt::Interrupted,
            Prompt::StillRunning,
            Prompt::Unknown,
        ]
    }

    /// The answer `decision` is to this prompt, if it is one.
    pub fn answer(&self, decision: &Decision) -> Option<Answer> {
        self.answers().into_iter().find(|a| a.is(decision))
    }

    /// One typed line, read against this prompt's table: a word means what the table says, or
    /// nothing. `note <text>` is a note, whatever the prompt.
    pub fn read(&self, line: &str, step: &str, operator: &str) -> Result<Typed, String> {
        let line = line.trim();
        if line.is_empty() {
            return Err("nothing was typed".into());
        }
        let (word, rest) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
        let rest = rest.trim();
        let reason = (!rest.is_empty()).then(|| rest.to_string());
        if word.eq_ignore_ascii_case("note") {
            return reason.map(Typed::Note).ok_or_else(|| "a note needs its text: note <text>".to_string());
        }
        let Some(answer) =
            self.answers().into_iter().find(|a| a.words.iter().any(|w| w.eq_ignore_ascii_case(word)))
        else {
            return Err(format!("`{}` is not an answer here", word.escape_debug()));
        };
        answer.complete(reason.as_deref(), step)?;
        Ok(match answer.decision {
            // `y NAME`: the approver, named; the operator when no name is given.
            Decision::Signed { role, .. } => Typed::Answer(
                Decision::Signed { role, name: reason.unwrap_or_else(|| operator.to_string()) },
                None,
            ),
            decision => Typed::Answer(decision, reason),
        })
    }

    /// The answers this prompt takes, in the words typed headless.
    pub fn usage(&self) -> String {
        self.answers().iter().map(|a| format!("{} ({})", a.usage(), a.label)).collect::<Vec<_>>().join(" / ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn within_a_prompt_each_word_and_key_means_one_thing() {
        for prompt in Prompt::kinds() {
            let table = prompt.answers();
            let words: Vec<_> = table.iter().flat_map(|a| a.words.iter()).collect();
            let mut unique = words.clone();
            unique.sort();
            unique.dedup();
            assert_eq!(words.len(), unique.len(), "{prompt:?}: {words:?}");
            let mut keys: Vec<_> = table.iter().map(|a| a.key).collect();
            keys.sort();
            keys.dedup();
            assert_eq!(keys.len(), table.len(), "{prompt:?}");
            assert!(table.iter().filter(|a| a.enter).count() <= 1, "{prompt:?}");
        }
    }

    #[test]
    fn only_an_explicit_go_passes_a_gate() {
        let go = Prompt::Gate.answer(&Decision::Go).unwrap();
        assert_eq!(go.needs, Needs::Go);
        assert!(!go.words.contains(&"done"));
        assert!(Prompt::Gate.answer(&Decision::Done).is_none());
        assert!(Prompt::Gate.answer(&Decision::Skip).is_none());
    }

    #[test]
    fn marking_an_interrupted_step_done_needs_a_reason() {
        for prompt in [Prompt::Interrupted, Prompt::Unknown] {
            let done = prompt.answer(&Decision::Go).unwrap();
            assert_eq!(done.words, &["done"]);
            assert!(done.complete(None, "s").is_err());
            assert!(done.complete(Some("  "), "s").is_err());
            assert!(done.complete(Some("checked by hand"), "s").is_ok());
        }
    }

    #[test]
    fn a_retry_that_may_run_twice_names_its_step() {
        let retry = Prompt::Unknown.answer(&Decision::Retry).unwrap();
        assert!(retry.complete(None, "deploy").is_err());
        assert!(retry.complete(Some("other"), "deploy").is_err());
        assert!(retry.complete(Some("deploy"), "deploy").is_ok());
    }
}
