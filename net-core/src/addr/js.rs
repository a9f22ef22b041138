//! Loosely typed arguments, for the validations Node performs on JavaScript values.
//!
//! Rust callers mostly pass typed values, which cannot be wrong in the ways JavaScript's can.
//! Where input arrives untyped (configuration, a scenario file, a port given as text), [`Arg`]
//! carries it, and the validators answer exactly as Node does, with its codes and messages.

use std::fmt;

/// A JavaScript value as far as Node's argument validation looks at it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Arg<'a> {
    /// `undefined` (or an absent property).
    Undefined,
    /// `null`.
    Null,
    /// A boolean.
    Bool(bool),
    /// A number.
    Number(f64),
    /// A string.
    Str(&'a str),
}

/// Formats a number as JavaScript's `String(n)` does for the values validation messages show.
pub(crate) struct JsNumber(pub(crate) f64);

impl fmt::Display for JsNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.0;
        if n.is_nan() {
            f.write_str("NaN")
        } else if n.is_infinite() {
            f.write_str(if n > 0.0 { "Infinity" } else { "-Infinity" })
        } else if n == n.trunc() && n.abs() < 1e21 {
            write!(f, "{}", n as i128)
        } else {
            write!(f, "{n}")
        }
    }
}

impl Arg<'_> {
    /// Node's `determineSpecificType(value)`, used in "Received …" message tails.
    pub fn describe(&self) -> String {
        match self {
            Self::Undefined => "undefined".into(),
            Self::Null => "null".into(),
            Self::Bool(b) => format!("type boolean ({b})"),
            Self::Number(n) => format!("type number ({})", JsNumber(*n)),
            Self::Str(s) => {
                let shown: String = if s.chars().count() > 28 {
                    format!("{}...", s.chars().take(25).collect::<String>())
                } else {
                    (*s).to_owned()
                };
                format!("type string ('{shown}')")
            }
        }
    }

    /// JavaScript's truthiness (`if (value)`).
    pub(crate) fn truthy(self) -> bool {
        match self {
            Self::Undefined | Self::Null => false,
            Self::Bool(b) => b,
            Self::Number(n) => n != 0.0 && !n.is_nan(),
            Self::Str(s) => !s.is_empty(),
        }
    }

    /// JavaScript's `String(value)`, for messages.
    pub(crate) fn to_js_string(self) -> String {
        match self {
            Self::Undefined => "undefined".into(),
            Self::Null => "null".into(),
            Self::Bool(b) => b.to_string(),
            Self::Number(n) => JsNumber(n).to_string(),
            Self::Str(s) => s.to_owned(),
        }
    }

    /// JavaScript's unary `+value` for the kinds validation converts.
    pub(crate) fn to_number(self) -> f64 {
        match self {
            Self::Undefined => f64::NAN,
            Self::Null => 0.0,
            Self::Bool(b) => f64::from(u8::from(b)),
            Self::Number(n) => n,
            Self::Str(s) => js_string_to_number(s),
        }
    }
}

/// JavaScript's white space for `trim()` and `Number()`: Unicode's, less U+0085, plus U+FEFF.
pub(crate) fn js_trim(s: &str) -> &str {
    s.trim_matches(|c: char| (c.is_whitespace() && c != '\u{85}') || c == '\u{feff}')
}

/// JavaScript's `Number(string)`: trimmed; empty is 0; decimal, `0x`/`0o`/`0b`, `Infinity`.
pub(crate) fn js_string_to_number(s: &str) -> f64 {
    let t = js_trim(s);
    if t.is_empty() {
        return 0.0;
    }
    let radix = |p: &str, r: u32| u64::from_str_radix(p, r).map_or(f64::NAN, |v| v as f64);
    match t.get(..2) {
        Some("0x" | "0X") => return radix(&t[2..], 16),
        Some("0o" | "0O") => return radix(&t[2..], 8),
        Some("0b" | "0B") => return radix(&t[2..], 2),
        _ => {}
    }
    match t {
        "Infinity" | "+Infinity" => return f64::INFINITY,
        "-Infinity" => return f64::NEG_INFINITY,
        _ => {}
    }
    let ok = t.bytes().all(|c| c.is_ascii_digit() || matches!(c, b'.' | b'e' | b'E' | b'+' | b'-'));
    if !ok {
        return f64::NAN;
    }
    t.parse::<f64>().unwrap_or(f64::NAN)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn describes_like_node() {
        assert_eq!(Arg::Number(65536.0).describe(), "type number (65536)");
        assert_eq!(Arg::Number(1.5).describe(), "type number (1.5)");
        assert_eq!(Arg::Number(-1.0).describe(), "type number (-1)");
        assert_eq!(Arg::Str("abc").describe(), "type string ('abc')");
        assert_eq!(
            Arg::Str("abcdefghijklmnopqrstuvwxyz0123").describe(),
            "type string ('abcdefghijklmnopqrstuvwxy...')"
        );
        assert_eq!(Arg::Bool(true).describe(), "type boolean (true)");
        assert_eq!(Arg::Null.describe(), "null");
    }

    #[test]
    fn string_to_number() {
        assert_eq!(js_string_to_number(" 80 "), 80.0);
        assert_eq!(js_string_to_number("0x10"), 16.0);
        assert_eq!(js_string_to_number(""), 0.0);
        assert!(js_string_to_number("8a").is_nan());
        assert_eq!(js_string_to_number("1e3"), 1000.0);
    }
}
