//! Semantic colours: built-in themes embedded in the binary, a user's TOML merged over the
//! default, and `NO_COLOR` respected.

use std::path::Path;

use ratatui::style::{Color, Modifier, Style};
use serde::Deserialize;

const DEFAULT: &str = include_str!("../../themes/default.toml");
const LIGHT: &str = include_str!("../../themes/light.toml");
const HIGH_CONTRAST: &str = include_str!("../../themes/high-contrast.toml");
/// A theme is a few dozen lines: a file past this is no theme, and `/dev/zero` never ends.
const THEME_LIMIT: u64 = 256 << 10;

/// A theme file's text, read no further than `THEME_LIMIT`.
fn read_theme(path: &Path) -> std::io::Result<String> {
    use std::io::Read;
    let mut bytes = Vec::new();
    std::fs::File::open(path)?.take(THEME_LIMIT + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > THEME_LIMIT {
        return Err(std::io::Error::other(format!(
            "more than {} KiB: no theme is that long",
            THEME_LIMIT >> 10
        )));
    }
    String::from_utf8(bytes).map_err(|_| std::io::Error::other("not UTF-8 text"))
}

#[derive(Debug, Clone, PartialEq)]
pub struct Theme {
    pub ok: Color,
    pub fail: Color,
    pub warn: Color,
    pub running: Color,
    pub pending: Color,
    pub accent: Color,
    pub muted: Color,
    pub text: Color,
    pub selection: Color,
    /// `NO_COLOR`: emphasis by bold and reverse only.
    pub monochrome: bool,
}

/// A theme file: every key optional, so a user file changes only what it names.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ThemeFile {
    ok: Option<String>,
    fail: Option<String>,
    warn: Option<String>,
    running: Option<String>,
    pending: Option<String>,
    accent: Option<String>,
    muted: Option<String>,
    text: Option<String>,
    selection: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ThemeError {
    #[error("theme {name}: {message}")]
    Invalid { name: String, message: String },
    #[error("theme {name}: cannot read it: {source}")]
    Read { name: String, source: std::io::Error },
    #[error("no theme `{0}`: use default, light, high-contrast or a path to a .toml file")]
    Unknown(String),
}

impl Theme {
    /// `--theme NAME|PATH`; `None` is the default theme. `no_color` wins over any colour.
    pub fn load(choice: Option<&str>, no_color: bool) -> Result<Self, ThemeError> {
        let mut theme = Theme::from_file("default", DEFAULT, None)?;
        match choice {
            None | Some("default") => {}
            Some("light") => theme = Theme::from_file("light", LIGHT, Some(&theme))?,
            Some("high-contrast") => theme = Theme::from_file("high-contrast", HIGH_CONTRAST, Some(&theme))?,
            Some(path) if path.ends_with(".toml") || Path::new(path).exists() => {
                let text = read_theme(Path::new(path))
                    .map_err(|source| ThemeError::Read { name: path.to_string(), source })?;
                theme = Theme::from_file(path, &text, Some(&theme))?;
            }
            Some(other) => return Err(ThemeError::Unknown(other.to_string())),
        }
        theme.monochrome = no_color;
        Ok(theme)
    }

    fn from_file(name: &str, text: &str, base: Option<&Theme>) -> Result<Self, ThemeError> {
        let file: ThemeFile = toml::from_str(text).map_err(|e| ThemeError::Invalid {
            name: name.to_string(),
            message: e.to_string().trim().to_string(),
        })?;
        let pick =
            |value: &Option<String>, fallback: Option<Color>, key: &str| -> Result<Color, ThemeError> {
                match (value, fallback) {
                    (Some(v), _) => parse_color(v).ok_or_else(|| ThemeError::Invalid {
                        name: name.to_string(),
                        message: format!(
                            "`{key} = \"{v}\"` is not a colour: use a name like \"lightred\" or \"#rrggbb\""
                        ),
                    }),
                    (None, Some(c)) => Ok(c),
                    (None, None) => Err(ThemeError::Invalid {
                        name: name.to_string(),
                        message: format!("`{key}` is missing"),
                    }),
                }
            };
        Ok(Theme {
            ok: pick(&file.ok, base.map(|b| b.ok), "ok")?,
            fail: pick(&file.fail, base.map(|b| b.fail), "fail")?,
            warn: pick(&file.warn, base.map(|b| b.warn), "warn")?,
            running: pick(&file.running, base.map(|b| b.running), "running")?,
            pending: pick(&file.pending, base.map(|b| b.pending), "pending")?,
            accent: pick(&file.accent, base.map(|b| b.accent), "accent")?,
            muted: pick(&file.muted, base.map(|b| b.muted), "muted")?,
            text: pick(&file.text, base.map(|b| b.text), "text")?,
            selection: pick(&file.selection, base.map(|b| b.selection), "selection")?,
            monochrome: false,
        })
    }

    /// A style in one of the theme's colours (plain under `NO_COLOR`).
    pub fn fg(&self, color: Color) -> Style {
        if self.monochrome { Style::default() } else { Style::default().fg(color) }
    }

    /// Emphasis that survives without colour.
    pub fn strong(&self, color: Color) -> Style {
        self.fg(color).add_modifier(Modifier::BOLD)
    }

    pub fn selected(&self) -> Style {
        if self.monochrome {
            Style::default().add_modifier(Modifier::REVERSED)
        } else {
            Style::default().bg(self.selection).add_modifier(Modifier::BOLD)
        }
    }
}

fn parse_color(text: &str) -> Option<Color> {
    let t = text.trim().to_ascii_lowercase();
    if t == "reset" {
        return Some(Color::Reset);
    }
    t.parse::<Color>().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_themes_load_and_user_files_merge_over_the_default() {
        for name in ["default", "light", "high-contrast"] {
            Theme::load(Some(name), false).unwrap();
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mine.toml");
        std::fs::write(&path, "fail = \"#ff0000\"\n").unwrap();
        let mine = Theme::load(Some(path.to_str().unwrap()), false).unwrap();
        assert_eq!(mine.fail, Color::Rgb(255, 0, 0));
        assert_eq!(mine.ok, Theme::load(None, false).unwrap().ok);
    }

    #[test]
    fn bad_theme_files_say_what_is_wrong() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bad.toml");
        std::fs::write(&path, "sparkle = \"gold\"\n").unwrap();
        let err = Theme::load(Some(path.to_str().unwrap()), false).unwrap_err().to_string();
        assert!(err.contains("unknown field `sparkle`"), "{err}");
        std::fs::write(&path, "ok = \"blurple\"\n").unwrap();
        let err = Theme::load(Some(path.to_str().unwrap()), false).unwrap_err().to_string();
        assert!(err.contains("`ok = \"blurple\"` is not a colour"), "{err}");
        assert!(Theme::load(Some("neon"), false).unwrap_err().to_string().contains("no theme `neon`"));
    }

    #[test]
    fn no_color_drops_colour_but_keeps_emphasis() {
        let t = Theme::load(None, true).unwrap();
        assert_eq!(t.fg(t.fail), Style::default());
        assert!(t.strong(t.fail).add_modifier.contains(Modifier::BOLD));
    }
}
