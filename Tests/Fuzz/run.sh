#!/bin/sh
# Builds and runs the libFuzzer fuzzers (address sanitizer on) for a bounded time: the
# wire decoder, the request JSON bodies, and decode + validate + apply into a real store.
#
#   Tests/Fuzz/run.sh [SECONDS]     # default 60 per fuzzer; `make fuzz` runs this
#   Tests/Fuzz/run.sh --seeds       # regenerates the committed seed corpus
#
# StockroomCore has no dependencies, so it is compiled here with swiftc, instrumented,
# and each Tests/Fuzz/Fuzz*.swift harness is linked against it, together with the
# contracts it checks (Sources/StockroomTesting/FuzzContracts.swift, which the normal
# suite's FuzzCorpusTests also runs over the committed corpora). A fuzzer starts from its
# seed corpus in fixtures/fuzz/<name>/ and keeps what it finds in .build/fuzz/corpus-<name>/.
# A crash leaves crash-* in .build/fuzz/ and a non-zero exit: turn it into a regression
# test, then fix it.
set -eu
cd "$(dirname "$0")/../.."
OUT=.build/fuzz
mkdir -p "$OUT/modules"
CORE=$(find Sources/StockroomCore -name '*.swift' | sort)
FLAGS="-parse-as-library -enable-upcoming-feature ExistentialAny -enable-upcoming-feature InternalImportsByDefault"

core_library() { # $1: extra flags, $2: library path
    swiftc -emit-library -static -emit-module -module-name StockroomCore $FLAGS -O $1 $CORE \
        -emit-module-path "$OUT/modules/StockroomCore.swiftmodule" -o "$2"
}

if [ "${1:-}" = "--seeds" ]; then
    core_library "" "$OUT/libStockroomCore.a"
    swiftc -module-name MakeSeeds $FLAGS -I "$OUT/modules" Sources/StockroomTesting/RandomOps.swift \
        Sources/StockroomTesting/SeededGenerator.swift Sources/StockroomTesting/ProcessInfoLite.swift Tests/Fuzz/make_seeds.swift "$OUT/libStockroomCore.a" \
        -o "$OUT/make_seeds"
    mkdir -p fixtures/fuzz/FuzzWireDecoder
    "$OUT/make_seeds" fixtures/fuzz/FuzzWireDecoder
    swift build --product stockroom-fuzz-apply
    .build/debug/stockroom-fuzz-apply --make-seeds fixtures/fuzz/FuzzApplyBatch
    exit 0
fi

SECONDS_PER_FUZZER="${1:-60}"
core_library "-sanitize=fuzzer,address" "$OUT/libStockroomCore-fuzz.a"
for harness in Tests/Fuzz/Fuzz*.swift; do
    name=$(basename "$harness" .swift)
    echo "fuzz: building $name"
    swiftc -sanitize=fuzzer,address -module-name "$name" $FLAGS -O -I "$OUT/modules" "$harness" \
        Sources/StockroomTesting/FuzzContracts.swift "$OUT/libStockroomCore-fuzz.a" -o "$OUT/$name"
    mkdir -p "$OUT/corpus-$name"
    dict=""
    if [ -f "Tests/Fuzz/$name.dict" ]; then dict="-dict=../../Tests/Fuzz/$name.dict"; fi
    echo "fuzz: running $name for ${SECONDS_PER_FUZZER}s"
    (cd "$OUT" && "./$name" -max_total_time="$SECONDS_PER_FUZZER" -max_len=65536 -timeout=5 $dict \
        "corpus-$name" "../../fixtures/fuzz/$name")
done

# The apply fuzzer needs the store (GRDB and its dependencies), so SwiftPM builds it, in
# its own scratch folder, with every Swift module instrumented (issue #11). Its contract is
# ApplyBatchHarness (Sources/StockroomTesting); ApplyFuzzCorpusTests replays its corpus.
echo "fuzz: building FuzzApplyBatch (SwiftPM, libFuzzer + ASan; the first build takes minutes)"
swift build -c release --product stockroom-fuzz-apply --scratch-path .build-fuzz \
    -Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING
mkdir -p "$OUT/corpus-FuzzApplyBatch"
echo "fuzz: running FuzzApplyBatch for ${SECONDS_PER_FUZZER}s"
(cd "$OUT" && ../../.build-fuzz/release/stockroom-fuzz-apply -max_total_time="$SECONDS_PER_FUZZER" -max_len=65536 \
    -timeout=10 "corpus-FuzzApplyBatch" "../../fixtures/fuzz/FuzzApplyBatch")
