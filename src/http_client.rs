//! The HTTP client every part of tminus uses: rustls over the ring provider (the one the
//! database driver uses too), installed once for the process, and tminus's own user agent.

use std::sync::Once;

pub fn build() -> reqwest::Result<reqwest::Client> {
    static PROVIDER: Once = Once::new();
    PROVIDER.call_once(|| {
        // Fails only when a provider is installed already, which serves as well.
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
    reqwest::Client::builder().user_agent(concat!("tminus/", env!("CARGO_PKG_VERSION"))).build()
}
