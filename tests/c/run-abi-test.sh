#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Checks the public C headers under include/ against the vAccel 0.8 spec:
#   1. every header is self-contained, idempotent and warning-free in C11 and
#      C++17, and vaccel.h includes every vaccel/ header;
#   2. tests/c/abi_layout.c (struct layouts, enum values, macros, inline
#      helpers) compiles with -Wall -Wextra -Werror and passes;
#   3. a C++ translation unit including <vaccel.h> compiles (-Wall -Werror);
#   4. a C plugin using VACCEL_PLUGIN()/VACCEL_OP_INIT() compiles, exports the
#      `vaccel_plugin` pointer (and hides `vaccel_this_plugin`), and loads with
#      dlopen() in the state required by spec section 14.1; VACCEL_MODULE()
#      warns;
#   5. the deprecated functions (and only those) carry a deprecation attribute;
#   6. every prototype printed in the spec (sections 5, 15.2, 16, 17.1, plus
#      the ones given in prose) is compatible with the headers' declaration;
#   7. every exported vaccel_*/slog_*/fs_file_read symbol of upstream's
#      libvaccel (spec/data/libvaccel-symbols.txt) is declared, except the
#      internal helpers and vaccel_opencv (which must have no prototype), and
#      every function the headers declare is one of those symbols.
#
# Usage (from the repository root): tests/c/run-abi-test.sh
# Environment: CC (default gcc), CXX (default g++), SHARED (the shared/ dir
# holding spec/; default: ../shared next to the repository).

set -euo pipefail

SHARED="${SHARED:-$(cd "$(dirname "$0")/../../.." && pwd)/shared}"
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
CC="${CC:-gcc}"
CXX="${CXX:-g++}"
SPEC="$SHARED/spec/vaccel-api.md"
SYMBOLS="$SHARED/spec/data/libvaccel-symbols.txt"

export LC_ALL=C

cd "$ROOT"
INC="$ROOT/include"

for f in "$SPEC" "$SYMBOLS"; do
	if [[ ! -f "$f" ]]; then
		echo "error: $f not found (set SHARED=/path/to/shared)" >&2
		exit 2
	fi
done

TMP="$(mktemp -d "${TMPDIR:-/tmp}/vaccel-abi-test.XXXXXX")"
trap 'rm -rf "$TMP"' EXIT

FAILURES=0
fail() {
	echo "FAIL: $*"
	FAILURES=$((FAILURES + 1))
}
ok() {
	echo "ok: $*"
}

CFLAGS=(-std=c11 -Wall -Wextra -Werror -I"$INC")
CXXFLAGS=(-std=c++17 -Wall -Wextra -Werror -I"$INC")

# ---------------------------------------------------------------------------
# 1. Headers: self-contained, idempotent, warning-free (C11 + C++17)
# ---------------------------------------------------------------------------
mapfile -t HEADERS < <(cd "$INC" && find . -name '*.h' | sed 's|^\./||' | sort)
hdr_fail=0
for h in "${HEADERS[@]}"; do
	printf '#include <%s>\n#include <%s>\n' "$h" "$h" >"$TMP/hdr.c"
	if ! "$CC" "${CFLAGS[@]}" -pedantic -fsyntax-only "$TMP/hdr.c"; then
		fail "$h does not compile on its own in C11"
		hdr_fail=1
	fi
	cp "$TMP/hdr.c" "$TMP/hdr.cpp"
	if ! "$CXX" "${CXXFLAGS[@]}" -fsyntax-only "$TMP/hdr.cpp"; then
		fail "$h does not compile on its own in C++17"
		hdr_fail=1
	fi
done
[[ $hdr_fail -eq 0 ]] && ok "${#HEADERS[@]} headers are self-contained in C11 and C++17"

