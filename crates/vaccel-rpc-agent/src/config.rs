//! `--vaccel-config "key=value,..."` (spec §7.1).
//!
//! The official agent parses the option into a `vaccel_config` before it touches libvaccel, and
//! rejects anything it does not understand as a command-line error; the same texts are used here
//! (``Unknown key `<k>` ``, ``Invalid integer `<v>` for log_level``, ``Invalid boolean `<v>` for
//! profiling_enabled``). Keys not given take the `vaccel_config` defaults of the official agent:
//! no plugins, `log_level = 0` (nothing logged), no log file, profiling and version-ignore off.

use vaccel::Config;

/// The trimmed `(key, value)` items of a `key=value,...` option (this one and the agent's
/// `--agent-config`). Empty items (`a=b,,c=d` or a trailing comma) are skipped.
pub fn items(value: &str) -> impl Iterator<Item = Result<(&str, &str), String>> {
    value
        .split(',')
        .filter(|s| !s.trim().is_empty())
        .map(|item| match item.split_once('=') {
            Some((key, val)) => Ok((key.trim(), val.trim())),
            None => Err(format!("Invalid option `{item}`: expected `key=value`")),
        })
}

/// Parses the option value.
pub fn parse(value: &str) -> Result<Config, String> {
    let mut config = Config::default();
    for item in items(value) {
        let (key, val) = item?;
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
