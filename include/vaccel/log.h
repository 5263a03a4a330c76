// SPDX-License-Identifier: Apache-2.0

#ifndef VACCEL_LOG_H
#define VACCEL_LOG_H

#include "../slog.h"
#include "utils/enum.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Log levels (cumulative): ERROR < WARN < INFO < DEBUG */
#define VACCEL_LOG_LEVEL_ENUM_LIST(ITEM, prefix) \
	ITEM(ERROR, 1, prefix)                   \
	ITEM(WARN, 2, prefix)                    \
	ITEM(INFO, 3, prefix)                    \
	ITEM(DEBUG, 4, prefix)

VACCEL_ENUM_DEF_WITH_STR_FUNCS(vaccel_log_level, VACCEL_LOG,
			       VACCEL_LOG_LEVEL_ENUM_LIST)

/* Logging macros: aliases of the slog macros, which expand to
 * slog_print(<SLOG flag>, 1, fmt, ...) */
#define vaccel_info(...) slog_info(__VA_ARGS__)
#define vaccel_warn(...) slog_warn(__VA_ARGS__)
#define vaccel_debug(...) slog_debug(__VA_ARGS__)
#define vaccel_error(...) slog_error(__VA_ARGS__)
#define vaccel_trace(...) slog_trace(__VA_ARGS__)
#define vaccel_fatal(...) slog_fatal(__VA_ARGS__)

int vaccel_log_init(void);
int vaccel_log_shutdown(void);

#ifdef __cplusplus
}
#endif

#endif /* VACCEL_LOG_H */