inc_fail=0
for h in "${HEADERS[@]}"; do
	case "$h" in
	vaccel/*)
		if ! grep -q "^#include \"$h\"" "$INC/vaccel.h"; then
			fail "vaccel.h does not include $h"
			inc_fail=1
		fi
		;;
	esac
done
[[ $inc_fail -eq 0 ]] && ok "vaccel.h includes every vaccel/ header"

if grep -q '^#define VACCEL_VERSION "0\.8\.[0-9][^"]*"' "$INC/vaccel.h"; then
	ok "VACCEL_VERSION is 0.8.x"
else
	fail "vaccel.h does not define VACCEL_VERSION as \"0.8.<patch>\""
fi

# ---------------------------------------------------------------------------
# 2. ABI layout test
# ---------------------------------------------------------------------------
if "$CC" "${CFLAGS[@]}" -DABI_TEST_STANDALONE tests/c/abi_layout.c \
	-o "$TMP/abi_layout"; then
	if "$TMP/abi_layout" >"$TMP/abi_layout.out"; then
		ok "abi_layout: $(tail -n 1 "$TMP/abi_layout.out")"
	else
		cat "$TMP/abi_layout.out"
		fail "abi_layout reported failures"
	fi
else
	fail "abi_layout.c does not compile"
fi

# ---------------------------------------------------------------------------
# 3. C++ translation unit
# ---------------------------------------------------------------------------
cat >"$TMP/cxx.cpp" <<'EOF'
#include <vaccel.h>
#include <utils/fs.h>
#include <cstddef>

static_assert(sizeof(struct vaccel_config) == 32, "vaccel_config");
static_assert(sizeof(vaccel_arg) == 32, "vaccel_arg");
static_assert(sizeof(vaccel_arg_array) == 40, "vaccel_arg_array");
static_assert(sizeof(vaccel_blob) == 56, "vaccel_blob");
static_assert(sizeof(vaccel_resource) == 152, "vaccel_resource");
static_assert(offsetof(vaccel_resource, refcount) == 136, "refcount");
static_assert(offsetof(vaccel_resource, plugin_priv) == 144, "plugin_priv");
static_assert(sizeof(vaccel_session) == 4264, "vaccel_session");
static_assert(offsetof(vaccel_session, rundir) == 21, "rundir");
static_assert(offsetof(vaccel_session, priv) == 4256, "priv");
static_assert(sizeof(vaccel_op) == 24, "vaccel_op");
static_assert(sizeof(vaccel_plugin_info) == 96, "vaccel_plugin_info");
static_assert(sizeof(vaccel_plugin) == 224, "vaccel_plugin");
static_assert(sizeof(vaccel_prof_region) == 40, "vaccel_prof_region");
static_assert(sizeof(vaccel_torch_tensor) == 48, "vaccel_torch_tensor");
static_assert(VACCEL_OP_MAX == 24, "VACCEL_OP_MAX");
static_assert(VACCEL_PLUGIN_MAX == 0x10000, "VACCEL_PLUGIN_MAX");

int cxx_use(vaccel_session *sess);
int cxx_use(vaccel_session *sess)
{
	char buf[VACCEL_ENUM_STR_MAX];
	vaccel_prof_region region = VACCEL_PROF_REGION_INIT("cxx");
	vaccel_resource res = {};
	vaccel_arg args[1] = {};
	vaccel_arg_array array = {};
	int32_t value = 0;

	(void)region;
	(void)res;
	if (vaccel_op_type_name(VACCEL_OP_NOOP, buf, sizeof(buf)) == nullptr)
		return VACCEL_EINVAL;
	vaccel_debug("%s %s", vaccel_op_type_to_str(VACCEL_OP_EXEC),
		     vaccel_arg_type_to_base_str(VACCEL_ARG_INT32));
	vaccel_trace("trace");
	vaccel_arg_array_wrap(&array, args, 1);
	vaccel_arg_array_get_int32(&array, &value);
	sess->hint = VACCEL_PLUGIN_DEBUG;
	return vaccel_noop(sess);
}
EOF
if "$CXX" "${CXXFLAGS[@]}" -fsyntax-only "$TMP/cxx.cpp"; then
	ok "C++17 translation unit including <vaccel.h> compiles"
else
	fail "C++17 translation unit including <vaccel.h> does not compile"
fi

# ---------------------------------------------------------------------------
# 4. Plugin macros
# ---------------------------------------------------------------------------
# Two translation units: the ops (VACCEL_OP_INIT) and the plugin definition
# (VACCEL_PLUGIN, no trailing semicolon, as upstream plugins write it).
cat >"$TMP/plugin_ops.c" <<'EOF'
#include <vaccel.h>

static int my_noop(struct vaccel_session *sess)
{
	vaccel_debug("my_noop %p", (void *)sess);
	return VACCEL_OK;
}

static int my_exec(struct vaccel_session *sess, const char *library,
		   const char *fn_symbol, struct vaccel_arg *read,
		   size_t nr_read, struct vaccel_arg *write, size_t nr_write)
{
	(void)sess; (void)library; (void)fn_symbol;
	(void)read; (void)nr_read; (void)write; (void)nr_write;
	return VACCEL_EBACKEND;
}

static struct vaccel_op ops[] = {
	VACCEL_OP_INIT(ops[0], VACCEL_OP_NOOP, my_noop),
	VACCEL_OP_INIT(ops[1], VACCEL_OP_EXEC, my_exec),
};

int abi_test_register(void);
int abi_test_register(void)
{
	vaccel_debug("registering %zu ops", sizeof(ops) / sizeof(ops[0]));
	return vaccel_plugin_register_ops(ops, sizeof(ops) / sizeof(ops[0]));
}
EOF
cat >"$TMP/plugin_main.c" <<'EOF'
#include <vaccel.h>

int abi_test_register(void);

static int init(void)
{
	return abi_test_register();
}

static int fini(void)
{
	return VACCEL_OK;
}

VACCEL_PLUGIN(.name = "abi-test", .version = "1.2.3",
	      .vaccel_version = VACCEL_VERSION,
	      .type = VACCEL_PLUGIN_DEBUG | VACCEL_PLUGIN_CPU, .init = init,
	      .fini = fini)
EOF
# A single-file plugin written with a trailing semicolon
cat >"$TMP/plugin_single.c" <<'EOF'
#include <vaccel.h>

static int noop(struct vaccel_session *sess)
{
	(void)sess;
	return VACCEL_OK;
}

static struct vaccel_op op = VACCEL_OP_INIT(op, VACCEL_OP_NOOP, noop);

static int init(void)
{
	return vaccel_plugin_register_op(&op);
}

static int fini(void)
{
	return VACCEL_OK;
}

VACCEL_PLUGIN(.name = "single", .version = VACCEL_VERSION,
	      .vaccel_version = VACCEL_VERSION, .type = VACCEL_PLUGIN_CPU,
	      .init = init, .fini = fini);
EOF
cat >"$TMP/plugin_module.c" <<'EOF'
#include <vaccel.h>

static int init(void)
{
	return VACCEL_OK;
}

static int fini(void)
{
	return VACCEL_OK;
}

VACCEL_MODULE(.name = "module", .version = VACCEL_VERSION, .init = init,
	      .fini = fini)
EOF
# Loader: provides the two symbols the plugin imports and checks the plugin
cat >"$TMP/loader.c" <<'EOF'
#include <vaccel.h>
#include <dlfcn.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int failed;
#define CHECK(cond)                                                   \
	do {                                                          \
		if (!(cond)) {                                        \
			printf("loader check failed: %s\n", #cond);   \
			failed++;                                     \
		}                                                     \
	} while (0)

static struct vaccel_op *registered;
static size_t nr_registered;
static int debug_lines;

int vaccel_plugin_register_ops(struct vaccel_op *ops, size_t nr_ops)
{
	registered = ops;
	nr_registered = nr_ops;
	return VACCEL_OK;
}

void slog_print(SLOG_FLAGS_E eFlag, uint8_t nNewLine, const char *pMsg, ...)
{
	va_list ap;
	char buf[256];

	va_start(ap, pMsg);
	vsnprintf(buf, sizeof(buf), pMsg, ap);
	va_end(ap);
	if (eFlag == SLOG_DEBUG && nNewLine == 1)
		debug_lines++;
}

int main(int argc, char **argv)
{
	void *handle;
	const struct vaccel_plugin **sym;
	const struct vaccel_plugin *p;
	size_t i;

	if (argc != 2)
		return 2;
	handle = dlopen(argv[1], RTLD_LAZY);
	if (handle == NULL) {
		printf("dlopen: %s\n", dlerror());
		return 1;
	}
	sym = (const struct vaccel_plugin **)dlsym(handle, "vaccel_plugin");
	CHECK(sym != NULL);
	if (sym == NULL)
		return 1;
	p = *sym;
	CHECK(p != NULL);
	if (p == NULL)
		return 1;
	CHECK(dlsym(handle, "vaccel_this_plugin") == NULL);
	CHECK(p->dl_handle == NULL);
	CHECK(p->entry.next == &p->entry);
	CHECK(p->entry.prev == &p->entry);
	for (i = 0; i < VACCEL_OP_MAX; i++)
		CHECK(p->ops[i] == NULL);
	CHECK(p->info != NULL);
	CHECK(strcmp(p->info->name, "abi-test") == 0);
	CHECK(strcmp(p->info->version, "1.2.3") == 0);
	CHECK(strcmp(p->info->vaccel_version, VACCEL_VERSION) == 0);
	CHECK(p->info->type == (VACCEL_PLUGIN_DEBUG | VACCEL_PLUGIN_CPU));
	CHECK(p->info->is_virtio == false);
	CHECK(p->info->session_init == NULL);
	CHECK(p->info->resource_sync == NULL);
	CHECK(p->info->init != NULL && p->info->fini != NULL);

	CHECK(p->info->init() == VACCEL_OK);
	CHECK(nr_registered == 2);
	CHECK(debug_lines == 1);
	if (nr_registered == 2) {
		int (*noop)(struct vaccel_session *);

		CHECK(registered[0].type == VACCEL_OP_NOOP);
		CHECK(registered[1].type == VACCEL_OP_EXEC);
		CHECK(registered[0].owner == p);
		CHECK(registered[1].owner == p);
		CHECK(registered[0].func != NULL);
		*(void **)&noop = registered[0].func;
		CHECK(noop(NULL) == VACCEL_OK);
		CHECK(debug_lines == 2);
	}
	CHECK(p->info->fini() == VACCEL_OK);
	dlclose(handle);

	printf("loader: %d failed\n", failed);
	return failed ? 1 : 0;
}
EOF
plugin_ok=1
if "$CC" "${CFLAGS[@]}" -pedantic -fPIC -shared -o "$TMP/libabi-test-plugin.so" \
	"$TMP/plugin_ops.c" "$TMP/plugin_main.c"; then
	dynsym="$(readelf --dyn-syms -W "$TMP/libabi-test-plugin.so")"
	if ! grep -Eq 'OBJECT +GLOBAL +DEFAULT +[0-9]+ +vaccel_plugin$' <<<"$dynsym"; then
		fail "plugin does not export vaccel_plugin as a global default-visibility object"
		plugin_ok=0
	fi
	if grep -q 'vaccel_this_plugin' <<<"$dynsym"; then
		fail "plugin exports vaccel_this_plugin (must be hidden)"
		plugin_ok=0
	fi
	if "$CC" "${CFLAGS[@]}" -rdynamic -o "$TMP/loader" "$TMP/loader.c" -ldl; then
		if ! "$TMP/loader" "$TMP/libabi-test-plugin.so" >"$TMP/loader.out"; then
			cat "$TMP/loader.out"
			fail "the VACCEL_PLUGIN() plugin does not load in the required state"
			plugin_ok=0
		fi
	else
		fail "plugin loader does not compile"
		plugin_ok=0
	fi
else
	fail "plugin using VACCEL_PLUGIN()/VACCEL_OP_INIT() does not compile"
	plugin_ok=0
fi
if ! "$CC" "${CFLAGS[@]}" -fPIC -c -o "$TMP/plugin_single.o" "$TMP/plugin_single.c"; then
	fail "single-file plugin (VACCEL_PLUGIN(...);) does not compile"
	plugin_ok=0
fi
[[ $plugin_ok -eq 1 ]] && ok "VACCEL_PLUGIN()/VACCEL_OP_INIT() plugins compile, export vaccel_plugin and load"

if "$CC" -std=c11 -Wall -Wextra -I"$INC" -fPIC -c -o "$TMP/plugin_module.o" \
	"$TMP/plugin_module.c" 2>"$TMP/module.err" &&
	grep -q 'VACCEL_MODULE() is deprecated' "$TMP/module.err"; then
	ok "VACCEL_MODULE() compiles with a deprecation warning"
else
	cat "$TMP/module.err"
	fail "VACCEL_MODULE() does not compile with a deprecation warning"
fi

# ---------------------------------------------------------------------------
# 5. Deprecation attributes
# ---------------------------------------------------------------------------
DEPRECATED=(vaccel_args_init vaccel_add_serial_arg vaccel_add_nonserial_arg
	vaccel_expect_serial_arg vaccel_expect_nonserial_arg
	vaccel_extract_serial_arg vaccel_extract_nonserial_arg
	vaccel_write_serial_arg vaccel_write_nonserial_arg vaccel_delete_args
	vaccel_fpga_arraycopy vaccel_fpga_mmult vaccel_fpga_parallel
	vaccel_fpga_vadd vaccel_minmax vaccel_torch_sgemm
	register_plugin_function register_plugin_functions)
cat >"$TMP/deprecated.c" <<'EOF'
#include <vaccel.h>

void *use_deprecated(struct vaccel_session *s, struct vaccel_op *op);
void *use_deprecated(struct vaccel_session *s, struct vaccel_op *op)
{
	struct vaccel_arg_list *l = vaccel_args_init(1);
	int a[1] = { 0 };
	float f[1] = { 0 };
	double d[1] = { 0 };

	vaccel_add_serial_arg(l, a, 4);
	vaccel_add_nonserial_arg(l, a, 1, NULL);
	vaccel_expect_serial_arg(l, a, 4);
	vaccel_expect_nonserial_arg(l, 4);
	vaccel_write_serial_arg(l->list, 0, a);
	vaccel_write_nonserial_arg(l->list, 0, a, NULL);
	vaccel_extract_nonserial_arg(l->list, 0, NULL);
	vaccel_delete_args(l);
	vaccel_fpga_arraycopy(s, a, a, 1);
	vaccel_fpga_mmult(s, f, f, f, 1);
	vaccel_fpga_parallel(s, f, f, f, f, 1);
	vaccel_fpga_vadd(s, f, f, f, 1, 1);
	vaccel_minmax(s, d, 1, 0, 1, d, d, d);
	vaccel_torch_sgemm(s, NULL, NULL, NULL, 1, 1, 1, NULL);
	register_plugin_function(op);
	register_plugin_functions(op, 1);
	/* not deprecated */
	vaccel_session_init(s, 0);
	vaccel_session_update(s, 0);
	vaccel_sess_init(s, 0);
	vaccel_noop(s);
	vaccel_plugin_register_op(op);
	vaccel_fpga_vadd_unpack(s, NULL, 0, NULL, 0);
	return vaccel_extract_serial_arg(NULL, 0);
}
EOF
if "$CC" -std=c11 -Wall -Wextra -I"$INC" -fsyntax-only "$TMP/deprecated.c" \
	2>"$TMP/deprecated.err"; then
	got="$(grep -o "'[a-z_]*' is deprecated" "$TMP/deprecated.err" |
		sed "s/'\([a-z_]*\)'.*/\1/" | sort -u)"
	want="$(printf '%s\n' "${DEPRECATED[@]}" | sort -u)"
	if [[ "$got" == "$want" ]]; then
		ok "exactly the ${#DEPRECATED[@]} deprecated functions carry a deprecation attribute"
	else
		diff <(echo "$want") <(echo "$got") || true
		fail "deprecation attributes differ (< expected, > got)"
	fi
