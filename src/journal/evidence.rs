//! What `tminus verify` says of a run: its chain and signed heads, its `runs` row held against
//! its events, a head witnessed elsewhere held against the journal, and whether this machine
//! trusts the key that signed it.

use super::chain::{self, Verdict};
use super::seal::{self, Trust};
use super::store::{RunRecord, Store, StoreError};

/// A run examined: the verdict, and who signed it when its chain holds.
#[derive(Debug)]
pub struct Examined {
    pub verdict: Verdict,
    pub signer: Option<(String, Trust)>,
}

impl Examined {
    /// Whether the journal can be believed: its chain holds and its key is not someone else's.
    pub fn holds(&self) -> bool {
        matches!(self.verdict, Verdict::Verified { .. })
            && !matches!(self.signer, Some((_, Trust::Other { .. })))
    }
}

/// A head someone kept (from a notification or a report): `SEQ:HASH`, the hash's first 16 or
/// more hex digits.
pub fn parse_witness(text: &str) -> Result<(i64, String), String> {
    let bad =
        || format!("--witness {text}: not a head; expected SEQ:HASH as notifications and reports print it");
    let (seq, hash) = text.trim().split_once(':').ok_or_else(bad)?;
    let seq: i64 = seq.parse().map_err(|_| bad())?;
    let hash = hash.to_ascii_lowercase();
    if seq < 1 || hash.len() < 16 || !hash.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(bad());
    }
    Ok((seq, hash))
}

pub async fn examine(
    store: &dyn Store,
    run: &RunRecord,
    witness: Option<(i64, String)>,
) -> Result<Examined, StoreError> {
    let verifier = chain::verify(store, &run.id).await?;
    let verdict = match verifier.verdict() {
        Verdict::Verified { events, .. } => {
            let disagreement = row_disagrees(run, verifier.outcome.as_deref(), events)
                .or(witnessed(store, &run.id, witness, events).await?);
            match disagreement {
                Some((seq, why)) => Verdict::Broken { seq, why },
                None => verifier.verdict(),
            }
        }
        broken => broken,
    };
    let signer = match &verdict {
        Verdict::Verified { signed: Some((_, key)), host, .. } => Some((key.clone(), seal::trust(host, key))),
        _ => None,
    };
    Ok(Examined { verdict, signer })
}

/// The run's row in `runs` against how its events say it ended.
fn row_disagrees(run: &RunRecord, ended: Option<&str>, events: i64) -> Option<(i64, String)> {
    match (run.outcome.as_deref(), ended) {
        (Some(row), None) => Some((
            events + 1,
            format!(
                "the runs row says the run ended ({row}), but its events hold no end: its last events were dropped"
            ),
        )),
        (row, Some(ended)) if row != Some(ended) => Some((
            events,
            format!(
                "the runs row says {}, but its events say {ended}: the row was changed",
                row.unwrap_or("still running")
            ),
        )),
        _ => None,
    }
}

/// A head kept elsewhere, against the journal as it is now.
async fn witnessed(
    store: &dyn Store,
    run_id: &str,
    witness: Option<(i64, String)>,
    events: i64,
) -> Result<Option<(i64, String)>, StoreError> {
    let Some((seq, kept)) = witness else { return Ok(None) };
    if seq > events {
        let why = format!(
            "a witness saw event {seq}, but the journal ends at event {events}: its tail was dropped"
        );
        return Ok(Some((events + 1, why)));
    }
    let hash = store.hash(run_id, seq).await?.unwrap_or_default();
    Ok((!hash.starts_with(&kept)).then(|| {
        (
            seq,
            format!(
                "a witness saw event {seq} as {kept}, but it hashes to {} now: written again",
                chain::short(&hash)
            ),
        )
    }))
}
