//! vAccel enum values other than ops: argument, resource, blob, path, log-level and plugin types,
//! slog flags and the framework data types.

/// `vaccel_arg_type_t`. Values travel on the wire.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ArgType {
    Raw = 0,
    Int8 = 1,
    Int8Array = 2,
    Int16 = 3,
    Int16Array = 4,
    Int32 = 5,
    Int32Array = 6,
    Int64 = 7,
    Int64Array = 8,
    Uint8 = 9,
    Uint8Array = 10,
    Uint16 = 11,
    Uint16Array = 12,
    Uint32 = 13,
    Uint32Array = 14,
    Uint64 = 15,
    Uint64Array = 16,
    Float32 = 17,
    Float32Array = 18,
    Float64 = 19,
    Float64Array = 20,
    Bool = 21,
    BoolArray = 22,
    Char = 23,
    CharArray = 24,
    Uchar = 25,
    UcharArray = 26,
    String = 27,
    Buffer = 28,
    Custom = 29,
}

/// `VACCEL_ARG_MAX`: the type of a released argument.
pub const VACCEL_ARG_MAX: u32 = 30;

const ARG_LOWER: [&str; 31] = [
    "raw",
    "int8",
    "int8_array",
    "int16",
    "int16_array",
    "int32",
    "int32_array",
    "int64",
    "int64_array",
    "uint8",
    "uint8_array",
    "uint16",
    "uint16_array",
    "uint32",
    "uint32_array",
    "uint64",
    "uint64_array",
    "float32",
    "float32_array",
    "float64",
    "float64_array",
    "bool",
    "bool_array",
    "char",
    "char_array",
    "uchar",
    "uchar_array",
    "string",
    "buffer",
    "custom",
    "max",
];

impl ArgType {
    /// The argument type with this number, if valid (`MAX` is not).
    pub fn from_u32(n: u32) -> Option<ArgType> {
        if n < VACCEL_ARG_MAX {
            // The discriminants are the contiguous range 0..30 checked above.
            Some(ARG_TYPES[n as usize])
        } else {
            None
        }
    }

    /// Lower-case name used in log lines (`int32`, `custom`).
    pub fn lower_name(self) -> &'static str {
        ARG_LOWER[self as usize]
    }

    /// Size of one element for numeric scalar and array types; `None` for the others.
    pub fn element_size(self) -> Option<usize> {
        use ArgType::*;
        Some(match self {
            Int8 | Int8Array | Uint8 | Uint8Array | Bool | BoolArray | Char | CharArray | Uchar
            | UcharArray => 1,
            Int16 | Int16Array | Uint16 | Uint16Array => 2,
            Int32 | Int32Array | Uint32 | Uint32Array | Float32 | Float32Array => 4,
            Int64 | Int64Array | Uint64 | Uint64Array | Float64 | Float64Array => 8,
            Raw | String | Buffer | Custom => return None,
        })
    }

    /// Whether this is one of the `*_ARRAY` types.
    pub fn is_array(self) -> bool {
        self.lower_name().ends_with("_array")
    }

    /// Whether this type's elements must be 0 or 1.
    pub fn is_bool(self) -> bool {
        matches!(self, ArgType::Bool | ArgType::BoolArray)
    }
}

/// Lower-case name of an argument-type number, `max` when out of range.
pub fn arg_type_lower_name(n: u32) -> &'static str {
    ARG_LOWER[(n.min(VACCEL_ARG_MAX)) as usize]
}

const ARG_TYPES: [ArgType; 30] = {
    use ArgType::*;
    [
        Raw,
        Int8,
        Int8Array,
        Int16,
        Int16Array,
        Int32,
        Int32Array,
        Int64,
        Int64Array,
        Uint8,
        Uint8Array,
        Uint16,
        Uint16Array,
        Uint32,
        Uint32Array,
        Uint64,
        Uint64Array,
        Float32,
        Float32Array,
        Float64,
        Float64Array,
        Bool,
        BoolArray,
        Char,
        CharArray,
        Uchar,
        UcharArray,
        String,
        Buffer,
        Custom,
    ]
};

/// `vaccel_resource_type_t`.
pub const VACCEL_RESOURCE_LIB: u32 = 0;
pub const VACCEL_RESOURCE_DATA: u32 = 1;
pub const VACCEL_RESOURCE_MODEL: u32 = 2;
pub const VACCEL_RESOURCE_MAX: u32 = 3;
/// Names of the resource types, indexed by value (`VACCEL_RESOURCE_<NAME>`).
pub const RESOURCE_TYPE_NAMES: [&str; 4] = ["LIB", "DATA", "MODEL", "MAX"];

/// `vaccel_blob_type_t`.
pub const VACCEL_BLOB_FILE: u32 = 0;
pub const VACCEL_BLOB_BUFFER: u32 = 1;
pub const VACCEL_BLOB_MAPPED: u32 = 2;
pub const VACCEL_BLOB_MAX: u32 = 3;

/// `vaccel_path_type_t`.
pub const VACCEL_PATH_LOCAL_FILE: u32 = 0;
pub const VACCEL_PATH_LOCAL_DIR: u32 = 1;
pub const VACCEL_PATH_REMOTE_FILE: u32 = 2;
pub const VACCEL_PATH_MAX: u32 = 3;

/// `vaccel_log_level_t`.
pub const VACCEL_LOG_ERROR: u32 = 1;
pub const VACCEL_LOG_WARN: u32 = 2;
pub const VACCEL_LOG_INFO: u32 = 3;
pub const VACCEL_LOG_DEBUG: u32 = 4;
pub const VACCEL_LOG_MAX: u32 = 5;