else
	cat "$TMP/deprecated.err"
	fail "deprecation test does not compile"
fi

# ---------------------------------------------------------------------------
# 6. Prototypes printed in the spec are compatible with the headers
# ---------------------------------------------------------------------------
# Code lines of the spec (4-space indented) that are C declarations; a
# conflicting redeclaration (different parameter/return types, missing
# const, ...) is a compile error.
grep -E '^    (int|void|bool|const|struct|long|size_t|uint8_t|char|typedef)\b.*\);' \
	"$SPEC" | sed -e 's|/\*.*\*/||' -e 's/^ *//' >"$TMP/spec-protos.txt"
{
	echo '#include <vaccel.h>'
	echo '#include "utils/fs.h"'
	echo '/* spec prototypes */'
	grep -v 'NAME' "$TMP/spec-protos.txt"
	echo '/* typed accessors (spec 5.7, NAME/T expanded) */'
	while IFS='|' read -r name type; do
		grep 'NAME' "$TMP/spec-protos.txt" |
			sed -e "s/NAME/$name/g" -e "s/\bT\b/$type/g"
	done <<'EOF'
int8|int8_t
int16|int16_t
int32|int32_t
int64|int64_t
uint8|uint8_t
uint16|uint16_t
uint32|uint32_t
uint64|uint64_t
float|float
double|double
bool|bool
char|char
uchar|unsigned char
EOF
	echo '/* prototypes given in prose (spec 1.4, 7.4, 15.2) */'
	for u in vaccel_noop_unpack vaccel_exec_unpack vaccel_exec_with_res_unpack \
		vaccel_image_classification_unpack vaccel_image_detection_unpack \
		vaccel_image_segmentation_unpack vaccel_image_pose_unpack \
		vaccel_image_depth_unpack vaccel_sgemm_unpack \
		vaccel_fpga_arraycopy_unpack vaccel_fpga_mmult_unpack \
		vaccel_fpga_parallel_unpack vaccel_fpga_vadd_unpack \
		vaccel_minmax_unpack vaccel_opencv_unpack; do
		echo "int $u(struct vaccel_session *sess, struct vaccel_arg *read, int nr_read, struct vaccel_arg *write, int nr_write);"
	done
	cat <<'EOF'
int vaccel_image_op(vaccel_op_type_t op_type, struct vaccel_session *sess, const void *img, unsigned char *out_text, unsigned char *out_imgname, size_t len_img, size_t len_out_text, size_t len_out_imgname);
int vaccel_image_op_unpack(vaccel_op_type_t op_type, struct vaccel_session *sess, struct vaccel_arg *read, int nr_read, int nr_read_req, struct vaccel_arg *write, int nr_write, int nr_write_req);
int vaccel_opencv_unpack(struct vaccel_session *sess, struct vaccel_arg *read, int nr_read, struct vaccel_arg *write, int nr_write);
int vaccel_str_to_lower(const char *str, char *lower, size_t size, char **alloc_lower);
int fs_file_read(const char *path, void **data, size_t *size);
void slog_print(SLOG_FLAGS_E eFlag, uint8_t nNewLine, const char *pMsg, ...);
void slog_init(const char *pName, uint16_t nFlags, uint8_t nTdSafe);
void slog_config_get(SLogConfig *pCfg);
void slog_config_set(SLogConfig *pCfg);
void slog_enable(SLOG_FLAGS_E eFlag);
void slog_disable(SLOG_FLAGS_E eFlag);
void slog_destroy(void);
const char *slog_version(uint8_t nMin);
EOF
} >"$TMP/protos.c"
nprotos="$(grep -c ');$' "$TMP/protos.c")"
if "$CC" "${CFLAGS[@]}" -fsyntax-only "$TMP/protos.c" 2>"$TMP/protos.err"; then
	ok "$nprotos spec prototypes match the headers"
