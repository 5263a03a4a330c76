//! vAccel error codes: positive Linux errno values returned as `int`.

/// Success.
pub const VACCEL_OK: i32 = 0;
pub const VACCEL_EPERM: i32 = 1;
pub const VACCEL_ENOENT: i32 = 2;
pub const VACCEL_EIO: i32 = 5;
pub const VACCEL_ENOEXEC: i32 = 8;
pub const VACCEL_EBADF: i32 = 9;
pub const VACCEL_EAGAIN: i32 = 11;
pub const VACCEL_ENOMEM: i32 = 12;
pub const VACCEL_EACCES: i32 = 13;
pub const VACCEL_EFAULT: i32 = 14;
pub const VACCEL_EBUSY: i32 = 16;
pub const VACCEL_EEXIST: i32 = 17;
pub const VACCEL_ENODEV: i32 = 19;
pub const VACCEL_ENOTDIR: i32 = 20;
pub const VACCEL_EINVAL: i32 = 22;
pub const VACCEL_ENOSPC: i32 = 28;
pub const VACCEL_EROFS: i32 = 30;
pub const VACCEL_EMLINK: i32 = 31;
pub const VACCEL_ERANGE: i32 = 34;
pub const VACCEL_ENAMETOOLONG: i32 = 36;
pub const VACCEL_ENOSYS: i32 = 38;
pub const VACCEL_ELOOP: i32 = 40;
/// Backend (plugin or remote) failure; the value of `EPROTO`.
pub const VACCEL_EBACKEND: i32 = 71;
/// The library is not a vAccel plugin.
pub const VACCEL_ELIBBAD: i32 = 80;
/// An id pool is exhausted.
pub const VACCEL_EUSERS: i32 = 87;
/// No plugin, or the selected plugin lacks the op; the value of `EOPNOTSUPP`.
pub const VACCEL_ENOTSUP: i32 = 95;
/// The session component is not bootstrapped; the value of `ECONNRESET`.
pub const VACCEL_ESESS: i32 = 104;
pub const VACCEL_EINPROGRESS: i32 = 115;
pub const VACCEL_EREMOTEIO: i32 = 121;

/// Every named error code with its C constant name, in the order of `vaccel/error.h`.
pub const ERROR_CODES: &[(&str, i32)] = &[
    ("VACCEL_OK", VACCEL_OK),
    ("VACCEL_EPERM", VACCEL_EPERM),
    ("VACCEL_ENOENT", VACCEL_ENOENT),
    ("VACCEL_EIO", VACCEL_EIO),
    ("VACCEL_ENOEXEC", VACCEL_ENOEXEC),
    ("VACCEL_EBADF", VACCEL_EBADF),
    ("VACCEL_EAGAIN", VACCEL_EAGAIN),
    ("VACCEL_ENOMEM", VACCEL_ENOMEM),
    ("VACCEL_EACCES", VACCEL_EACCES),
    ("VACCEL_EFAULT", VACCEL_EFAULT),
    ("VACCEL_EBUSY", VACCEL_EBUSY),
    ("VACCEL_EEXIST", VACCEL_EEXIST),
    ("VACCEL_ENODEV", VACCEL_ENODEV),
    ("VACCEL_ENOTDIR", VACCEL_ENOTDIR),
    ("VACCEL_EINVAL", VACCEL_EINVAL),
    ("VACCEL_ENOSPC", VACCEL_ENOSPC),
    ("VACCEL_EROFS", VACCEL_EROFS),
    ("VACCEL_EMLINK", VACCEL_EMLINK),
    ("VACCEL_ERANGE", VACCEL_ERANGE),
    ("VACCEL_ENAMETOOLONG", VACCEL_ENAMETOOLONG),
    ("VACCEL_ENOSYS", VACCEL_ENOSYS),
    ("VACCEL_ELOOP", VACCEL_ELOOP),
    ("VACCEL_EBACKEND", VACCEL_EBACKEND),
    ("VACCEL_ELIBBAD", VACCEL_ELIBBAD),
    ("VACCEL_EUSERS", VACCEL_EUSERS),
    ("VACCEL_ENOTSUP", VACCEL_ENOTSUP),
    ("VACCEL_ESESS", VACCEL_ESESS),
    ("VACCEL_EINPROGRESS", VACCEL_EINPROGRESS),
    ("VACCEL_EREMOTEIO", VACCEL_EREMOTEIO),
];

/// The C constant name of an error code, if it has one.
pub fn error_name(code: i32) -> Option<&'static str> {
    ERROR_CODES
        .iter()
        .find(|(_, c)| *c == code)
        .map(|(n, _)| *n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_equal_linux_errno() {
        assert_eq!(VACCEL_EPERM, libc::EPERM);
        assert_eq!(VACCEL_ENOENT, libc::ENOENT);
        assert_eq!(VACCEL_EINVAL, libc::EINVAL);
        assert_eq!(VACCEL_ERANGE, libc::ERANGE);
        assert_eq!(VACCEL_EBACKEND, libc::EPROTO);
        assert_eq!(VACCEL_ELIBBAD, libc::ELIBBAD);
        assert_eq!(VACCEL_EUSERS, libc::EUSERS);
        assert_eq!(VACCEL_ENOTSUP, libc::EOPNOTSUPP);
        assert_eq!(VACCEL_ESESS, libc::ECONNRESET);
        assert_eq!(VACCEL_EREMOTEIO, libc::EREMOTEIO);
        assert_eq!(VACCEL_EINPROGRESS, libc::EINPROGRESS);
    }
}
