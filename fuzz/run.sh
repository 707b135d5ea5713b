#!/bin/sh
# run.sh MODE NAME... - run the fuzz targets built by fuzz/Makefile.inc.
#
# MODE fuzz: each target FUZZ_SECONDS seconds, or FUZZ_RUNS executions when
# that is set, over its corpus in $FUZZ_BUILD/corpus/NAME (the seeds of
# fuzz/corpus/NAME copied in first; fuzz/corpus itself is never written).
# MODE check: each target FUZZ_CHECK_RUNS executions with a fixed seed, over
# the seeds, new inputs kept in a scratch directory emptied first: the same
# executions every time for the same binaries.
# One line per target; the log, less libFuzzer's progress lines, when it
# fails (a crash, leak, sanitizer report, broken check, or a timeout). Exits
# 1 when any target failed.
set -u

mode=$1
shift
build=${FUZZ_BUILD:-build/fuzz}
top=$(pwd)
# libconfig 1.5's own leaks (see lsan.supp); UBSan reports are fatal. A
# smaller quarantine than ASan's 256 MB (still thousands of inputs' worth of
# freed memory) makes libFuzzer's leak check after each input cheaper.
export ASAN_OPTIONS="quarantine_size_mb=32"
export LSAN_OPTIONS="suppressions=$top/fuzz/lsan.supp:print_suppressions=0"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
failed=""

mkdir -p "$build/log" "$build/artifacts"
for name in "$@"; do
    bin=$build/fuzz-$name
    seeds=fuzz/corpus/$name
    log=$build/log/$name.$mode.log
    norand=""
    scratch=""
    case $mode in
    fuzz)
	corpus=$build/corpus/$name
	mkdir -p "$corpus"
	cp "$seeds"/* "$corpus"/
	dirs=$corpus
	if [ -n "${FUZZ_RUNS:-}" ]; then
	    limit="-runs=$FUZZ_RUNS"
	else
	    limit="-max_total_time=${FUZZ_SECONDS:-60}"
	fi
	;;
    check)
	corpus=$build/check/$name
	rm -rf "$corpus"
	mkdir -p "$corpus"
	dirs="$corpus $seeds"
	limit="-runs=${FUZZ_CHECK_RUNS:-10000} -seed=1 -reload=0"
	# So that the same binary runs the same inputs every time: no
	# rereading of the corpus on a timer, no address randomisation, and
	# a scratch directory of a fixed name (libFuzzer learns from
	# comparisons, keyed by code address, of text with the paths in it).
	norand="setarch -R"
	scratch=/tmp/destctl-fuzz-check.$name
	;;
    *)
	echo "run.sh: unknown mode $mode" >&2
	exit 2
	;;
    esac
    if [ -n "$norand" ] && ! $norand true 2>/dev/null; then
	norand=""
    fi
    start=$(date +%s)
    # shellcheck disable=SC2086
    DESTCTL_FUZZ_DIR=$scratch $norand "$bin" $limit -timeout=25 -print_final_stats=1 \
	-artifact_prefix="$build/artifacts/$name-" $dirs </dev/null >"$log" 2>&1
    rc=$?
    secs=$(($(date +%s) - start))
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    if [ "$rc" -ne 0 ] || grep -q -e '^SUMMARY: ' -e 'runtime error:' "$log"; then
	echo "fuzz-$name: FAILED (exit $rc) after ${secs}s; $log says:"
	grep -v -e '^#[0-9]' "$log" | sed 's/^/    /'
	failed="$failed $name"
    else
	echo "fuzz-$name: ok, ${execs:-?} executions in ${secs}s"
    fi
done
if [ -n "$failed" ]; then
    echo "fuzz: failed:$failed"
    exit 1
fi
