//! Output lines older than a step's tail, for a pane scrolled past it: asked for by the screen,
//! read from the journal by a task of their own, so the screen never waits on the database.

use std::collections::HashMap;
use std::ops::Range;
use std::sync::Arc;

use tokio::sync::mpsc;

use crate::journal::Store;
use crate::journal::scrollback::Scrollback;

/// Lines read at a time: a few pages of the pane, so short scrolls need no new read.
pub const PAGE_LINES: u64 = 200;

/// Lines of a step's output the pane needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Want {
    pub run_id: String,
    pub step: String,
    pub lines: Range<u64>,
}

/// What the journal gave for a `Want`: its lines (fewer where the step printed fewer), or why not.
#[derive(Debug, Clone)]
pub struct Page {
    pub want: Want,
    pub lines: Result<Vec<String>, String>,
}

/// The pane's older lines: the page read last, and what is being read now.
#[derive(Debug, Clone, Default)]
pub struct Older {
    pub page: Option<Page>,
    pub loading: Option<Want>,
}

impl Older {
    /// Line `n` of `step`, if the page read holds it.
    pub fn line(&self, step: &str, n: u64) -> Option<&str> {
        let page = self.page.as_ref().filter(|p| p.want.step == step)?;
        let lines = page.lines.as_ref().ok()?;
        let i = usize::try_from(n.checked_sub(page.want.lines.start)?).ok()?;
        lines.get(i).map(String::as_str)
    }

    /// Why the page that should hold line `n` of `step` could not be read.
    pub fn failure(&self, step: &str, n: u64) -> Option<&str> {
        let page = self.page.as_ref().filter(|p| p.want.step == step && p.want.lines.contains(&n))?;
        page.lines.as_ref().err().map(String::as_str)
    }

    /// The page to read for lines `needed` of `step`, unless one is being read or the page
    /// read holds them (or failed to, and would fail again).
    pub fn want(&self, run_id: &str, step: &str, needed: Range<u64>) -> Option<Want> {
        if needed.is_empty() || self.loading.is_some() {
            return None;
        }
        let page = self.page.as_ref().filter(|p| p.want.step == step);
        if page.is_some_and(|p| p.want.lines.start <= needed.start && needed.end <= p.want.lines.end) {
            return None;
        }
        let len = PAGE_LINES.max(needed.end - needed.start);
        let from = ((needed.start + needed.end) / 2).saturating_sub(len / 2).min(needed.start);
        Some(Want { run_id: run_id.to_string(), step: step.to_string(), lines: from..from + len })
    }
}

/// Reads what the screen asks for, one `Want` at a time, until the screen is gone.
pub async fn serve(store: Arc<dyn Store>, mut wants: mpsc::Receiver<Want>, pages: mpsc::Sender<Page>) {
    // Per step: where its batches lie, so a later page only indexes what it printed since.
    let mut readers: HashMap<String, Scrollback> = HashMap::new();
    while let Some(want) = wants.recv().await {
        let reader =
            readers.entry(want.step.clone()).or_insert_with(|| Scrollback::new(&want.run_id, &want.step));
        let lines = reader.lines(store.as_ref(), want.lines.clone()).await.map_err(|e| e.to_string());
        if pages.send(Page { want, lines }).await.is_err() {
            return;
        }
    }
}