/// `vaccel_plugin_type_t` bits, used as session hints.
pub const VACCEL_PLUGIN_CPU: u32 = 0x0001;
pub const VACCEL_PLUGIN_GPU: u32 = 0x0002;
pub const VACCEL_PLUGIN_FPGA: u32 = 0x0004;
pub const VACCEL_PLUGIN_SOFTWARE: u32 = 0x0008;
pub const VACCEL_PLUGIN_TENSORFLOW: u32 = 0x0010;
pub const VACCEL_PLUGIN_TORCH: u32 = 0x0020;
pub const VACCEL_PLUGIN_JETSON: u32 = 0x0040;
pub const VACCEL_PLUGIN_GENERIC: u32 = 0x0080;
pub const VACCEL_PLUGIN_DEBUG: u32 = 0x0100;
pub const VACCEL_PLUGIN_REMOTE: u32 = 0x4000;
pub const VACCEL_PLUGIN_ALL: u32 = 0xffff;
pub const VACCEL_PLUGIN_MAX: u32 = 0x10000;

/// slog's `SLOG_FLAGS_E`: the first argument of `slog_print`.
pub const SLOG_NOTAG: i32 = 1;
pub const SLOG_NOTE: i32 = 2;
pub const SLOG_INFO: i32 = 4;
pub const SLOG_WARN: i32 = 8;
pub const SLOG_DEBUG: i32 = 16;
pub const SLOG_TRACE: i32 = 32;
pub const SLOG_ERROR: i32 = 64;
pub const SLOG_FATAL: i32 = 128;

/// `enum vaccel_tf_data_type` values used by the core and plugins.
pub const VACCEL_TF_FLOAT: u32 = 1;
/// `enum vaccel_tflite_data_type` FLOAT32.
pub const VACCEL_TFLITE_FLOAT32: u32 = 1;
/// `enum vaccel_torch_data_type` (spec §3.5): BYTE 1 ... FLOAT 7.
pub const VACCEL_TORCH_BYTE: u32 = 1;
pub const VACCEL_TORCH_CHAR: u32 = 2;
pub const VACCEL_TORCH_SHORT: u32 = 3;
pub const VACCEL_TORCH_INT: u32 = 4;
pub const VACCEL_TORCH_LONG: u32 = 5;
pub const VACCEL_TORCH_HALF: u32 = 6;
pub const VACCEL_TORCH_FLOAT: u32 = 7;

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// The spec's ABI dump, when `../shared` is beside the checkout (tests only).
    pub fn spec_abi_dump() -> Option<String> {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../../shared/spec/data/abi-x86_64.txt"
        );
        std::fs::read_to_string(path).ok()
    }

    /// The lines of one `== <name>` section of the dump.
    pub fn section<'a>(dump: &'a str, name: &str) -> Vec<&'a str> {
        let header = format!("== {name}");
        dump.lines()
            .skip_while(|l| !l.starts_with(&header))
            .skip(1)
            .take_while(|l| !l.starts_with("=="))
            .filter(|l| !l.trim().is_empty())
            .collect()
    }

    #[test]
    fn arg_types_match_the_spec_abi_dump() {
        let Some(dump) = spec_abi_dump() else { return };
        let lines = section(&dump, "arg types");
        assert_eq!(lines.len(), 31);
        for line in lines {
            let f: Vec<&str> = line.split_whitespace().collect();
            let n: u32 = f[0].parse().unwrap();
            assert_eq!(arg_type_lower_name(n), f[2]);
            assert_eq!(format!("VACCEL_ARG_{}", f[2].to_uppercase()), f[1]);
            if n < VACCEL_ARG_MAX {
                assert_eq!(ArgType::from_u32(n).unwrap() as u32, n);
            }
        }
    }

    #[test]
    fn element_sizes() {
        assert_eq!(ArgType::Int32.element_size(), Some(4));
        assert_eq!(ArgType::Float64Array.element_size(), Some(8));
        assert_eq!(ArgType::Buffer.element_size(), None);
        assert!(ArgType::UcharArray.is_array());
        assert!(!ArgType::Uchar.is_array());
    }

    #[test]
    fn resource_blob_path_types_match_the_spec_abi_dump() {
        let Some(dump) = spec_abi_dump() else { return };
        let check = |sec: &str, prefix: &str, names: &[&str]| {
            for line in section(&dump, sec) {
                let f: Vec<&str> = line.split_whitespace().collect();
                let n: usize = f[0].parse().unwrap();
                assert_eq!(f[1], format!("{prefix}{}", names[n]));
            }
        };
        check("resource types", "VACCEL_RESOURCE_", &RESOURCE_TYPE_NAMES);
        check(
            "blob types",
            "VACCEL_BLOB_",
            &["FILE", "BUFFER", "MAPPED", "MAX"],
        );
        check(
            "path types",
            "VACCEL_PATH_",
            &["LOCAL_FILE", "LOCAL_DIR", "REMOTE_FILE", "MAX"],
        );
    }

    #[test]
    fn error_codes_match_the_spec_abi_dump() {
        let Some(dump) = spec_abi_dump() else { return };
        let lines = section(&dump, "errors");
        assert_eq!(lines.len(), crate::ERROR_CODES.len());
        for line in lines {
            let f: Vec<&str> = line.split_whitespace().collect();
            let code: i32 = f[1].parse().unwrap();
            assert_eq!(crate::error_name(code), Some(f[0]), "{line}");
        }
    }
}
