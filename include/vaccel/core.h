// SPDX-License-Identifier: Apache-2.0

#ifndef VACCEL_CORE_H
#define VACCEL_CORE_H

#include <stdbool.h>
#include "config.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Bootstrap the library with the configuration from the environment */
int vaccel_bootstrap(void);

/* Bootstrap the library with the given configuration */
int vaccel_bootstrap_with_config(struct vaccel_config *config);

/* Release every library component */
int vaccel_cleanup(void);

/* Whether the library has been bootstrapped */
bool vaccel_is_initialized(void);

/* Top-level run directory of the library */
const char *vaccel_rundir(void);

/* Active library configuration */
const struct vaccel_config *vaccel_config(void);

#ifdef __cplusplus
}
#endif

#endif /* VACCEL_CORE_H */
