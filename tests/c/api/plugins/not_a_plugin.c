// SPDX-License-Identifier: Apache-2.0
/* A shared object without the `vaccel_plugin` symbol (ELIBBAD when loaded) */
int not_a_plugin_function(int x);

int not_a_plugin_function(int x)
{
	return x + 1;
}
