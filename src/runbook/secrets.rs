//! Secret values replaced by `****` before anything is stored or shown.

use std::borrow::Cow;

pub const MASK: &str = "****";

#[derive(Debug, Clone, Default)]
pub struct Redactor {
    /// Every form of every secret, longest first, so a secret that contains another (or the
    /// padded encoding that contains the unpadded one) is masked whole.
    secrets: Vec<String>,
}

impl Redactor {
    pub fn new(values: impl IntoIterator<Item = String>) -> Self {
        let mut secrets: Vec<String> = Vec::new();
        for value in values.into_iter().filter(|v| !v.is_empty()) {
            for form in forms(&value) {
                if !secrets.contains(&form) {
                    secrets.push(form);
                }
            }
        }
        secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        Redactor { secrets }
    }

    pub fn is_empty(&self) -> bool {
        self.secrets.is_empty()
    }

    /// How many bytes at the end of `bytes` could be the start of a secret that bytes still to
    /// come complete: a stream cut before them can never split a secret between two pieces.
    pub fn holdback(&self, bytes: &[u8]) -> usize {
        self.secrets
            .iter()
            .map(|secret| {
                let secret = secret.as_bytes();
                (1..secret.len().min(bytes.len() + 1))
                    .rev()
                    .find(|&k| bytes.ends_with(&secret[..k]))
                    .unwrap_or(0)
            })
            .max()
            .unwrap_or(0)
    }

    pub fn text<'a>(&self, text: &'a str) -> Cow<'a, str> {
        if !self.secrets.iter().any(|s| text.contains(s.as_str())) {
            return Cow::Borrowed(text);
        }
        let mut out = text.to_string();
        for secret in &self.secrets {
            out = out.replace(secret.as_str(), MASK);
        }
        Cow::Owned(out)
    }

    pub fn bytes<'a>(&self, bytes: &'a [u8]) -> Cow<'a, [u8]> {
        let mut out: Cow<'a, [u8]> = Cow::Borrowed(bytes);
        for secret in &self.secrets {
            let needle = secret.as_bytes();
            if find(&out, needle).is_none() {
                continue;
            }
            let mut replaced = Vec::with_capacity(out.len());
            let mut rest: &[u8] = &out;
            while let Some(i) = find(rest, needle) {
                replaced.extend_from_slice(&rest[..i]);
                replaced.extend_from_slice(MASK.as_bytes());
                rest = &rest[i + needle.len()..];
            }
            replaced.extend_from_slice(rest);
            out = Cow::Owned(replaced);
        }
        out
    }
}

/// Every way a secret is likely to be written out: as it is; JSON-escaped, as payloads are
/// stored as JSON text; in hex; and in base64 of either alphabet, padded or not, alone or inside
/// a longer encoded text (an `Authorization: Basic` header, a config blob).
fn forms(secret: &str) -> Vec<String> {
    use base64::Engine;
    use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};

    let bytes = secret.as_bytes();
    let json = serde_json::to_string(secret).unwrap_or_default();
    let escaped = json.get(1..json.len().saturating_sub(1)).unwrap_or_default();
    let mut encoded = vec![hex::encode(bytes), hex::encode_upper(bytes)];
    for (padded, unpadded) in [(STANDARD, STANDARD_NO_PAD), (URL_SAFE, URL_SAFE_NO_PAD)] {
        encoded.push(padded.encode(bytes));
        encoded.push(unpadded.encode(bytes));
        // Inside a longer encoding the secret starts 0, 1 or 2 bytes into a 3-byte group; keep
        // the characters its own bits alone decide, as the bits around it change the edges.
        for offset in 0..3 {
            let shifted = [&[0u8; 2][..offset], bytes].concat();
            let text = unpadded.encode(&shifted);
            let (from, to) = ((8 * offset).div_ceil(6), (8 * (offset + bytes.len())) / 6);
            encoded.push(text.get(from..to).unwrap_or_default().to_string());
        }
    }
    // A short encoding turns up in ordinary output by chance: masking it there would only
    // garble the output, and hint at what the secret is.
    encoded.retain(|form| form.len() >= secret.len().max(4));
    [vec![secret.to_string(), escaped.to_string()], encoded].concat()
}

/// A URL's password as written and as the server reads it, percent-decoded; none if empty.
pub fn url_passwords(url: &url::Url) -> Vec<String> {
    let Some(written) = url.password().filter(|p| !p.is_empty()) else { return Vec::new() };
    // Decoded as a form value, with `+` kept: in a URL's user info it is a plus, not a space.
    let decoded = url::form_urlencoded::parse(format!("p={}", written.replace('+', "%2B")).as_bytes())
        .next()
        .map(|(_, value)| value.into_owned());
    [Some(written.to_string()), decoded].into_iter().flatten().collect()
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    memchr::memmem::find(haystack, needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_text_bytes_and_json_forms() {
        let r = Redactor::new(["s3cr\"et".to_string(), String::new()]);
        assert_eq!(r.text("pw=s3cr\"et!"), "pw=****!");
        assert_eq!(r.text(r#"{"u":"pw=s3cr\"et"}"#), r#"{"u":"pw=****"}"#);
        assert_eq!(&*r.bytes(b"\xffs3cr\"et\xfe"), b"\xff****\xfe");
        assert_eq!(r.text("nothing here"), "nothing here");
    }

    #[test]
    fn longer_secret_wins() {
        let r = Redactor::new(["abc".to_string(), "abcdef".to_string()]);
        assert_eq!(r.text("xabcdefx abc"), "x****x ****");
    }

    #[test]
    fn holds_back_what_could_start_a_secret() {
        let r = Redactor::new(["line one\nline two".to_string()]);
        assert_eq!(r.holdback(b"pw=line one\n"), "line one\n".len());
        assert_eq!(r.holdback(b"pw=l"), 1);
        assert_eq!(r.holdback(b"pw=line one\nline two"), 0, "a whole secret is masked, not held");
        assert_eq!(r.holdback(b"nothing"), 0);
        assert_eq!(r.holdback(b""), 0);
    }

    #[test]
    fn masks_hex_and_base64_forms() {
        use base64::Engine;
        use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
        let secret = "s3cr?t>>~pw\nline2";
        let r = Redactor::new([secret.to_string()]);
        assert_ne!(STANDARD.encode(secret), URL_SAFE.encode(secret), "both alphabets are tried");
        let standalone = [
            STANDARD.encode(secret),
            STANDARD_NO_PAD.encode(secret),
            URL_SAFE.encode(secret),
            URL_SAFE_NO_PAD.encode(secret),
            hex::encode(secret),
            hex::encode_upper(secret),
        ];
        for form in standalone {
            assert_eq!(r.text(&format!("x {form} y")), "x **** y", "{form}");
        }
        // Inside a longer encoding, at each offset the secret can start at, only the few
        // characters the bytes around it also shape are left.
        for before in ["", "u", "us", "user:"] {
            for engine in [STANDARD, URL_SAFE] {
                let encoded = engine.encode(format!("{before}{secret}!"));
                let masked = r.text(&encoded);
                assert!(masked.contains(MASK), "{before:?} {encoded}");
                assert!(masked.len() - MASK.len() <= 12, "{before:?}: {masked}");
            }
        }
    }

    #[test]
    fn short_encodings_are_not_masked_by_chance() {
        // A one-byte secret's hex and unpadded base64 are one or two letters, found anywhere.
        let r = Redactor::new(["Z".to_string()]);
        assert_eq!(r.text("Wg== 5a 5A Z WHAT"), "**** 5a 5A **** WHAT");
    }
}
