//! Secret values replaced by `****` before anything is stored or shown.

use std::borrow::Cow;

pub const MASK: &str = "****";

#[derive(Debug, Clone, Default)]
pub struct Redactor {
    /// Longest first, so a secret that contains another is masked whole.
    secrets: Vec<String>,
}

impl Redactor {
    pub fn new(values: impl IntoIterator<Item = String>) -> Self {
        let mut secrets: Vec<String> = Vec::new();
        for value in values {
            if value.is_empty() {
                continue;
            }
            // JSON-escaped forms too: payloads are stored as JSON text.
            let escaped = serde_json::to_string(&value).unwrap_or_default();
            let escaped = escaped[1..escaped.len().saturating_sub(1).max(1)].to_string();
            for v in [value, escaped] {
                if !v.is_empty() && !secrets.contains(&v) {
                    secrets.push(v);
                }
            }
        }
        secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        Redactor { secrets }
    }

    pub fn is_empty(&self) -> bool {
        self.secrets.is_empty()
    }

    /// Bytes a stream must hold back so a secret split across two reads is still caught.
    pub fn overlap(&self) -> usize {
        self.secrets.first().map_or(0, |s| s.len() - 1)
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
        assert_eq!(r.overlap(), 5);
    }
}
