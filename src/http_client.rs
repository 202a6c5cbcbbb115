//! The HTTP client every part of tminus uses: rustls over the ring provider (the one the
//! database driver uses too), installed once for the process, and tminus's own user agent.

use std::sync::{Arc, Once, OnceLock};

pub fn build() -> reqwest::Result<reqwest::Client> {
    static PROVIDER: Once = Once::new();
    PROVIDER.call_once(|| {
        // Fails only when a provider is installed already, which serves as well.
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
    reqwest::Client::builder().user_agent(concat!("tminus/", env!("CARGO_PKG_VERSION"))).build()
}

/// The client, built when a check first needs it: loading the system's certificates would cost
/// every run a few milliseconds, most of them runs that make no HTTP request at all.
#[derive(Clone, Default)]
pub struct OnFirstUse(Arc<OnceLock<Result<reqwest::Client, String>>>);

impl OnFirstUse {
    pub fn get(&self) -> Result<&reqwest::Client, &str> {
        self.0.get_or_init(|| build().map_err(|e| e.to_string())).as_ref().map_err(String::as_str)
    }
}
