/*
 * SPDX-License-Identifier: MIT
 *
 * Public interface of the slog logger, compatible with slog 1.8.22 (the
 * version embedded in vAccel 0.8). The implementation lives in libvaccel,
 * which exports slog_print(), slog_init(), slog_config_get(),
 * slog_config_set(), slog_enable(), slog_disable(), slog_destroy() and
 * slog_version().
 */

#ifndef __SLOG_H__
#define __SLOG_H__

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Version */
#define SLOG_VERSION_MAJOR 1
#define SLOG_VERSION_MINOR 8
#define SLOG_BUILD_NUM 22

/* Supported colors */
#define SLOG_COLOR_NORMAL "\x1B[0m"
#define SLOG_COLOR_RED "\x1B[31m"
#define SLOG_COLOR_GREEN "\x1B[32m"
#define SLOG_COLOR_YELLOW "\x1B[33m"
#define SLOG_COLOR_BLUE "\x1B[34m"
#define SLOG_COLOR_MAGENTA "\x1B[35m"
#define SLOG_COLOR_CYAN "\x1B[36m"
#define SLOG_COLOR_WHITE "\x1B[37m"
#define SLOG_COLOR_RESET "\033[0m"

/* Trace source location helpers */
#define SLOG_TRACE_LVL1(LINE) #LINE
#define SLOG_TRACE_LVL2(LINE) SLOG_TRACE_LVL1(LINE)
#define SLOG_THROW_LOCATION "[" __FILE__ ":" SLOG_TRACE_LVL2(__LINE__) "] "

/* Limits */
#define SLOG_MESSAGE_MAX 8196
#define SLOG_VERSION_MAX 128
#define SLOG_PATH_MAX 2048
#define SLOG_INFO_MAX 512
#define SLOG_NAME_MAX 256
#define SLOG_DATE_MAX 64
#define SLOG_TAG_MAX 32
#define SLOG_COLOR_MAX 16

#define SLOG_FLAGS_CHECK(c, f) (((c) & (f)) == (f))
#define SLOG_FLAGS_ALL 255

#define SLOG_NAME_DEFAULT "slog"
#define SLOG_NEWLINE "\n"
#define SLOG_INDENT "       "
#define SLOG_SPACE " "
#define SLOG_EMPTY ""
#define SLOG_NUL '\0'

/* Log level flags (bit mask) */
typedef enum {
	SLOG_NOTAG = (1 << 0),
	SLOG_NOTE = (1 << 1),
	SLOG_INFO = (1 << 2),
	SLOG_WARN = (1 << 3),
	SLOG_DEBUG = (1 << 4),
	SLOG_TRACE = (1 << 5),
	SLOG_ERROR = (1 << 6),
	SLOG_FATAL = (1 << 7)
} SLOG_FLAGS_E;

/* Date/time display control */
typedef enum {
	SLOG_TIME_DISABLE = 0,
	SLOG_TIME_ONLY,
	SLOG_DATE_FULL
} SLOG_DATE_CTRL_E;

/* Output coloring control */
typedef enum {
	SLOG_COLORING_DISABLE = 0,
	SLOG_COLORING_TAG,
	SLOG_COLORING_FULL
} SLOG_COLOR_CTRL_E;

/* Log callback: receives every formatted line */
typedef int (*slog_cb_t)(const char *pLog, size_t nLength, SLOG_FLAGS_E eFlag,
			 void *pCtx);

/*
 * Logger configuration (slog_config_get()/slog_config_set()).
 * x86_64 layout: eDateControl @0, eColorFormat @4, logCallback @8,
 * pCallbackCtx @16, the six 1-bit flags packed in the byte @24 (bit 0
 * nTraceTid ... bit 5 nFlush), nFlags @26, sSeparator @28, sFileName @284,
 * sFilePath @540; size 2592, alignment 8.
 */
typedef struct SLogConfig {
	SLOG_DATE_CTRL_E eDateControl; /* Display output with date format */
	SLOG_COLOR_CTRL_E eColorFormat; /* Output color format control */
	slog_cb_t logCallback; /* Log callback to collect logs */
	void *pCallbackCtx; /* Data pointer passed to log callback */

	uint8_t nTraceTid : 1; /* Trace thread ID and display in output */
	uint8_t nToScreen : 1; /* Enable screen logging */
	uint8_t nUseHeap : 1; /* Use dynamic allocation */
	uint8_t nToFile : 1; /* Enable file logging */
	uint8_t nIndent : 1; /* Enable indentations */
	uint8_t nFlush : 1; /* Flush stdout after screen log */
	uint16_t nFlags; /* Allowed log level flags */

	char sSeparator[SLOG_NAME_MAX]; /* Separator between info and log */
	char sFileName[SLOG_NAME_MAX]; /* Output file name for logs */
	char sFilePath[SLOG_PATH_MAX]; /* Output file path for logs */
} SLogConfig;

/* Short name definitions */
#define slog(...) slog_print(SLOG_NOTAG, 1, __VA_ARGS__)
#define slogwn(...) slog_print(SLOG_NOTAG, 0, __VA_ARGS__)

#define slog_note(...) slog_print(SLOG_NOTE, 1, __VA_ARGS__)
#define slog_info(...) slog_print(SLOG_INFO, 1, __VA_ARGS__)
#define slog_warn(...) slog_print(SLOG_WARN, 1, __VA_ARGS__)
#define slog_debug(...) slog_print(SLOG_DEBUG, 1, __VA_ARGS__)
#define slog_error(...) slog_print(SLOG_ERROR, 1, __VA_ARGS__)
#define slog_trace(...) \
	slog_print(SLOG_TRACE, 1, SLOG_THROW_LOCATION __VA_ARGS__)
#define slog_fatal(...) \
	slog_print(SLOG_FATAL, 1, SLOG_THROW_LOCATION __VA_ARGS__)

/* Short name definitions without newline */
#define slog_note_wn(...) slog_print(SLOG_NOTE, 0, __VA_ARGS__)
#define slog_info_wn(...) slog_print(SLOG_INFO, 0, __VA_ARGS__)
#define slog_warn_wn(...) slog_print(SLOG_WARN, 0, __VA_ARGS__)
#define slog_debug_wn(...) slog_print(SLOG_DEBUG, 0, __VA_ARGS__)
#define slog_error_wn(...) slog_print(SLOG_ERROR, 0, __VA_ARGS__)
#define slog_trace_wn(...) \
	slog_print(SLOG_TRACE, 0, SLOG_THROW_LOCATION __VA_ARGS__)
#define slog_fatal_wn(...) \
	slog_print(SLOG_FATAL, 0, SLOG_THROW_LOCATION __VA_ARGS__)

/* Return the version string; with nMin != 0 only "<major>.<minor>.<build>" */
const char *slog_version(uint8_t nMin);

/* Get/set the current configuration */
void slog_config_get(SLogConfig *pCfg);
void slog_config_set(SLogConfig *pCfg);

/* Enable/disable a log level flag */
void slog_enable(SLOG_FLAGS_E eFlag);
void slog_disable(SLOG_FLAGS_E eFlag);

/* Initialise/destroy the logger */
void slog_init(const char *pName, uint16_t nFlags, uint8_t nTdSafe);
void slog_destroy(void);

/* Print a printf-style message with level eFlag; nNewLine != 0 appends a
 * newline */
void slog_print(SLOG_FLAGS_E eFlag, uint8_t nNewLine, const char *pMsg, ...);

#ifdef __cplusplus
}
#endif

#endif /* __SLOG_H__ */
