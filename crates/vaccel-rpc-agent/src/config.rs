//! `--vaccel-config "key=value,..."` (spec §7.1).
//!
//! The official agent parses the option into a `vaccel_config` before it touches libvaccel, and
//! rejects anything it does not understand as a command-line error; the same texts are used here
//! (``Unknown key `<k>` ``, ``Invalid integer `<v>` for log_level``, ``Invalid boolean `<v>` for
//! profiling_enabled``). Keys not given take the `vaccel_config` defaults of the official agent:
//! no plugins, `log_level = 0` (nothing logged), no log file, profiling and version-ignore off.

use vaccel::Config;

/// Parses the option value. Empty items (`a=b,,c=d` or a trailing comma) are skipped.
pub fn parse(value: &str) -> Result<Config, String> {
    let mut config = Config::default();
    for item in value.split(',').filter(|s| !s.trim().is_empty()) {
        let Some((key, val)) = item.split_once('=') else {
            return Err(format!("Invalid option `{item}`: expected `key=value`"));
        };
        let (key, val) = (key.trim(), val.trim());
        match key {
            "plugins" => config.plugins = Some(val.to_owned()),
            "log_level" => {
                config.log_level = val
                    .parse::<u8>()
                    .map_err(|_| format!("Invalid integer `{val}` for log_level"))?
                    .into();
            }
            "log_file" => config.log_file = Some(val.to_owned()),
            "profiling_enabled" => config.profiling_enabled = parse_bool(val, key)?,
            "version_ignore" => config.version_ignore = parse_bool(val, key)?,
            _ => return Err(format!("Unknown key `{key}`")),
        }
    }
    Ok(config)
}

/// `true` or `false` only (the official parser rejects `1`).
fn parse_bool(val: &str, key: &str) -> Result<bool, String> {
    match val {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(format!("Invalid boolean `{val}` for {key}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_keys() {
        let c = parse(
            "plugins=libvaccel-noop.so:libvaccel-exec.so,log_level=4,log_file=/tmp/x.log,\
             profiling_enabled=true,version_ignore=false",
        )
        .unwrap();
        assert_eq!(
            c,
            Config {
                plugins: Some("libvaccel-noop.so:libvaccel-exec.so".into()),
                log_level: 4,
                log_file: Some("/tmp/x.log".into()),
                profiling_enabled: true,
                version_ignore: false,
            }
        );
    }

    #[test]
    fn defaults_when_unspecified() {
        let c = parse("plugins=libvaccel-noop.so").unwrap();
        assert_eq!(c.log_level, 0);
        assert_eq!(c.log_file, None);
        assert!(!c.profiling_enabled && !c.version_ignore);
        assert_eq!(parse("").unwrap(), Config::default());
    }

    #[test]
    fn errors() {
        assert_eq!(parse("foo=1").unwrap_err(), "Unknown key `foo`");
        assert_eq!(
            parse("log_level=x").unwrap_err(),
            "Invalid integer `x` for log_level"
        );
        assert_eq!(
            parse("log_level=256").unwrap_err(),
            "Invalid integer `256` for log_level"
        );
        assert_eq!(
            parse("profiling_enabled=1").unwrap_err(),
            "Invalid boolean `1` for profiling_enabled"
        );
        assert!(parse("plugins").is_err());
    }
}
