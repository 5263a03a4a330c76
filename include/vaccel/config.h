// SPDX-License-Identifier: Apache-2.0

#ifndef VACCEL_CONFIG_H
#define VACCEL_CONFIG_H

#include <stdbool.h>
#include "log.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Library configuration */
struct vaccel_config {
	/* `:`-separated list of plugins to load, or NULL */
	char *plugins;

	/* Log level (1..4) */
	vaccel_log_level_t log_level;

	/* Log file base name, or NULL */
	char *log_file;

	/* Enable profiling */
	bool profiling_enabled;

	/* Ignore plugin version checks */
	bool version_ignore;
};

int vaccel_config_init(struct vaccel_config *config, const char *plugins,
		       vaccel_log_level_t log_level, const char *log_file,
		       bool profiling_enabled, bool version_ignore);
int vaccel_config_init_from_env(struct vaccel_config *config);
int vaccel_config_init_from(struct vaccel_config *config,
			    struct vaccel_config *config_src);
int vaccel_config_release(struct vaccel_config *config);
int vaccel_config_new(struct vaccel_config **config, const char *plugins,
		      vaccel_log_level_t log_level, const char *log_file,
		      bool profiling_enabled, bool version_ignore);
int vaccel_config_from_env(struct vaccel_config **config);
int vaccel_config_from(struct vaccel_config **config,
		       struct vaccel_config *config_src);
int vaccel_config_delete(struct vaccel_config *config);
void vaccel_config_print_debug(struct vaccel_config *config);

#ifdef __cplusplus
}
#endif

#endif /* VACCEL_CONFIG_H */
