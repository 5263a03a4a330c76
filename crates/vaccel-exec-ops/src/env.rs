//! The exec plugin's environment settings (spec §18.2).
//!
//! The variables are read at each use, so a program can change them between calls. Parsing is
//! pure: it returns the value and the warnings to log, in order.

/// `VACCEL_EXEC_DLOPEN_MODE`: `lazy` or `now` (case-insensitive).
pub const DLOPEN_MODE: &str = "VACCEL_EXEC_DLOPEN_MODE";
/// `VACCEL_EXEC_DLCLOSE_ENABLED`: `0`/`false` or `1`/`true` (case-insensitive).
pub const DLCLOSE_ENABLED: &str = "VACCEL_EXEC_DLCLOSE_ENABLED";
/// The deprecated name of [`DLCLOSE_ENABLED`], used only when the new one is unset.
pub const DLCLOSE_DEPRECATED: &str = "VACCEL_EXEC_DLCLOSE";

/// The `dlopen` binding mode for `value` (the variable's value, if set): `RTLD_NOW` by default.
pub fn parse_dlopen_mode(value: Option<&str>) -> (libc::c_int, Vec<String>) {
    match value {
        None => (libc::RTLD_NOW, Vec::new()),
        Some(v) if v.eq_ignore_ascii_case("lazy") => (libc::RTLD_LAZY, Vec::new()),
        Some(v) if v.eq_ignore_ascii_case("now") => (libc::RTLD_NOW, Vec::new()),
        Some(v) => (
            libc::RTLD_NOW,
            vec![format!(
                "Invalid value '{v}' for {DLOPEN_MODE}. Using default: now"
            )],
        ),
    }
}

/// Whether to `dlclose`, from the values of the new and the deprecated variable, with `default`
/// when neither is set or the value is not a boolean.
pub fn parse_dlclose_enabled(
    enabled: Option<&str>,
    deprecated: Option<&str>,
    default: bool,
) -> (bool, Vec<String>) {
    let mut warnings = Vec::new();
    let value = match (enabled, deprecated) {
        (Some(v), _) => v,
        (None, Some(v)) => {
            // Upstream ends this warning with a newline of its own, so an empty line follows.
            warnings.push(format!(
                "{DLCLOSE_DEPRECATED} is deprecated. Use {DLCLOSE_ENABLED} instead.\n"
            ));
            v
        }
        (None, None) => return (default, warnings),
    };
    let parsed = if value == "1" || value.eq_ignore_ascii_case("true") {
        Some(true)
    } else if value == "0" || value.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    };
    let on = parsed.unwrap_or_else(|| {
        warnings.push(format!(
            "Invalid value '{value}' for {DLCLOSE_ENABLED}. Using default: {default}"
        ));
        default
    });
    (on, warnings)
}

/// The value of an environment variable (non-UTF-8 bytes replaced).
fn var(name: &str) -> Option<String> {
    std::env::var_os(name).map(|v| v.to_string_lossy().into_owned())
}

fn warn_all(warnings: Vec<String>) {
    for w in warnings {
        vaccel_plugin::warn!("[exec] {w}");
    }
}

/// The current `dlopen` mode, logging any warning.
pub fn dlopen_mode() -> libc::c_int {
    let (mode, warnings) = parse_dlopen_mode(var(DLOPEN_MODE).as_deref());
    warn_all(warnings);
    mode
}

/// Whether `dlclose` is enabled now, with `default` as the fallback, logging any warning.
pub fn dlclose_enabled(default: bool) -> bool {
    let (on, warnings) = parse_dlclose_enabled(
        var(DLCLOSE_ENABLED).as_deref(),
        var(DLCLOSE_DEPRECATED).as_deref(),
        default,
    );
    warn_all(warnings);
    on
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dlopen_mode_values() {
        assert_eq!(parse_dlopen_mode(None), (libc::RTLD_NOW, vec![]));
        assert_eq!(parse_dlopen_mode(Some("lazy")), (libc::RTLD_LAZY, vec![]));
        assert_eq!(parse_dlopen_mode(Some("LaZy")), (libc::RTLD_LAZY, vec![]));
        assert_eq!(parse_dlopen_mode(Some("NOW")), (libc::RTLD_NOW, vec![]));
        assert_eq!(
            parse_dlopen_mode(Some("eager")),
            (
                libc::RTLD_NOW,
                vec![
                    "Invalid value 'eager' for VACCEL_EXEC_DLOPEN_MODE. Using default: now"
                        .to_string()
                ]
            )
        );
        assert_eq!(parse_dlopen_mode(Some("")).1.len(), 1);
    }

    #[test]
    fn dlclose_values() {
        for (v, on) in [
            ("1", true),
            ("true", true),
            ("TRUE", true),
            ("0", false),
            ("false", false),
            ("False", false),
        ] {
            assert_eq!(
                parse_dlclose_enabled(Some(v), None, !on),
                (on, vec![]),
                "{v}"
            );
        }
        assert_eq!(parse_dlclose_enabled(None, None, false), (false, vec![]));
        assert_eq!(parse_dlclose_enabled(None, None, true), (true, vec![]));
        assert_eq!(
            parse_dlclose_enabled(Some("yes"), None, false),
            (
                false,
                vec![
                    "Invalid value 'yes' for VACCEL_EXEC_DLCLOSE_ENABLED. Using default: false"
                        .to_string()
                ]
            )
        );
        assert_eq!(
            parse_dlclose_enabled(Some("2"), None, true),
            (
                true,
                vec![
                    "Invalid value '2' for VACCEL_EXEC_DLCLOSE_ENABLED. Using default: true"
                        .to_string()
                ]
            )
        );
    }

    #[test]
    fn deprecated_dlclose_only_when_new_unset() {
        assert_eq!(
            parse_dlclose_enabled(Some("0"), Some("1"), true),
            (false, vec![])
        );
        assert_eq!(
            parse_dlclose_enabled(None, Some("1"), false),
            (
                true,
                vec![
                    "VACCEL_EXEC_DLCLOSE is deprecated. Use VACCEL_EXEC_DLCLOSE_ENABLED instead.\n"
                        .to_string()
                ]
            )
        );
        let (on, w) = parse_dlclose_enabled(None, Some("maybe"), true);
        assert!(on);
        assert_eq!(w.len(), 2);
        assert_eq!(
            w[1],
            "Invalid value 'maybe' for VACCEL_EXEC_DLCLOSE_ENABLED. Using default: true"
        );
    }
}
