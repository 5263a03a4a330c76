//! Runtime configuration (spec §6.4–6.5): read from the environment or given by the caller.
//!
//! There is no configuration file. Variables are read in upstream's order (log level, log file,
//! plugins, profiling, version-ignore) so that deprecation warnings appear in the same order.

use vaccel_abi as abi;

use crate::{Error, Result};

/// The vAccel configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// `:`-separated plugin list.
    pub plugins: Option<String>,
    /// 1..=4 enables error..debug; anything else disables logging.
    pub log_level: u32,
    /// Log file base name; `None` logs to stdout.
    pub log_file: Option<String>,
    pub profiling_enabled: bool,
    pub version_ignore: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            plugins: None,
            log_level: abi::VACCEL_LOG_ERROR,
            log_file: None,
            profiling_enabled: false,
            version_ignore: false,
        }
    }
}

/// Reads `new`, or the deprecated `old` (with upstream's warning on stderr) when `new` is unset.
fn var_with_alias(new: &str, old: Option<&str>) -> Option<String> {
    if let Some(v) = std::env::var_os(new) {
        return Some(v.to_string_lossy().into_owned());
    }
    let old = old?;
    let v = std::env::var_os(old)?;
    eprintln!("Warning: {old} is deprecated. Use {new} instead.");
    Some(v.to_string_lossy().into_owned())
}

/// C `strtoul(value, NULL, 10)`: leading blanks, an optional sign, then digits; text that does not
/// parse is 0. Out of range (what sets `errno` to ERANGE) is an error.
pub fn strtoul(value: &str) -> Result<u64> {
    let s = value.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    let (negative, s) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let digits = s.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 {
        return Ok(0);
    }
    let n: u64 = s[..digits].parse().map_err(|_| Error::EINVAL)?;
    Ok(if negative { n.wrapping_neg() } else { n })
}

/// A numeric config variable as upstream reads it (`strtoul`, then narrowed to the C type).
fn numeric(new: &str, old: Option<&str>, default: u64) -> Result<u64> {
    match var_with_alias(new, old) {
        Some(v) => strtoul(&v),
        None => Ok(default),
    }
}

impl Config {
    /// The configuration from `VACCEL_*` environment variables (§6.4).
    pub fn from_env() -> Result<Config> {
        let log_level = numeric(
            "VACCEL_LOG_LEVEL",
            Some("VACCEL_DEBUG_LEVEL"),
            abi::VACCEL_LOG_ERROR as u64,
        )?;
        let log_file = var_with_alias("VACCEL_LOG_FILE", None);
        let plugins = var_with_alias("VACCEL_PLUGINS", Some("VACCEL_BACKENDS"));
        let profiling = numeric("VACCEL_PROFILING_ENABLED", None, 0)?;
        let version_ignore = numeric("VACCEL_VERSION_IGNORE", Some("VACCEL_IGNORE_VERSION"), 0)?;
        Ok(Config {
            plugins,
            // The C field is a 4-byte enum: upstream keeps the low 32 bits.
            log_level: log_level as u32,
            log_file,
            profiling_enabled: profiling != 0,
            version_ignore: version_ignore != 0,
        })
    }

    /// The six debug lines of `vaccel_config_print_debug` (§6.5).
    pub fn debug_lines(&self) -> [String; 6] {
        let level = match self.log_level {
            abi::VACCEL_LOG_ERROR => "error",
            abi::VACCEL_LOG_WARN => "warn",
            abi::VACCEL_LOG_INFO => "info",
            abi::VACCEL_LOG_DEBUG => "debug",
            _ => "max",
        };
        let s = |v: &Option<String>| v.clone().unwrap_or_else(|| "(null)".into());
        [
            "Config:".into(),
            format!("  plugins = {}", s(&self.plugins)),
            format!("  log_level = {level}"),
            format!("  log_file = {}", s(&self.log_file)),
            format!("  profiling_enabled = {}", self.profiling_enabled),
            format!("  version_ignore = {}", self.version_ignore),
        ]
    }

    /// Logs the configuration at debug level.
    pub fn print_debug(&self) {
        for line in self.debug_lines() {
            crate::debug!("{line}");
        }
    }
}

/// An environment switch that only the exact value `0` turns off
/// (`VACCEL_BOOTSTRAP_ENABLED`, `VACCEL_CLEANUP_ENABLED`).
pub fn switch_enabled(name: &str) -> bool {
    std::env::var_os(name).is_none_or(|v| v != "0")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strtoul_matches_c() {
        assert_eq!(strtoul("4"), Ok(4));
        assert_eq!(strtoul("  12abc"), Ok(12));
        assert_eq!(strtoul("abc"), Ok(0));
        assert_eq!(strtoul(""), Ok(0));
        assert_eq!(strtoul("yes"), Ok(0));
        assert_eq!(strtoul("-1"), Ok(u64::MAX));
        assert_eq!(strtoul("+3"), Ok(3));
        assert_eq!(
            strtoul("123456789012345678901234567890"),
            Err(Error::EINVAL)
        );
    }

    #[test]
    fn debug_lines_are_upstreams() {
        let c = Config {
            plugins: Some("libvaccel-noop.so".into()),
            log_level: 4,
            ..Config::default()
        };
        assert_eq!(
            c.debug_lines(),
            [
                "Config:",
                "  plugins = libvaccel-noop.so",
                "  log_level = debug",
                "  log_file = (null)",
                "  profiling_enabled = false",
                "  version_ignore = false",
            ]
        );
    }

    #[test]
    fn defaults() {
        let c = Config::default();
        assert_eq!(c.log_level, 1);
        assert!(c.plugins.is_none() && !c.profiling_enabled && !c.version_ignore);
    }
}
