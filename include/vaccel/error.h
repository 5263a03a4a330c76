// SPDX-License-Identifier: Apache-2.0

#ifndef VACCEL_ERROR_H
#define VACCEL_ERROR_H

#ifdef __cplusplus
extern "C" {
#endif

/* vAccel error codes: equal to the Linux errno numbers and returned as
 * positive ints by every vAccel function. */
enum {
	VACCEL_OK = 0, /* Success */
	VACCEL_EPERM = 1, /* Operation not permitted (EPERM) */
	VACCEL_ENOENT = 2, /* No such file or directory (ENOENT) */
	VACCEL_EIO = 5, /* I/O error (EIO) */
	VACCEL_ENOEXEC = 8, /* Exec format error (ENOEXEC) */
	VACCEL_EBADF = 9, /* Bad file number (EBADF) */
	VACCEL_EAGAIN = 11, /* Try again (EAGAIN) */
	VACCEL_ENOMEM = 12, /* Out of memory (ENOMEM) */
	VACCEL_EACCES = 13, /* Permission denied (EACCES) */
	VACCEL_EFAULT = 14, /* Bad address (EFAULT) */
	VACCEL_EBUSY = 16, /* Device or resource busy (EBUSY) */
	VACCEL_EEXIST = 17, /* File exists (EEXIST) */
	VACCEL_ENODEV = 19, /* No such device (ENODEV) */
	VACCEL_ENOTDIR = 20, /* Not a directory (ENOTDIR) */
	VACCEL_EINVAL = 22, /* Invalid argument (EINVAL) */
	VACCEL_ENOSPC = 28, /* No space left on device (ENOSPC) */
	VACCEL_EROFS = 30, /* Read-only file system (EROFS) */
	VACCEL_EMLINK = 31, /* Too many links (EMLINK) */
	VACCEL_ERANGE = 34, /* Out of range (ERANGE) */
	VACCEL_ENAMETOOLONG = 36, /* File name too long (ENAMETOOLONG) */
	VACCEL_ENOSYS = 38, /* Function not implemented (ENOSYS) */
	VACCEL_ELOOP = 40, /* Too many symbolic links (ELOOP) */
	VACCEL_EBACKEND = 71, /* Backend/plugin error (EPROTO) */
	VACCEL_ELIBBAD = 80, /* Not a vAccel plugin (ELIBBAD) */
	VACCEL_EUSERS = 87, /* ID pool exhausted (EUSERS) */
	VACCEL_ENOTSUP = 95, /* Operation not supported (EOPNOTSUPP) */
	VACCEL_ESESS = 104, /* Session error (ECONNRESET) */
	VACCEL_EINPROGRESS = 115, /* Operation in progress (EINPROGRESS) */
	VACCEL_EREMOTEIO = 121, /* Remote I/O error (EREMOTEIO) */
};

#ifdef __cplusplus
}
#endif

#endif /* VACCEL_ERROR_H */