else
	grep -E 'error' "$TMP/protos.err" | head -n 40
	fail "spec prototypes conflict with the headers"
fi

# ---------------------------------------------------------------------------
# 7. Exported symbols vs. declarations
# ---------------------------------------------------------------------------
printf '#include <vaccel.h>\n#include "utils/fs.h"\n' >"$TMP/all.c"
"$CC" "${CFLAGS[@]}" -E -P "$TMP/all.c" >"$TMP/all.i"
"$CC" "${CFLAGS[@]}" -fsyntax-only -aux-info "$TMP/aux.txt" "$TMP/all.c"

is_internal() {
	case "$1" in
	fs_file_read) return 1 ;;
	fs_* | path_* | net_* | id_pool_* | plugin_* | plugins_* | sessions_* | \
		resources_* | resource_registration_* | resource_refcount_* | \
		resource_create_rundir | resource_destroy_rundir) return 0 ;;
	esac
	return 1
}

mapfile -t EXPORTED < <(awk '$1 == "T" { print $2 }' "$SYMBOLS" | sort -u)
missing=()
checked=0
for s in "${EXPORTED[@]}"; do
	case "$s" in
	vaccel_* | slog_* | fs_file_read) ;;
	*) continue ;;
	esac
	is_internal "$s" && continue
	[[ "$s" == vaccel_opencv ]] && continue
	checked=$((checked + 1))
	if ! grep -Eq "\\b$s[[:space:]]*\\(" "$TMP/all.i"; then
		missing+=("$s")
	fi
