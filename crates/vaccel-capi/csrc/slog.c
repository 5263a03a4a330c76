/* slog_print: the one C-variadic entry point of libvaccel.
 *
 * Every vAccel plugin's logging macros expand to slog_print(flag, 1, fmt, ...). Stable Rust cannot
 * define a variadic function, so this shim formats the message with the C library's own vsnprintf
 * (exact printf semantics, as upstream) and hands the text to the Rust logger. */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>

/* Implemented in Rust (src/log.rs). */
void vaccel_capi_log_emit(int flag, const char *message);
int vaccel_capi_log_enabled(int flag);

#define SLOG_MESSAGE_MAX 8196

__attribute__((visibility("hidden"))) void vaccel_slog_print_impl(int flag, uint8_t new_line, const char *format, ...);

void vaccel_slog_print_impl(int flag, uint8_t new_line, const char *format, ...)
{
	char message[SLOG_MESSAGE_MAX];
	va_list args;

	(void)new_line;
	if (format == NULL || !vaccel_capi_log_enabled(flag))
		return;
	va_start(args, format);
	vsnprintf(message, sizeof(message), format, args);
	va_end(args);
	vaccel_capi_log_emit(flag, message);
}
