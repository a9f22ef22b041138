//! Node's argument validators, with its codes and message texts.

use crate::addr::js::Arg;
use crate::error::{ErrorCode, NetError};

/// Node's `validatePort(port, name, allowZero)`: a number or a non-blank numeric string that is
/// an integer in 0..=65535 (1..=65535 without `allow_zero`). Otherwise `ERR_SOCKET_BAD_PORT`.
///
/// ```
/// use net_core::{Arg, validate_port};
/// assert_eq!(validate_port(Arg::Str("80"), "Port", true).unwrap(), 80);
/// let err = validate_port(Arg::Number(65536.0), "Port", true).unwrap_err();
/// assert_eq!(err.code(), "ERR_SOCKET_BAD_PORT");
/// assert_eq!(err.message(), "Port should be >= 0 and < 65536. Received type number (65536).");
/// ```
pub fn validate_port(port: Arg<'_>, name: &str, allow_zero: bool) -> Result<u16, NetError> {
    let shape_ok = match port {
        Arg::Number(_) => true,
        Arg::Str(s) => !s.trim().is_empty(),
        _ => false,
    };
    let n = port.to_number();
    let integral = n.is_finite() && n >= 0.0 && n == n.trunc() && n <= f64::from(u32::MAX);
    if shape_ok && integral && n <= 65535.0 && (n != 0.0 || allow_zero) {
        return Ok(n as u16);
    }
    let op = if allow_zero { ">=" } else { ">" };
    Err(NetError::new(
        ErrorCode::ERR_SOCKET_BAD_PORT,
        format!("{name} should be {op} 0 and < 65536. Received {}.", port.describe()),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// [connect_arg_validation], [listen_invalid_args]: 65536, -1, 1.5, "abc" are bad; "80" and 0
    /// are fine.
    #[test]
    fn ports() {
        for bad in [Arg::Number(65536.0), Arg::Number(-1.0), Arg::Number(1.5), Arg::Str("abc"), Arg::Str(" ")]
        {
            assert_eq!(
                validate_port(bad, "Port", true).unwrap_err().code(),
                "ERR_SOCKET_BAD_PORT",
                "{bad:?}"
            );
        }
        for bad in [Arg::Bool(true), Arg::Null, Arg::Undefined, Arg::Number(f64::NAN)] {
            assert!(validate_port(bad, "Port", true).is_err(), "{bad:?}");
        }
        assert_eq!(validate_port(Arg::Number(0.0), "Port", true).unwrap(), 0);
        assert!(validate_port(Arg::Number(0.0), "Port", false).is_err());
        assert_eq!(validate_port(Arg::Str("0x50"), "Port", true).unwrap(), 80);
        assert_eq!(
            validate_port(Arg::Number(-1.0), "options.port", true).unwrap_err().message(),
            "options.port should be >= 0 and < 65536. Received type number (-1)."
        );
        assert_eq!(
            validate_port(Arg::Str("abc"), "Port", true).unwrap_err().message(),
            "Port should be >= 0 and < 65536. Received type string ('abc')."
        );
    }
}