done
if [[ ${#missing[@]} -eq 0 ]]; then
	ok "all $checked public exported symbols are declared"
else
	printf '  missing: %s\n' "${missing[@]}"
	fail "${#missing[@]} exported symbols have no declaration"
fi

if grep -Eq '\bvaccel_opencv[[:space:]]*\(' "$TMP/all.i"; then
	fail "vaccel_opencv must not have a public prototype"
else
	ok "vaccel_opencv has no public prototype"
fi

# Every extern function declared under include/ must be an upstream export
mapfile -t DECLARED < <(grep -F "/* $INC/" "$TMP/aux.txt" |
	grep -E '\*/ extern ' |
	sed -E 's/^.*\*\/ extern [^(]*[^[:alnum:]_]([[:alnum:]_]+) \(.*$/\1/' |
	sort -u)
unknown=()
for d in "${DECLARED[@]}"; do
	if ! awk -v n="$d" '$1 == "T" && $2 == n { f = 1 } END { exit !f }' "$SYMBOLS"; then
		unknown+=("$d")
	fi
done
if [[ ${#DECLARED[@]} -eq 0 ]]; then
	fail "no declarations found in -aux-info output"
elif [[ ${#unknown[@]} -eq 0 ]]; then
	ok "all ${#DECLARED[@]} declared functions are upstream exports"
else
	printf '  not exported upstream: %s\n' "${unknown[@]}"
	fail "${#unknown[@]} declared functions are not upstream exports"
fi

# ---------------------------------------------------------------------------
if [[ $FAILURES -ne 0 ]]; then
	echo "run-abi-test: $FAILURES check(s) failed"
	exit 1
fi
echo "run-abi-test: all checks passed"
